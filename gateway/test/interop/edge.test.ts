/**
 * The SIP edge on a live gateway, over real loopback sockets: a carrier on 127.0.0.1 (in a trunk's allow-list) and
 * strangers on 127.0.0.2/.3. What a stranger gets is either nothing at all (counted) or, for an INVITE, the same
 * answer whatever number it dials. "Nothing": the stranger's request is sent first and the carrier's after it; the
 * carrier's answer arriving proves the stranger's was processed (one socket, in order) and went unanswered.
 */
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { waitFor } from '../helpers/wait-for.js';

const KNOWN = '+15550100001';
const UNKNOWN = '+15550199999';

/** A UDP peer bound to one loopback address, collecting every datagram it receives. */
class Peer {
  readonly received: string[] = [];
  private constructor(private readonly socket: Socket) {
    socket.on('message', (m: Buffer) => this.received.push(m.toString('latin1')));
    socket.on('error', () => undefined);
  }

  static async on(address: string): Promise<Peer> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, address, () => resolve());
    });
    return new Peer(socket);
  }

  get address(): string {
    const a = this.socket.address();
    return `${a.address}:${a.port}`;
  }

  send(gw: TestGateway, text: string): void {
    this.socket.send(Buffer.from(text, 'latin1'), gw.sipPort, gw.host);
  }

  /** The first received message whose start line matches, within `timeoutMs`. */
  async next(match: RegExp, timeoutMs = 3_000): Promise<string> {
    await waitFor(() => this.received.some((m) => match.test(m.split('\r\n')[0] ?? '')), timeoutMs, () => `received: ${this.received.join('\n---\n')}`);
    const found = this.received.find((m) => match.test(m.split('\r\n')[0] ?? ''));
    if (found === undefined) throw new Error('unreachable');
    return found;
  }

  close(): void {
    this.socket.close();
  }
}

interface RequestOptions {
  readonly method?: string;
  readonly user?: string;
  readonly userAgent?: string;
  readonly callId?: string;
  readonly branch?: string;
}

function request(gw: TestGateway, peer: Peer, o: RequestOptions = {}): string {
  const method = o.method ?? 'OPTIONS';
  return [
    `${method} sip:${o.user ?? 'patchbay'}@${gw.host}:${gw.sipPort} SIP/2.0`,
    `Via: SIP/2.0/UDP ${peer.address};branch=${o.branch ?? `z9hG4bK${randomBytes(6).toString('hex')}`};rport`,
    'Max-Forwards: 70',
    `From: <sip:caller@${peer.address}>;tag=f1`,
    `To: <sip:gateway@${gw.host}>`,
    `Call-ID: ${o.callId ?? randomBytes(8).toString('hex')}`,
    `CSeq: 1 ${method}`,
    `Contact: <sip:caller@${peer.address}>`,
    ...(o.userAgent === undefined ? [] : [`User-Agent: ${o.userAgent}`]),
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

/** The carrier's OPTIONS answered: everything the gateway received before it has been handled. */
async function flush(gw: TestGateway, carrier: Peer): Promise<void> {
  const callId = randomBytes(8).toString('hex');
  carrier.send(gw, request(gw, carrier, { callId }));
  await waitFor(() => carrier.received.some((m) => m.includes(callId)), 3_000, () => 'the carrier got no answer');
}

describe('the SIP edge on a live gateway', () => {
  let gw: TestGateway | undefined;
  const peers: Peer[] = [];
  const peer = async (address: string): Promise<Peer> => {
    const p = await Peer.on(address);
    peers.push(p);
    return p;
  };

  afterEach(async () => {
    for (const p of peers.splice(0)) p.close();
    await gw?.close();
    gw = undefined;
  });

  it('unknownSources: drop: a stranger gets no answer at all (counted), the carrier is answered', async () => {
    gw = await startTestGateway({ sip: { unknownSources: 'drop', edge: { exempt: [] } }, trunks: [{ name: 'carrier', allow: ['127.0.0.1'] }], numbers: { [KNOWN]: { agent: 'echo' } } });
    const carrier = await peer('127.0.0.1');
    const stranger = await peer('127.0.0.2');
    stranger.send(gw, request(gw, stranger));
    stranger.send(gw, request(gw, stranger, { method: 'INVITE', user: KNOWN }));
    await flush(gw, carrier);
    expect(stranger.received).toEqual([]);
    const stats = await gw.gateway.stats();
    expect(stats.edge.dropped['unknown-source']).toBe(2);
    // A TCP connection from the stranger is closed at once, before it can send anything.
    const closed = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port: gw?.sipPort ?? 0, localAddress: '127.0.0.2' });
      socket.on('error', () => resolve(true));
      socket.on('close', () => resolve(true));
      socket.on('data', () => resolve(false));
    });
    expect(closed).toBe(true);
    await waitFor(async () => (await gw?.gateway.stats())?.edge.connectionsRefused === 1, 3_000);
  });

  it('unknownSources: answer (the default): a stranger is answered as before', async () => {
    gw = await startTestGateway({ sip: { edge: { exempt: [] } }, trunks: [{ name: 'carrier', allow: ['127.0.0.1'] }] });
    const stranger = await peer('127.0.0.2');
    stranger.send(gw, request(gw, stranger));
    expect(await stranger.next(/^SIP\/2\.0 200/)).toMatch(/^SIP\/2\.0 200/);
  });

  it('a scanner is dropped unanswered and its source banned; /metrics counts both', async () => {
    gw = await startTestGateway({ sip: { edge: { exempt: [] } }, trunks: [{ name: 'carrier', allow: ['127.0.0.1'] }] });
    const carrier = await peer('127.0.0.1');
    const scanner = await peer('127.0.0.3');
    scanner.send(gw, request(gw, scanner, { userAgent: 'friendly-scanner' }));
    scanner.send(gw, request(gw, scanner, { userAgent: 'Linphone' })); // banned now, whatever it says
    carrier.send(gw, request(gw, carrier, { userAgent: 'friendly-scanner' })); // a trusted source is never checked
    await flush(gw, carrier);
    expect(scanner.received).toEqual([]);
    expect(carrier.received).toHaveLength(2);
    const stats = await gw.gateway.stats();
    expect(stats.edge).toMatchObject({ bansTotal: 1, bansActive: 1, dropped: { scanner: 1, banned: 1 } });
    const metrics = await gw.metrics();
    expect(metrics).toMatch(/^patchbay_sip_edge_dropped_total\{reason="scanner"\} 1$/m);
    expect(metrics).toMatch(/^patchbay_sip_edge_dropped_total\{reason="banned"\} 1$/m);
    expect(metrics).toMatch(/^patchbay_sip_edge_bans_total 1$/m);
    expect(metrics).toMatch(/^patchbay_sip_edge_bans_active 1$/m);
  });

  it('a source over the rate is banned: its burst is answered, the rest is not', async () => {
    gw = await startTestGateway({ sip: { edge: { exempt: [], requestsPerSecond: 1, burst: 5 } }, trunks: [{ name: 'carrier', allow: ['127.0.0.1'] }] });
    const carrier = await peer('127.0.0.1');
    const flooder = await peer('127.0.0.2');
    for (let i = 0; i < 50; i++) flooder.send(gw, request(gw, flooder));
    await waitFor(async () => (await gw?.gateway.stats())?.edge.bansActive === 1, 3_000);
    await flush(gw, carrier);
    // Loopback UDP may drop a datagram under a burst, never add one: at most the burst is answered.
    expect(flooder.received.length).toBeGreaterThan(0);
    expect(flooder.received.length).toBeLessThanOrEqual(5);
    const { edge } = await gw.gateway.stats();
    expect(edge.dropped.rate).toBe(1);
    expect(edge.dropped.rate + edge.dropped.banned + flooder.received.length).toBeLessThanOrEqual(50);
  });
});

