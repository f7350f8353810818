/**
 * SIP over TLS (tls-transport.ts) through the transport layer, on real loopback sockets with a throwaway PKI
 * (test/support/certs.ts): framing and answers over the request's own connection, the TCP limits on TLS
 * connections, mutual TLS, certificate reload (file change and reload()), and verified connections we open
 * (a wrong CA fails, and nothing goes out in plaintext).
 */
import net from 'node:net';
import { copyFileSync, mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeTestPki, type TestPki } from '../../../test/support/certs.js';
import { waitFor } from '../../../test/helpers/wait-for.js';
import { getHeader, type SipRequest } from '../message.js';
import { createResponse } from '../response.js';
import { parseMessage } from '../parser.js';
import { rawRequest, tcpPeer, wrapTcp, type TcpPeer } from './test-peers.js';
import { SipTransportError, SipTransportErrorCode } from './transport-error.js';
import { TransportLayer, type TransportLayerOptions } from './transport-layer.js';
import type { TcpLimits } from './types.js';
import type { TlsServerSettings } from './tls-transport.js';
import { StreamFramer } from './stream-framer.js';

const LIMITS: TcpLimits = { maxConnections: 100, maxConnectionsPerIp: 100, idleTimeoutMs: 60_000, incompleteMessageTimeoutMs: 60_000 };

let pki: TestPki;
beforeAll(() => {
  pki = makeTestPki();
});
afterAll(() => pki.remove());

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Started {
  layer: TransportLayer;
  port: number;
  requests: SipRequest[];
}

/** A TLS-only layer that answers every request 200 over the transport layer's response routing. */
async function started(opts: { limits?: Partial<TcpLimits>; tls?: Partial<TlsServerSettings>; layer?: Partial<TransportLayerOptions> } = {}): Promise<Started> {
  const requests: SipRequest[] = [];
  const layer: TransportLayer = new TransportLayer({
    host: '127.0.0.1',
    port: 0,
    udp: false,
    tcp: false,
    maxMessageBytes: 65_535,
    tcpLimits: { ...LIMITS, ...opts.limits },
    tls: { port: 0, certFile: pki.serverCert, keyFile: pki.serverKey, minVersion: '1.2', requireClientCert: false, watchIntervalMs: 50, ...opts.tls },
    logger: pino({ level: 'silent' }),
    onRequest: (req, inbound) => {
      requests.push(req);
      void layer.sendResponse(createResponse(req, 200, { toTag: 't1' }), inbound);
    },
    onResponse: () => undefined,
    ...opts.layer,
  });
  const ports = await layer.listen();
  cleanups.push(() => layer.close());
  expect(ports.udpPort).toBeUndefined();
  return { layer, port: ports.tlsPort ?? 0, requests };
}

interface TlsPeer extends TcpPeer {
  readonly tlsSocket: tls.TLSSocket;
}

async function tlsPeer(port: number, options: tls.ConnectionOptions & { localAddress?: string } = {}): Promise<TlsPeer> {
  const socket = tls.connect({ host: '127.0.0.1', port, ca: pki.read(pki.caCert), ...options });
  await new Promise<void>((resolve, reject) => {
    socket.once('secureConnect', resolve);
    socket.once('error', reject);
  });
  const peer = wrapTcp(socket);
  cleanups.push(() => peer.close());
  return { ...peer, tlsSocket: socket };
}

/** How a TLS client's handshake to `port` ends: 'connected', the error's code, or 'closed' (refused before it). */
async function handshakeOutcome(port: number): Promise<string> {
  const socket = tls.connect({ host: '127.0.0.1', port, ca: pki.read(pki.caCert) });
  const outcome = await new Promise<string>((resolve) => {
    socket.once('secureConnect', () => resolve('connected'));
    socket.once('error', (err: Error & { code?: string }) => resolve(err.code ?? 'error'));
    socket.once('close', () => resolve('closed'));
  });
  socket.destroy();
  return outcome;
}

function options(branch: string, callId = 'c1'): string {
  return rawRequest({ via: `SIP/2.0/TLS 127.0.0.1;branch=z9hG4bK${branch}`, callId });
}

