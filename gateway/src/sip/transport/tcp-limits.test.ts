/**
 * TCP limits (issue 11): a per-source connection cap next to the global one, an idle timeout that CRLF pings alone
 * cannot defeat, and an incomplete-message timeout for trickled heads. Real sockets on loopback; 127.0.0.2 plays a
 * second source.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import type { SipRequest } from '../message.js';
import { waitFor } from '../../../test/helpers/wait-for.js';
import { rawRequest, wrapTcp, type TcpPeer } from './test-peers.js';
import { TransportLayer } from './transport-layer.js';
import type { TcpLimits } from './types.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const LIMITS: TcpLimits = { maxConnections: 100, maxConnectionsPerIp: 100, idleTimeoutMs: 60_000, incompleteMessageTimeoutMs: 60_000 };

async function started(limits: Partial<TcpLimits>): Promise<{ layer: TransportLayer; port: number; requests: SipRequest[] }> {
  const requests: SipRequest[] = [];
  const layer = new TransportLayer({
    host: '127.0.0.1',
    port: 0,
    udp: false,
    tcp: true,
    maxMessageBytes: 65_535,
    tcpLimits: { ...LIMITS, ...limits },
    logger: pino({ level: 'silent' }),
    onRequest: (req) => requests.push(req),
    onResponse: () => undefined,
  });
  const ports = await layer.listen();
  cleanups.push(() => layer.close());
  return { layer, port: ports.tcpPort ?? 0, requests };
}

async function connect(port: number, localAddress = '127.0.0.1'): Promise<TcpPeer> {
  const socket = net.connect({ host: '127.0.0.1', port, localAddress });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const peer = wrapTcp(socket);
  cleanups.push(() => peer.close());
  return peer;
}

function options(branch: string): string {
  return rawRequest({ via: `SIP/2.0/TCP 127.0.0.1;branch=z9hG4bK${branch}` });
}

describe('TCP limits', () => {
  it('caps connections per source address; another source still connects', async () => {
    const { layer, port, requests } = await started({ maxConnectionsPerIp: 3 });
    const held: TcpPeer[] = [];
    for (let i = 0; i < 3; i++) {
      const peer = await connect(port);
      await peer.write(options(`held${i}`));
      held.push(peer);
    }
    await waitFor(() => requests.length === 3, 2_000, () => `${requests.length} requests`);
    const refused = await connect(port);
    await refused.closed;
    expect(layer.tcpCounters.tcpRefusedPerIp).toBe(1);

    const other = await connect(port, '127.0.0.2');
    await other.write(options('other'));
    await waitFor(() => requests.length === 4, 2_000, () => `${requests.length} requests`);
    expect(layer.tcpConnections).toBe(4);
    for (const peer of held) expect(peer.socket.destroyed).toBe(false);

    // A slot freed by its source can be taken again.
    held[0]?.close();
    await waitFor(() => layer.tcpConnections === 3, 2_000, () => `${layer.tcpConnections} connections`);
    const again = await connect(port);
    await again.write(options('again'));
    await waitFor(() => requests.length === 5, 2_000, () => `${requests.length} requests`);
  });

  it('keeps the global cap across sources', async () => {
    const { layer, port } = await started({ maxConnections: 2, maxConnectionsPerIp: 2 });
    await connect(port);
    await connect(port, '127.0.0.2');
    await waitFor(() => layer.tcpConnections === 2, 2_000);
    const refused = await connect(port, '127.0.0.3');
    await refused.closed;
    expect(layer.tcpCounters.tcpRefusedLimit).toBe(1);
  });

  it('closes a connection that only sends CRLF keep-alives (no SIP message) after the first-message deadline', async () => {
    const { layer, port } = await started({ incompleteMessageTimeoutMs: 300 });
    const peer = await connect(port);
    const pongs: Buffer[] = [];
    peer.socket.on('data', (d: Buffer) => pongs.push(d));
    let closed = false;
    void peer.closed.then(() => (closed = true));
    for (let i = 0; i < 40 && !closed; i++) {
      peer.socket.write('\r\n\r\n');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(closed).toBe(true);
    expect(pongs.length).toBeGreaterThan(0); // the pings were answered, yet did not keep the slot
    expect(layer.tcpCounters.tcpClosedIncomplete).toBe(1);
  });

  it('closes an idle connection, but RFC 5626 pings keep a connection that has carried SIP alive', async () => {
    const { layer, port, requests } = await started({ idleTimeoutMs: 300 });
    const silent = await connect(port);
    await silent.write(options('silent'));
    const pinging = await connect(port);
    await pinging.write(options('pinging'));
    await waitFor(() => requests.length === 2, 2_000);
    let silentClosedAt = 0;
    void silent.closed.then(() => (silentClosedAt = performance.now()));
    const start = performance.now();
    // Ping every 100 ms for ~1 s: more than three idle timeouts.
    for (let i = 0; i < 10; i++) {
      pinging.socket.write('\r\n\r\n');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(silentClosedAt).toBeGreaterThan(0);
    expect(silentClosedAt - start).toBeLessThan(900);
    expect(pinging.socket.destroyed).toBe(false);
    expect(layer.tcpCounters.tcpClosedIdle).toBe(1);
    await pinging.closed; // once the pings stop, the idle timeout closes it too
    expect(layer.tcpCounters.tcpClosedIdle).toBe(2);
  });

  it('drops a head trickled a byte at a time after the incomplete-message timeout', async () => {
    const { layer, port, requests } = await started({ incompleteMessageTimeoutMs: 400 });
    const peer = await connect(port);
    await peer.write(options('first')); // the connection is established and has spoken
    await waitFor(() => requests.length === 1, 2_000);
    const raw = Buffer.from(options('trickled'));
    let closed = false;
    void peer.closed.then(() => (closed = true));
    let sent = 0;
    for (; sent < raw.length && !closed; sent++) {
      peer.socket.write(raw.subarray(sent, sent + 1));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(closed).toBe(true);
    expect(sent).toBeLessThan(raw.length);
    expect(requests).toHaveLength(1);
    expect(layer.tcpCounters.tcpClosedIncomplete).toBe(1);
  });
});