/** Status line and headers with the per-request randomness masked: branch, tags, the nonce's value (not its length). */
function masked(message: string): string {
  return message
    .replace(/branch=[^;\r\n,]+/g, 'branch=*')
    .replace(/tag=[^;\r\n,>]+/g, 'tag=*')
    .replace(/nonce="([^"]*)"/g, (_, n: string) => `nonce="${'*'.repeat(n.length)}"`);
}

describe('no number enumeration for untrusted sources', () => {
  let gw: TestGateway | undefined;
  const peers: Peer[] = [];

  afterEach(async () => {
    for (const p of peers.splice(0)) p.close();
    await gw?.close();
    gw = undefined;
  });

  const trunks = {
    allowOnly: [{ name: 'carrier', allow: ['127.0.0.1'] }],
    withDigest: [
      { name: 'carrier', allow: ['127.0.0.1'] },
      { name: 'pbx', auth: { username: 'pbx', password: 'correct-horse-battery' } },
    ],
  };

  it.each([
    ['an allow-list trunk', 'allowOnly', 403],
    ['an allow-list and a digest-only trunk', 'withDigest', 401],
  ] as const)('with %s: a stranger gets the same answer, byte for byte but tags/branch/nonce, for a known and an unknown number; the carrier gets 404', async (_, which, status) => {
    gw = await startTestGateway({ sip: { edge: { exempt: [] } }, trunks: trunks[which], numbers: { [KNOWN]: { agent: 'echo' } } });
    const stranger = await Peer.on('127.0.0.2');
    const carrier = await Peer.on('127.0.0.1');
    peers.push(stranger, carrier);
    const callId = randomBytes(8).toString('hex');
    stranger.send(gw, request(gw, stranger, { method: 'INVITE', user: KNOWN, callId }));
    const known = await stranger.next(/^SIP\/2\.0 [2-6]\d\d/);
    stranger.received.length = 0;
    stranger.send(gw, request(gw, stranger, { method: 'INVITE', user: UNKNOWN, callId }));
    const unknown = await stranger.next(/^SIP\/2\.0 [2-6]\d\d/);
    expect(known.startsWith(`SIP/2.0 ${status} `)).toBe(true);
    expect(masked(unknown)).toBe(masked(known));
    // Trusted, the carrier learns the number has no route: 404, as carriers expect (their retry logic reads it).
    carrier.send(gw, request(gw, carrier, { method: 'INVITE', user: UNKNOWN }));
    expect(await carrier.next(/^SIP\/2\.0 [3-6]\d\d/)).toMatch(/^SIP\/2\.0 404 /);
  });
});
