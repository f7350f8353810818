/**
 * Outbound TLS to a trunk, with verification on: a node TLS server stands in for the carrier (proxy and registrar
 * on one port, a certificate for `localhost` signed by a test CA; it reads the SNI the gateway sent). The trunk's
 * `tls:` names the CA and the server name.
 *
 * - Right CA: the REGISTER and the INVITE arrive over TLS (Via TLS, Request-URI `;transport=tls`, Contact naming
 *   our TLS port), the registration is `registered`, the INVITE is answered 486 and the call ends `busy`.
 * - Another CA: nothing arrives (the handshake fails on our side: no plaintext retry), the registration fails
 *   with 503, the call ends `failed` with SIP status 503, and /stats counts the failed connects.
 */
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamFramer } from '../../src/sip/transport/stream-framer.js';
import { startTestGateway, waitFor, type TestGateway } from '../helpers/gateway.js';
import { header, parseSip, type SipMessage } from '../helpers/sip-text.js';
import { makeTestPki, type TestPki } from '../support/certs.js';

interface FakeTrunk {
  readonly port: number;
  readonly requests: SipMessage[];
  /** SNI of each accepted connection. */
  readonly serverNames: (string | false | null)[];
  /** Raw TCP connections, handshake or not. */
  connections: number;
  close(): Promise<void>;
}

/** A TLS carrier: REGISTER → 200 (our Contact, 60 s), INVITE → 100 then 486, anything else → 200. */
async function fakeTrunk(pki: TestPki): Promise<FakeTrunk> {
  const requests: SipMessage[] = [];
  const serverNames: (string | false | null)[] = [];
  const server = tls.createServer({ cert: pki.read(pki.serverCert), key: pki.read(pki.serverKey) }, (socket) => {
    serverNames.push(socket.servername);
    const framer = new StreamFramer(65_535);
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      for (const buf of framer.push(chunk).messages) {
        const m = parseSip(buf.toString('latin1'));
        if (m === undefined || m.method === undefined) continue;
        requests.push(m);
        if (m.method === 'ACK') continue;
        const answer = (status: string, extra: string[] = []): string =>
          [`SIP/2.0 ${status}`, `Via: ${header(m, 'via') ?? ''}`, `From: ${header(m, 'from') ?? ''}`, `To: ${header(m, 'to') ?? ''};tag=trunk`, `Call-ID: ${header(m, 'call-id') ?? ''}`, `CSeq: ${header(m, 'cseq') ?? ''}`, ...extra, 'Content-Length: 0', '', ''].join('\r\n');
        if (m.method === 'REGISTER') socket.write(answer('200 OK', [`Contact: ${header(m, 'contact') ?? ''};expires=60`]));
        else if (m.method === 'INVITE') socket.write(answer('100 Trying') + answer('486 Busy Here'));
        else socket.write(answer('200 OK'));
      }
    });
  });
  const trunk = { port: 0, requests, serverNames, connections: 0, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
  server.on('connection', () => trunk.connections++);
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  trunk.port = typeof address === 'object' && address !== null ? address.port : 0;
  return trunk;
}

