import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { getHeader, getHeaders, type SipRequest, type SipResponse } from '../message.js';
import { createResponse } from '../response.js';
import { serializeMessage } from '../serialize.js';
import { rawRequest, tcpPeer, udpPeer, wrapTcp, type TcpPeer, type UdpPeer } from './test-peers.js';
import { TransportLayer, type TransportLayerOptions } from './transport-layer.js';
import type { InboundContext } from './types.js';

const LIMITS = { maxConnections: 10, maxConnectionsPerIp: 10, idleTimeoutMs: 60_000, incompleteMessageTimeoutMs: 60_000 };

interface Received {
  req: SipRequest;
  inbound: InboundContext;
}

class Harness {
  readonly requests: Received[] = [];
  readonly responses: SipResponse[] = [];
  private waiters: (() => void)[] = [];
  readonly layer: TransportLayer;

  constructor(options: Partial<TransportLayerOptions> = {}) {
    this.layer = new TransportLayer({
      host: '127.0.0.1',
      port: 0,
      udp: true,
      tcp: true,
      maxMessageBytes: 65_535,
      tcpLimits: LIMITS,
      logger: pino({ level: 'silent' }),
      onRequest: (req, inbound) => {
        this.requests.push({ req, inbound });
        this.wake();
      },
      onResponse: (res) => {
        this.responses.push(res);
        this.wake();
      },
      ...options,
    });
  }

  /** Resolves once `n` requests have arrived. */
  async requestsArrived(n: number): Promise<Received[]> {
    while (this.requests.length < n) await new Promise<void>((resolve) => this.waiters.push(resolve));
    return this.requests;
  }

