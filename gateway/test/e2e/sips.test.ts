/**
 * `sips:` Request-URIs at a running gateway (call/sips-policy.ts, docs/tls.md): over UDP to a gateway with TLS,
 * 480 + Warning 380; to one without TLS, 416; over TLS, served: an INVITE is answered 200 with a `sips:` Contact
 * on our TLS port (RFC 5630 §4.1), then hung up.
 */
import dgram from 'node:dgram';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, waitFor, type TestGateway } from '../helpers/gateway.js';
import { pcmuOffer } from '../helpers/raw-sip-peer.js';
import { header, parseSip, type SipMessage } from '../helpers/sip-text.js';
import { streamSipPeer } from '../helpers/stream-peer.js';
import { makeTestPki, type TestPki } from '../support/certs.js';

let seq = 0;
function request(method: string, uri: string, via: string, callId: string, opts: { cseq?: number; toTag?: string; body?: string; contact?: string } = {}): string {
  const body = opts.body ?? '';
  return [
    `${method} ${uri} SIP/2.0`,
    `Via: ${via};branch=z9hG4bK-sips${++seq}`,
    'Max-Forwards: 70',
    'From: <sips:caller@example.com>;tag=c1',
    `To: <${uri}>${opts.toTag === undefined ? '' : `;tag=${opts.toTag}`}`,
    `Call-ID: ${callId}`,
    `CSeq: ${opts.cseq ?? 1} ${method}`,
    ...(opts.contact === undefined ? [] : [`Contact: ${opts.contact}`]),
    ...(body === '' ? [] : ['Content-Type: application/sdp']),
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ].join('\r\n');
}

async function udpAnswer(gw: TestGateway, uri: string): Promise<SipMessage> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  try {
    const answer = new Promise<SipMessage>((resolve) => socket.on('message', (buf) => {
      const m = parseSip(buf.toString('latin1'));
      if (m !== undefined && (m.status ?? 0) >= 200) resolve(m);
    }));
    socket.send(request('OPTIONS', uri, `SIP/2.0/UDP 127.0.0.1:${socket.address().port};rport`, `udp-${seq}`), gw.sipPort, '127.0.0.1');
    return await answer;
  } finally {
    socket.close();
  }
}

describe('sips: Request-URIs', () => {
  let pki: TestPki;
  let withTls: TestGateway;
  let withoutTls: TestGateway;

  beforeAll(async () => {
    pki = makeTestPki();
    withTls = await startTestGateway({ sip: { tls: { port: 0, certFile: pki.serverCert, keyFile: pki.serverKey } } });
    withoutTls = await startTestGateway();
  });
  afterAll(async () => {
    await withTls.close();
    await withoutTls.close();
    pki.remove();
  });

  it('over UDP: 480 with Warning 380 when TLS is there to use; 416 when the gateway has no TLS', async () => {
    const refused = await udpAnswer(withTls, 'sips:+15550100001@127.0.0.1');
    expect(refused.status).toBe(480);
    expect(header(refused, 'warning')).toBe('380 patchbay "SIPS Not Allowed"');
    const unsupported = await udpAnswer(withoutTls, 'sips:+15550100001@127.0.0.1');
    expect(unsupported.status).toBe(416);
    expect((await udpAnswer(withTls, 'sip:+15550100001@127.0.0.1')).status).toBe(200); // sip: over UDP is fine
  });

  it('over TLS: an INVITE to a sips: URI is answered 200 with a sips: Contact on the TLS port', async () => {
    const port = withTls.gateway.tlsPort ?? 0;
    const peer = await streamSipPeer('127.0.0.1', port, { ca: pki.read(pki.caCert) });
    const { received } = peer;
    try {
      const via = `SIP/2.0/TLS 127.0.0.1:${peer.localPort}`;
      const uri = 'sips:+15550100001@127.0.0.1';
      peer.send(request('INVITE', uri, via, 'sips-call', { body: pcmuOffer(40_000), contact: `<sips:caller@127.0.0.1:${peer.localPort}>` }));
      await waitFor(() => received.some((m) => (m.status ?? 0) >= 200), 5_000, () => received.map((m) => m.firstLine).join(' | '));
      const ok = received.find((m) => (m.status ?? 0) >= 200);
      expect(ok?.status).toBe(200);
      expect(header(ok ?? received[0] ?? ({} as SipMessage), 'contact')).toBe(`<sips:patchbay@127.0.0.1:${port}>`);
      const toTag = /;tag=([^;>\s]+)/.exec(header(ok ?? ({} as SipMessage), 'to') ?? '')?.[1] ?? '';
      const target = `sips:patchbay@127.0.0.1:${port}`;
      peer.send(request('ACK', target, via, 'sips-call', { toTag }));
      peer.send(request('BYE', target, via, 'sips-call', { cseq: 2, toTag }));
      await waitFor(() => received.some((m) => m.status === 200 && header(m, 'cseq') === '2 BYE'), 5_000);
      await withTls.waitForIdle(5_000);
    } finally {
      peer.close();
    }
  }, 20_000);

  it('in a SIPS dialog the requests we send carry a sips: Contact too (our BYE when the API hangs up)', async () => {
    const port = withTls.gateway.tlsPort ?? 0;
    const peer = await streamSipPeer('127.0.0.1', port, { ca: pki.read(pki.caCert) });
    const { received } = peer;
    try {
      const via = `SIP/2.0/TLS 127.0.0.1:${peer.localPort}`;
      peer.send(request('INVITE', 'sips:+15550100001@127.0.0.1', via, 'sips-bye', { body: pcmuOffer(40_002), contact: `<sips:caller@127.0.0.1:${peer.localPort}>` }));
      await waitFor(() => received.some((m) => m.status === 200), 5_000, () => received.map((m) => m.firstLine).join(' | '));
      const ok = received.find((m) => m.status === 200) ?? ({} as SipMessage);
      const toTag = /;tag=([^;>\s]+)/.exec(header(ok, 'to') ?? '')?.[1] ?? '';
      peer.send(request('ACK', `sips:patchbay@127.0.0.1:${port}`, via, 'sips-bye', { toTag }));
      const listed = await fetch(`http://127.0.0.1:${withTls.httpPort}/v1/calls`, { signal: AbortSignal.timeout(5_000) });
      const live = ((await listed.json()) as { calls: { id: string; live: boolean }[] }).calls.filter((c) => c.live);
      expect(live).toHaveLength(1);
      const hangup = await fetch(`http://127.0.0.1:${withTls.httpPort}/v1/calls/${live[0]?.id ?? ''}/hangup`, { method: 'POST', signal: AbortSignal.timeout(5_000) });
      expect(hangup.status).toBeLessThan(300);
      await waitFor(() => received.some((m) => m.method === 'BYE'), 5_000, () => received.map((m) => m.firstLine).join(' | '));
      const bye = received.find((m) => m.method === 'BYE') ?? ({} as SipMessage);
      expect(bye.firstLine).toMatch(/^BYE sips:caller@127\.0\.0\.1:\d+ SIP\/2\.0$/);
      expect(header(bye, 'contact')).toBe(`<sips:patchbay@127.0.0.1:${port}>`);
    } finally {
      peer.close();
    }
    await withTls.waitForIdle(5_000);
  }, 20_000);
});