describe('TLS transport', () => {
  it('frames requests split across and packed into TLS records and answers over the same connection', async () => {
    const { port, requests } = await started();
    const peer = await tlsPeer(port);
    const one = options('a1', 'c-one');
    await peer.write(one.slice(0, 40));
    await peer.write(one.slice(40) + options('a2', 'c-two')); // the rest of one and a whole second
    const first = await peer.next();
    const second = await peer.next();
    expect(first.kind === 'response' && first.status).toBe(200);
    expect(second.kind === 'response' && getHeader(second, 'call-id')).toBe('c-two');
    expect(requests.map((r) => getHeader(r, 'call-id'))).toEqual(['c-one', 'c-two']);
    expect(getHeader(requests[0] ?? parseMessage(Buffer.from(one)), 'via')).toMatch(/^SIP\/2\.0\/TLS /);
  });

  it('applies the TCP limits to TLS connections: per-source cap, and a handshake that never comes is closed in time', async () => {
    const { layer, port, requests } = await started({ limits: { maxConnectionsPerIp: 2, incompleteMessageTimeoutMs: 300 } });
    const a = await tlsPeer(port);
    await a.write(options('b1'));
    await a.next();
    const b = await tlsPeer(port);
    await b.write(options('b2'));
    await b.next();
    // A third from the same source is closed before its handshake; one from 127.0.0.2 gets in.
    const outcome = await handshakeOutcome(port);
    expect(outcome).not.toBe('connected');
    expect(layer.tcpCounters.tcpRefusedPerIp).toBe(1);
    const other = await tlsPeer(port, { localAddress: '127.0.0.2' });
    await other.write(options('b3'));
    await other.next();
    expect(requests).toHaveLength(3);
    // A plain TCP connection that never starts its handshake holds its slot only until the incomplete timeout.
    const silent = net.connect({ host: '127.0.0.1', port, localAddress: '127.0.0.3' });
    const silentClosed = new Promise<void>((resolve) => silent.once('close', () => resolve()));
    silent.on('error', () => undefined);
    await silentClosed;
    expect(layer.tcpCounters.tcpClosedIncomplete).toBe(1);
    await waitFor(() => layer.tlsConnections === 3, 2_000, () => `${layer.tlsConnections} TLS connections`); // its slot is free again
  });

  it('counts TCP and TLS connections against one budget: a source at its cap over TCP gets no TLS connection', async () => {
    const { layer, port } = await started({ limits: { maxConnectionsPerIp: 2 }, layer: { tcp: true } });
    const tcpPort = layer.localAddressFor({ transport: 'tcp', address: '127.0.0.1', port: 5060 }).port;
    expect(tcpPort).not.toBe(port);
    const a = await tcpPeer(tcpPort);
    cleanups.push(() => a.close());
    await a.write(rawRequest({ via: 'SIP/2.0/TCP 127.0.0.1;branch=z9hG4bKc1', callId: 'c1' }));
    await a.next();
    const b = await tlsPeer(port);
    await b.write(options('c2', 'c2'));
    await b.next();
    // The source holds two (one of each): a third, over TLS, is refused before its handshake.
    const outcome = await handshakeOutcome(port);
    expect(outcome).not.toBe('connected');
    expect(layer.tcpCounters.tcpRefusedPerIp).toBe(1);
    // Its TCP connection closed, the source has room again for a TLS one.
    a.close();
    await waitFor(() => layer.tcpConnections === 0, 2_000, () => `${layer.tcpConnections} TCP connections`);
    const c = await tlsPeer(port);
    await c.write(options('c3', 'c3'));
    expect((await c.next()).kind).toBe('response');
  });

  it('mutual TLS: a client without a certificate (or with one of another CA) is refused and counted; one with the CA\'s certificate is served', async () => {
    const { layer, port } = await started({ tls: { requireClientCert: true, caFile: pki.caCert } });
    const bare = tls.connect({ host: '127.0.0.1', port, ca: pki.read(pki.caCert) });
    bare.on('error', () => undefined);
    bare.write(options('m0')); // TLS 1.3: the client thinks it is connected until the server's alert
    await new Promise<void>((resolve) => bare.once('close', () => resolve()));
    const other = makeTestPki();
    cleanups.push(() => other.remove());
    const stranger = tls.connect({ host: '127.0.0.1', port, ca: pki.read(pki.caCert), cert: other.read(other.clientCert), key: other.read(other.clientKey) });
    stranger.on('error', () => undefined);
    stranger.write(options('m1'));
    await new Promise<void>((resolve) => stranger.once('close', () => resolve()));
    await waitFor(() => layer.tlsCounters.tlsHandshakeFailures >= 2, 2_000, () => JSON.stringify(layer.tlsCounters));
    const client = await tlsPeer(port, { cert: pki.read(pki.clientCert), key: pki.read(pki.clientKey) });
    await client.write(options('m2'));
    const res = await client.next();
    expect(res.kind === 'response' && res.status).toBe(200);
  });

  it('refuses TLS 1.2 clients when minVersion is 1.3', async () => {
    const { port } = await started({ tls: { minVersion: '1.3' } });
    const old = tls.connect({ host: '127.0.0.1', port, ca: pki.read(pki.caCert), maxVersion: 'TLSv1.2' });
    const err = await new Promise<Error & { code?: string }>((resolve) => old.once('error', resolve));
    old.destroy();
    expect(err.code).toMatch(/ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION|ERR_SSL_UNSUPPORTED_PROTOCOL/);
    const ok = await tlsPeer(port);
    expect(ok.tlsSocket.getProtocol()).toBe('TLSv1.3');
  });
});