describe('outbound TLS to a trunk, verified', () => {
  let pki: TestPki;
  let otherCa: TestPki;

  beforeAll(() => {
    pki = makeTestPki();
    otherCa = makeTestPki();
  });
  afterAll(() => {
    pki.remove();
    otherCa.remove();
  });

  async function gatewayFor(trunk: FakeTrunk, caFile: string): Promise<TestGateway> {
    return startTestGateway({
      sip: { tls: { port: 0, certFile: pki.serverCert, keyFile: pki.serverKey } },
      trunks: [
        {
          name: 'carrier',
          outbound: { proxy: { host: '127.0.0.1', port: trunk.port, transport: 'tls' }, allow: ['+1555'], callerId: { user: '+15550100001' } },
          register: { user: 'acct-1', expiresS: 60 },
          tls: { serverName: 'localhost', caFile },
        },
      ],
    });
  }

  it('registers and calls over TLS: SNI, Via, Request-URI and Contact say TLS; the 486 ends the call busy', async () => {
    const trunk = await fakeTrunk(pki);
    const gw = await gatewayFor(trunk, pki.caCert);
    try {
      await waitFor(() => gw.gateway.registrations.get('carrier')?.state === 'registered', 5_000, () => JSON.stringify(gw.gateway.registrations.get('carrier')));
      const call = await gw.gateway.calls.placeCall({ trunk: 'carrier', to: '+15557654321', from: '', agent: 'echo' });
      await waitFor(() => gw.gateway.calls.get(call.id)?.endReason !== null, 10_000, () => JSON.stringify(gw.gateway.calls.get(call.id)));
      const ended = gw.gateway.calls.get(call.id);
      expect(ended?.endReason).toBe('busy');
      expect(ended?.sipStatus).toBe(486);
      const register = trunk.requests.find((m) => m.method === 'REGISTER');
      const invite = trunk.requests.find((m) => m.method === 'INVITE');
      if (register === undefined || invite === undefined) throw new Error(`trunk saw ${trunk.requests.map((m) => m.firstLine).join(' | ')}`);
      const tlsPort = gw.gateway.tlsPort ?? 0;
      expect(header(register, 'via')).toMatch(new RegExp(`^SIP/2\\.0/TLS 127\\.0\\.0\\.1:${tlsPort};`));
      expect(header(register, 'contact')).toMatch(new RegExp(`^<sip:pb-[0-9a-f]+@127\\.0\\.0\\.1:${tlsPort};transport=tls>`));
      expect(invite.firstLine).toBe(`INVITE sip:+15557654321@127.0.0.1:${trunk.port};transport=tls SIP/2.0`);
      expect(header(invite, 'via')).toMatch(new RegExp(`^SIP/2\\.0/TLS 127\\.0\\.0\\.1:${tlsPort};`));
      expect(header(invite, 'contact')).toBe(`<sip:patchbay@127.0.0.1:${tlsPort};transport=tls>`);
      expect(new Set(trunk.serverNames)).toEqual(new Set(['localhost'])); // SNI = tls.serverName
      expect((await gw.gateway.stats()).sip.tlsConnectFailures).toBe(0);
    } finally {
      await gw.close();
      await trunk.close();
    }
  }, 30_000);

  it('a trunk certificate of another CA: nothing is sent (no plaintext retry); registration fails 503, the call ends failed 503, counted', async () => {
    const trunk = await fakeTrunk(pki);
    const gw = await gatewayFor(trunk, otherCa.caCert);
    try {
      await waitFor(() => gw.gateway.registrations.get('carrier')?.state === 'failed', 5_000, () => JSON.stringify(gw.gateway.registrations.get('carrier')));
      expect(gw.gateway.registrations.get('carrier')?.lastStatus).toBe(503);
      const call = await gw.gateway.calls.placeCall({ trunk: 'carrier', to: '+15557654321', from: '', agent: 'echo' });
      await waitFor(() => gw.gateway.calls.get(call.id)?.endReason !== null, 10_000, () => JSON.stringify(gw.gateway.calls.get(call.id)));
      const ended = gw.gateway.calls.get(call.id);
      expect(ended?.endReason).toBe('failed');
      expect(ended?.sipStatus).toBe(503);
      expect(trunk.requests).toEqual([]); // not one SIP message reached the trunk
      expect(trunk.connections).toBeGreaterThanOrEqual(2); // it was tried (REGISTER, INVITE), over TLS only
      const stats = await gw.gateway.stats();
      expect(stats.sip.tlsConnectFailures).toBeGreaterThanOrEqual(2);
      expect(await gw.metrics()).toMatch(/^patchbay_sip_tls_connect_failures_total [1-9]\d*$/m);
    } finally {
      await gw.close();
      await trunk.close();
    }
  }, 30_000);
});