  async responseArrived(): Promise<SipResponse> {
    while (this.responses.length === 0) await new Promise<void>((resolve) => this.waiters.push(resolve));
    const first = this.responses[0];
    if (first === undefined) throw new Error('unreachable');
    return first;
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function started(options: Partial<TransportLayerOptions> = {}) {
  const h = new Harness(options);
  const ports = await h.layer.listen();
  cleanups.push(() => h.layer.close());
  const port = ports.udpPort ?? ports.tcpPort ?? 0;
  return { h, ports, port };
}

async function peer(): Promise<UdpPeer> {
  const p = await udpPeer();
  cleanups.push(() => p.close());
  return p;
}

async function tcp(port: number): Promise<TcpPeer> {
  const p = await tcpPeer(port);
  cleanups.push(() => p.close());
  return p;
}

function first(list: Received[]): Received {
  const item = list[0];
  if (item === undefined) throw new Error('no request');
  return item;
}

describe('TransportLayer over UDP', () => {
  it('binds UDP and TCP on the same port when given port 0', async () => {
    const { ports } = await started();
    expect(ports.udpPort).toBeGreaterThan(0);
    expect(ports.tcpPort).toBe(ports.udpPort);
  });

  it('stamps received and rport, and routes the response to them (RFC 3581)', async () => {
    const { h, port } = await started();
    const p = await peer();
    await p.send(rawRequest({ via: 'SIP/2.0/UDP 10.9.9.9:5099;branch=z9hG4bKr1;rport' }), port);
    const { req, inbound } = first(await h.requestsArrived(1));
    expect(getHeaders(req, 'via')).toEqual([
      `SIP/2.0/UDP 10.9.9.9:5099;branch=z9hG4bKr1;rport=${p.port};received=127.0.0.1`,
    ]);
    expect(inbound.remote).toEqual({ transport: 'udp', address: '127.0.0.1', port: p.port });
    await h.layer.sendResponse(createResponse(req, 200, { toTag: 'x' }), inbound);
    const res = await p.next();
    expect(res.kind === 'response' && res.status).toBe(200);
  });

  it('without rport, sends the response to the sent-by port', async () => {
    const { h, port } = await started();
    const sender = await peer();
    const listener = await peer();
    await sender.send(rawRequest({ via: `SIP/2.0/UDP 127.0.0.1:${listener.port};branch=z9hG4bKr2` }), port);
    const { req, inbound } = first(await h.requestsArrived(1));
    expect(getHeader(req, 'via')).toBe(`SIP/2.0/UDP 127.0.0.1:${listener.port};branch=z9hG4bKr2`);
    await h.layer.sendResponse(createResponse(req, 486, { toTag: 'x' }), inbound);
    const res = await listener.next();
    expect(res.kind === 'response' && res.status).toBe(486);
    expect(sender.pending).toBe(0);
  });

  it('answers a malformed request 400 when Via, From, To, Call-ID and CSeq survived', async () => {
    const { h, port } = await started();
    const p = await peer();
    await p.send(rawRequest({ via: 'SIP/2.0/UDP 10.9.9.9:5099;branch=z9hG4bKm1;rport', contentLength: '40' }), port);
    const res = await p.next();
    if (res.kind !== 'response') throw new Error('expected a response');
    expect(res.status).toBe(400);
    expect(res.reason).toMatch(/^Bad Request - /);
    expect(getHeader(res, 'call-id')).toBe('c1');
    expect(getHeader(res, 'to')).toMatch(/;tag=/);
    expect(h.layer.counters).toEqual({ received: 1, malformed: 1, dropped: 1, gated: 0 });
    expect(h.requests).toEqual([]);
  });

  it('answers a request of another SIP version 505 over UDP and TCP (RFC 4475 badvers)', async () => {
    const { h, ports, port } = await started();
    const p = await peer();
    const badvers = (via: string): string =>
      rawRequest({ via }).replace('OPTIONS sip:bob@127.0.0.1 SIP/2.0', 'OPTIONS sip:bob@127.0.0.1 SIP/7.0');
    await p.send(badvers('SIP/7.0/UDP c.example.com;branch=z9hG4bKv1;rport'), port);
    const res = await p.next();
    expect(res.kind === 'response' && [res.status, res.reason]).toEqual([505, 'Version Not Supported - SIP/7.0']);
    const c = await tcp(ports.tcpPort ?? 0);
    await c.write(badvers('SIP/7.0/TCP c.example.com;branch=z9hG4bKv2'));
    const overTcp = await c.next();
    expect(overTcp.kind === 'response' && overTcp.status).toBe(505);
    expect(h.requests).toEqual([]);
  });

  it('drops and counts garbage, malformed ACKs and headless requests, ignores CRLF keep-alives, and keeps serving', async () => {
    const { h, port } = await started();
    const p = await peer();
    await p.send('\r\n\r\n', port);
    await p.send('hello world\r\n\r\n', port);
    await p.send(Buffer.from([0, 1, 2, 3, 0xff]), port);
    await p.send(rawRequest({ method: 'ACK', via: 'SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKa', contentLength: '9' }), port);
    await p.send(`OPTIONS sip:b@x SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${p.port}\r\nContent-Length: 5\r\n\r\n`, port);
    await p.send(rawRequest({ via: `SIP/2.0/UDP 127.0.0.1:${p.port};branch=z9hG4bKok` }), port);
    const { req, inbound } = first(await h.requestsArrived(1));
    await h.layer.sendResponse(createResponse(req, 200, { toTag: 'x' }), inbound);
    // Datagrams on loopback keep their order: had any bad one been answered, that answer would come first.
    const res = await p.next();
    expect(res.kind === 'response' && getHeader(res, 'cseq')).toBe('1 OPTIONS');
    expect(res.kind === 'response' && res.status).toBe(200);
    expect(h.layer.counters).toEqual({ received: 5, malformed: 4, dropped: 4, gated: 0 });
  });
});

describe('TransportLayer over TCP', () => {
  it('reassembles a message written in three chunks and answers on the same connection', async () => {
    const { h, ports } = await started();
    const c = await tcp(ports.tcpPort ?? 0);
    const raw = rawRequest({ via: 'SIP/2.0/TCP 10.9.9.9:5099;branch=z9hG4bKt1', body: 'v=0\r\n' });
    await c.write(raw.slice(0, 15));
    await c.write(raw.slice(15, 80));
    await c.write(raw.slice(80));
    const { req, inbound } = first(await h.requestsArrived(1));
    expect(req.body.toString()).toBe('v=0\r\n');
    expect(inbound.remote).toEqual({ transport: 'tcp', address: '127.0.0.1', port: c.localPort });
    expect(h.layer.tcpConnections).toBe(1);
    // sent-by is unreachable: the response can only arrive over the request's connection.
    await h.layer.sendResponse(createResponse(req, 200, { toTag: 'x' }), inbound);
    const res = await c.next();
    expect(res.kind === 'response' && res.status).toBe(200);
  });

  it('splits two messages that arrive in one chunk', async () => {
    const { h, ports } = await started();
    const c = await tcp(ports.tcpPort ?? 0);
    const a = rawRequest({ via: 'SIP/2.0/TCP 127.0.0.1;branch=z9hG4bKa', callId: 'a', body: 'abc' });
    const b = rawRequest({ via: 'SIP/2.0/TCP 127.0.0.1;branch=z9hG4bKb', callId: 'b' });
    await c.write(`\r\n\r\n${a}${b}`);
    const got = await h.requestsArrived(2);
    expect(got.map((r) => getHeader(r.req, 'call-id'))).toEqual(['a', 'b']);
    expect(got[0]?.req.body.toString()).toBe('abc');
  });

  it('closes the connection on a framing error and counts it', async () => {
    const { h, ports } = await started();
    const c = await tcp(ports.tcpPort ?? 0);
    await c.write(rawRequest({ via: 'SIP/2.0/TCP 127.0.0.1;branch=z9hG4bKf', noContentLength: true }));
    await c.closed;
    expect(h.layer.counters.malformed).toBe(1);
    expect(h.requests).toEqual([]);
  });

  it('opens a new connection to sent-by when the request connection is gone', async () => {
    const { h, ports } = await started();
    const server = await tcpServer();
    const c = await tcp(ports.tcpPort ?? 0);
    await c.write(rawRequest({ via: `SIP/2.0/TCP 127.0.0.1:${server.port};branch=z9hG4bKn` }));
    const { req, inbound } = first(await h.requestsArrived(1));
    await h.layer.sendResponse(createResponse(req, 200, { toTag: 'x' }), { remote: inbound.remote, connectionId: 9999 });
    const res = await (await server.accepted).next();
    expect(res.kind === 'response' && res.status).toBe(200);
    expect(h.layer.tcpConnections).toBe(2);
  });

  it('sends requests on a new outbound connection and receives the responses on it', async () => {
    const { h } = await started();
    const server = await tcpServer();
    const req: SipRequest = {
      kind: 'request',
      method: 'OPTIONS',
      uri: 'sip:x@127.0.0.1',
      headers: [
        { name: 'Via', value: 'SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bKout' },
        { name: 'From', value: '<sip:a@x>;tag=1' },
        { name: 'To', value: '<sip:b@x>' },
        { name: 'Call-ID', value: 'out1' },
        { name: 'CSeq', value: '1 OPTIONS' },
      ],
      body: Buffer.alloc(0),
    };
    await h.layer.sendTo(req, { transport: 'tcp', address: '127.0.0.1', port: server.port });
    const conn = await server.accepted;
    const got = await conn.next();
    if (got.kind !== 'request') throw new Error('expected a request');
    expect(getHeader(got, 'call-id')).toBe('out1');
    await conn.write(serializeMessage(createResponse(got, 200, { toTag: 'peer' })));
    const res = await h.responseArrived();
    expect(res.status).toBe(200);
    expect(getHeader(res, 'call-id')).toBe('out1');
  });

  it('refuses connections over the limit', async () => {
    const { h, ports } = await started({ tcpLimits: { ...LIMITS, maxConnections: 1 } });
    const a = await tcp(ports.tcpPort ?? 0);
    await a.write(rawRequest({ via: 'SIP/2.0/TCP 127.0.0.1;branch=z9hG4bKl1' }));
    await h.requestsArrived(1);
    const b = await tcp(ports.tcpPort ?? 0);
    await b.closed;
    expect(h.layer.counters.dropped).toBe(1);
    expect(h.layer.tcpConnections).toBe(1);
  });

  it('closes idle connections', async () => {
    const { h, ports } = await started({ tcpLimits: { ...LIMITS, idleTimeoutMs: 50 } });
    const c = await tcp(ports.tcpPort ?? 0);
    await c.write(rawRequest({ via: 'SIP/2.0/TCP 127.0.0.1;branch=z9hG4bKi' }));
    await h.requestsArrived(1);
    await c.closed;
    expect(c.socket.destroyed).toBe(true);
  });
});

/** A TCP server peer on loopback; its first accepted connection is `accepted`. */
async function tcpServer(): Promise<{ port: number; accepted: Promise<TcpPeer> }> {
  const sockets = new Set<net.Socket>();
  let onAccept: (peer: TcpPeer) => void = () => undefined;
  const accepted = new Promise<TcpPeer>((resolve) => {
    onAccept = resolve;
  });
  const server = net.createServer((socket) => {
    sockets.add(socket);
    onAccept(wrapTcp(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const address = server.address();
  return { port: typeof address === 'object' && address !== null ? address.port : 0, accepted };
}