describe('TLS certificate reload', () => {
  it('a reissued certificate reaches new connections (file watch) while an open connection keeps working', async () => {
    const reloadPki = makeTestPki();
    cleanups.push(() => reloadPki.remove());
    const { port } = await started({ tls: { certFile: reloadPki.serverCert, keyFile: reloadPki.serverKey } });
    const ca = reloadPki.read(reloadPki.caCert);
    const open = await tlsPeer(port, { ca });
    const oldSerial = open.tlsSocket.getPeerCertificate().serialNumber;
    await open.write(options('r1'));
    await open.next();
    reloadPki.reissueServer();
    expect(await servedSerialAfterChange(port, ca, oldSerial)).not.toBe(oldSerial);
    // The connection opened before the reload is untouched: same certificate, still answered.
    expect(open.tlsSocket.getPeerCertificate().serialNumber).toBe(oldSerial);
    await open.write(options('r2', 'c-after'));
    const res = await open.next();
    expect(res.kind === 'response' && getHeader(res, 'call-id')).toBe('c-after');
  });

  it('a Kubernetes-style renewal (the secret volume swaps its ..data symlink) is seen too', async () => {
    const reloadPki = makeTestPki();
    cleanups.push(() => reloadPki.remove());
    const volume = mkdtempSync(join(tmpdir(), 'patchbay-secret-'));
    cleanups.push(() => rmSync(volume, { recursive: true, force: true }));
    const version = (name: string): void => {
      mkdirSync(join(volume, name));
      copyFileSync(reloadPki.serverCert, join(volume, name, 'tls.crt'));
      copyFileSync(reloadPki.serverKey, join(volume, name, 'tls.key'));
    };
    version('v1');
    symlinkSync('v1', join(volume, '..data'));
    symlinkSync('..data/tls.crt', join(volume, 'tls.crt'));
    symlinkSync('..data/tls.key', join(volume, 'tls.key'));
    const { port } = await started({ tls: { certFile: join(volume, 'tls.crt'), keyFile: join(volume, 'tls.key') } });
    const ca = reloadPki.read(reloadPki.caCert);
    const first = await tlsPeer(port, { ca });
    const oldSerial = first.tlsSocket.getPeerCertificate().serialNumber;
    first.close();
    reloadPki.reissueServer();
    version('v2');
    symlinkSync('v2', join(volume, '..data_tmp'));
    renameSync(join(volume, '..data_tmp'), join(volume, '..data')); // what the kubelet does: one atomic rename
    expect(await servedSerialAfterChange(port, ca, oldSerial)).not.toBe(oldSerial);
  });

  it('a bad certificate file is refused and the running certificate stays (reload(), as SIGHUP does)', async () => {
    const badPki = makeTestPki();
    cleanups.push(() => badPki.remove());
    const { layer, port } = await started({ tls: { certFile: badPki.serverCert, keyFile: badPki.serverKey, watchIntervalMs: 0 } });
    const ca = badPki.read(badPki.caCert);
    const before = (await tlsPeer(port, { ca })).tlsSocket.getPeerCertificate().serialNumber;
    writeFileSync(badPki.serverCert, '-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n');
    const result = await layer.reloadTls();
    expect(result?.ok).toBe(false);
    const after = await tlsPeer(port, { ca });
    expect(after.tlsSocket.getPeerCertificate().serialNumber).toBe(before);
    await after.write(options('k1'));
    const res = await after.next();
    expect(res.kind === 'response' && res.status).toBe(200);
    // A good reissue through reload() is taken (watching is off here: only the explicit reload reads the files).
    badPki.reissueServer();
    const good = await layer.reloadTls();
    expect(good?.ok).toBe(true);
    expect((await tlsPeer(port, { ca })).tlsSocket.getPeerCertificate().serialNumber).not.toBe(before);
  });
});

/** A TLS server standing in for a trunk: the SIP messages it decrypts. */
async function trunkServer(certPki: TestPki, options: tls.TlsOptions = {}): Promise<{ port: number; messages: SipRequest[]; close(): Promise<void> }> {
  const messages: SipRequest[] = [];
  const server = tls.createServer({ cert: certPki.read(certPki.serverCert), key: certPki.read(certPki.serverKey), ...options }, (socket) => {
    const framer = new StreamFramer(65_535);
    socket.on('data', (chunk: Buffer) => {
      for (const m of framer.push(chunk).messages) {
        const msg = parseMessage(m, { datagram: false });
        if (msg.kind === 'request') messages.push(msg);
      }
    });
    socket.on('error', () => undefined);
  });
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return { port, messages, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('TLS connections we open', () => {
  const invite = (): SipRequest => parseMessage(Buffer.from(rawRequest({ via: 'SIP/2.0/TLS 127.0.0.1:5061;branch=z9hG4bKo1', method: 'OPTIONS' }))) as SipRequest;

  it('verify the peer against the profile CA and the name, with our client certificate when asked', async () => {
    const trunk = await trunkServer(pki, { requestCert: true, rejectUnauthorized: true, ca: pki.read(pki.caCert) });
    cleanups.push(() => trunk.close());
    const { layer } = await started();
    layer.setTlsPeer({ address: '127.0.0.1', port: trunk.port }, { serverName: 'localhost', ca: pki.read(pki.caCert), cert: pki.read(pki.clientCert), key: pki.read(pki.clientKey), verify: true });
    await layer.sendTo(invite(), { transport: 'tls', address: '127.0.0.1', port: trunk.port });
    await waitFor(() => trunk.messages.length === 1, 2_000);
    expect(trunk.messages[0]?.method).toBe('OPTIONS');
    expect(layer.tlsConnections).toBe(1);
  });

  it('a certificate of another CA, or a wrong name, fails the send with TlsFailed; nothing is sent in plaintext', async () => {
    const other = makeTestPki();
    cleanups.push(() => other.remove());
    const trunk = await trunkServer(other); // its certificate chains to another CA
    cleanups.push(() => trunk.close());
    const { layer } = await started();
    const target = { transport: 'tls' as const, address: '127.0.0.1', port: trunk.port };
    layer.setTlsPeer(target, { ca: pki.read(pki.caCert), verify: true });
    const err = await layer.sendTo(invite(), target).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(SipTransportError);
    expect((err as SipTransportError).code).toBe(SipTransportErrorCode.TlsFailed);
    expect((err as SipTransportError).status).toBe(503);
    // Right CA, wrong name: refused too.
    layer.setTlsPeer(target, { serverName: 'sip.example.net', ca: other.read(other.caCert), verify: true });
    const err2 = await layer.sendTo(invite(), target).then(() => undefined, (e: unknown) => e);
    expect((err2 as SipTransportError).code).toBe(SipTransportErrorCode.TlsFailed);
    expect(layer.tlsCounters.tlsConnectFailures).toBe(2);
    expect(trunk.messages).toHaveLength(0);
    // The right CA and name: delivered.
    layer.setTlsPeer(target, { serverName: 'localhost', ca: other.read(other.caCert), verify: true });
    await layer.sendTo(invite(), target);
    await waitFor(() => trunk.messages.length === 1, 2_000);
  });
});

describe('no plaintext, ever', () => {
  it('a peer that does not speak TLS gets a ClientHello and nothing else; the send fails with TlsFailed', async () => {
    const received: Buffer[] = [];
    let connections = 0;
    const plain = net.createServer((socket) => {
      connections++;
      socket.once('data', (chunk: Buffer) => {
        received.push(chunk);
        socket.destroy(); // not TLS: hang up on the handshake
      });
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => plain.close(() => resolve())));
    const address = plain.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    const { layer } = await started();
    const request = parseMessage(Buffer.from(rawRequest({ via: 'SIP/2.0/TLS 127.0.0.1:5061;branch=z9hG4bKp1' })));
    const err = await layer.sendTo(request, { transport: 'tls', address: '127.0.0.1', port }).then(() => undefined, (e: unknown) => e);
    expect((err as SipTransportError).code).toBe(SipTransportErrorCode.TlsFailed);
    expect(connections).toBe(1); // no second attempt
    const bytes = Buffer.concat(received);
    expect(bytes[0]).toBe(0x16); // a TLS handshake record
    expect(bytes.includes(Buffer.from('OPTIONS'))).toBe(false);
  });
});

/** The serial a new connection is served once it differs from `oldSerial` (a reload took effect); waits up to 5 s. */
async function servedSerialAfterChange(port: number, ca: string | Buffer, oldSerial: string): Promise<string> {
  let newSerial = oldSerial;
  await waitFor(
    async () => {
      const probe = await tlsPeer(port, { ca });
      newSerial = probe.tlsSocket.getPeerCertificate().serialNumber;
      probe.close();
      return newSerial !== oldSerial;
    },
    5_000,
    () => `still serial ${newSerial}`,
  );
  return newSerial;
}
