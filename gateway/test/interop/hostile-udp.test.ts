/**
 * A hostile or spoofing source over UDP, seen from the network (issue 11, "memory and amplification"):
 *
 * - a flood of requests whose To tag names no dialog (OPTIONS and BYE with random Call-IDs) is answered once each,
 *   statelessly, with 481, and leaves no transactions behind (on the old stack each one held a transaction for
 *   64*T1, outside the transaction cap);
 * - an INVITE refused at admission (404 unknown number, 403 source outside the allow-list, 401 challenge) gets
 *   exactly one datagram back, however long we listen and without an ACK: no 100 Trying and no Timer G
 *   retransmissions that a spoofed source would turn into amplification. A retransmitted INVITE gets one more reply
 *   (1:1) and the ACK is absorbed without an answer.
 *
 * Short timers (T1 = 50 ms, T2 = 200 ms) make a stateful final response retransmit ~15 times within Timer H
 * (3.2 s), so the 10 s window would see them all.
 */
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestGateway, waitFor, type TestGateway } from '../helpers/gateway.js';
import { header, parseSip, type SipMessage } from '../helpers/sip-text.js';

const TIMERS = { t1Ms: 50, t2Ms: 200, t4Ms: 500 };
const LISTEN_MS = 10_000;

interface Received {
  readonly bytes: number;
  readonly msg: SipMessage;
}

/** A raw UDP peer on a loopback address: sends text, keeps every datagram it receives (or hands it to `onMessage`). */
class UdpPeer {
  readonly received: Received[] = [];
  /** Set to see each message instead of keeping it (a flood's answers would weigh on the RSS being measured). */
  onMessage?: (msg: SipMessage) => void;
  private constructor(
    private readonly socket: Socket,
    readonly address: string,
    readonly port: number,
  ) {
    socket.on('message', (buf) => {
      const msg = parseSip(buf.toString('utf8'));
      if (msg === undefined) return;
      if (this.onMessage) this.onMessage(msg);
      else this.received.push({ bytes: buf.length, msg });
    });
  }

  static async open(address: string): Promise<UdpPeer> {
    const socket = createSocket('udp4');
    socket.setMaxListeners(0);
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, address, () => resolve());
    });
    socket.setRecvBufferSize(8 * 1024 * 1024);
    return new UdpPeer(socket, address, socket.address().port);
  }

  send(text: string, port: number, host = '127.0.0.1'): Promise<void> {
    return new Promise((resolve, reject) => this.socket.send(text, port, host, (err) => (err ? reject(err) : resolve())));
  }

  close(): void {
    this.socket.close();
  }
}

const token = (): string => randomBytes(8).toString('hex');

function request(peer: UdpPeer, o: { method: string; uri: string; callId: string; branch: string; toTag?: string; fromTag?: string; cseq?: number; extra?: string[] }): string {
  const cseq = o.cseq ?? 1;
  const lines = [
    `${o.method} ${o.uri} SIP/2.0`,
    `Via: SIP/2.0/UDP ${peer.address}:${peer.port};branch=${o.branch};rport`,
    'Max-Forwards: 70',
    `From: <sip:scanner@${peer.address}>;tag=${o.fromTag ?? 'f1'}`,
    `To: <${o.uri}>${o.toTag === undefined ? '' : `;tag=${o.toTag}`}`,
    `Call-ID: ${o.callId}`,
    `CSeq: ${cseq} ${o.method === 'ACK' ? 'ACK' : o.method}`,
    `Contact: <sip:scanner@${peer.address}:${peer.port}>`,
    ...(o.extra ?? []),
  ];
  return `${lines.join('\r\n')}\r\nContent-Length: 0\r\n\r\n`;
}

async function sipStats(gw: TestGateway): Promise<Record<string, number>> {
  const res = await fetch(`http://127.0.0.1:${gw.adminPort}/stats`, { signal: AbortSignal.timeout(5_000) });
  const body = (await res.json()) as { sip: Record<string, number> };
  return body.sip;
}

describe('a flood of requests whose To tag names no dialog', () => {
  const FLOOD = 20_000;
  const BATCH = 100; // fits the gateway's default socket receive buffer (same process: the batch lands before it reads)
  let gw: TestGateway;
  let attacker: UdpPeer;

  beforeAll(async () => {
    // Default timers: a stateful 481 would hold its transaction 32 s (Timer J), longer than the flood lasts.
    gw = await startTestGateway({ numbers: { '+15550100001': { agent: 'echo' } }, sip: { tcp: false } });
    attacker = await UdpPeer.open('127.0.0.2');
  }, 15_000);

  afterAll(async () => {
    attacker?.close();
    await gw?.close();
  });

  test(`${FLOOD} tagged OPTIONS/BYE: one 481 each, no live transactions kept`, async () => {
    const uri = `sip:+15550100001@127.0.0.1:${gw.sipPort}`;
    const sent = new Set<string>();
    const answers = new Map<string, number>(); // Call-ID → answers
    const statuses = new Map<number, number>();
    let received = 0;
    attacker.onMessage = (msg) => {
      received++;
      const callId = header(msg, 'call-id') ?? '';
      answers.set(callId, (answers.get(callId) ?? 0) + 1);
      statuses.set(msg.status ?? 0, (statuses.get(msg.status ?? 0) ?? 0) + 1);
    };
    const rssBefore = process.memoryUsage().rss;
    let peakTransactions = 0;
    for (let n = 0; n < FLOOD; n += BATCH) {
      const batch: Promise<void>[] = [];
      for (let i = n; i < n + BATCH; i++) {
        const callId = `flood-${token()}`;
        sent.add(callId);
        batch.push(attacker.send(request(attacker, { method: i % 2 === 0 ? 'OPTIONS' : 'BYE', uri, callId, branch: `z9hG4bK${token()}`, toTag: token(), cseq: 2 }), gw.sipPort));
      }
      await Promise.all(batch);
      // Pace on the answers (bounded), so the loopback socket buffers never drop the flood.
      await waitFor(() => received >= n + BATCH, 10_000, () => `${received} answers for ${n + BATCH} requests`);
      peakTransactions = Math.max(peakTransactions, (await sipStats(gw))['transactions'] ?? -1);
    }
    const rssGrowthMiB = (process.memoryUsage().rss - rssBefore) / 2 ** 20;
    const stats = await sipStats(gw);
    console.info(`To-tag flood: ${FLOOD} requests, peak live transactions ${peakTransactions}, RSS +${rssGrowthMiB.toFixed(0)} MiB`);

    expect(received).toBe(FLOOD);
    expect([...statuses]).toEqual([[481, FLOOD]]);
    expect(answers.size).toBe(FLOOD);
    for (const [callId, count] of answers) {
      expect(sent.has(callId)).toBe(true);
      expect(count).toBe(1);
    }
    expect(peakTransactions).toBe(0);
    expect(stats['transactions']).toBe(0);
    expect(stats['unknownDialog']).toBe(FLOOD);
    expect((await gw.healthz()).status).toBe(200);
  }, 120_000);

  test('out-of-dialog probes (OPTIONS, REGISTER, an unknown method) are answered once each and keep no state', async () => {
    const uri = `sip:+15550100001@127.0.0.1:${gw.sipPort}`;
    const probe = await UdpPeer.open('127.0.0.3');
    try {
      const methods = ['OPTIONS', 'REGISTER', 'FOOBAR'];
      for (let i = 0; i < 300; i++) {
        const method = methods[i % 3] ?? 'OPTIONS';
        await probe.send(request(probe, { method, uri, callId: `probe-${token()}`, branch: `z9hG4bK${token()}` }), gw.sipPort);
        if (i % 50 === 49) await waitFor(() => probe.received.length > i, 10_000, () => `${probe.received.length} answers for ${i + 1}`);
      }
      const byMethod = new Map<string, number[]>();
      for (const r of probe.received) {
        const method = (header(r.msg, 'cseq') ?? '').split(' ')[1] ?? '';
        byMethod.set(method, [...(byMethod.get(method) ?? []), r.msg.status ?? 0]);
        expect(header(r.msg, 'to')).toMatch(/;tag=/);
      }
      expect(byMethod.get('OPTIONS')).toEqual(Array(100).fill(200));
      expect(byMethod.get('REGISTER')).toEqual(Array(100).fill(405));
      expect(byMethod.get('FOOBAR')).toEqual(Array(100).fill(501));
      expect((await sipStats(gw))['transactions']).toBe(0);
    } finally {
      probe.close();
    }
  }, 30_000);
});

interface RefusalCase {
  readonly name: string;
  readonly status: number;
  readonly config: Record<string, unknown>;
  readonly check?: (msg: SipMessage) => void;
}

const NUMBER = '+15550100001';
const CASES: RefusalCase[] = [
  { name: '404: a number the routing table lacks', status: 404, config: { numbers: { '+15550199999': { agent: 'echo' } } } },
  {
    name: '403: a source outside the trunk allow-list',
    status: 403,
    config: { numbers: { '*': { agent: 'echo' } }, trunks: [{ name: 'carrier', allow: ['10.0.0.0/8'] }] },
  },
  {
    name: '401: a digest challenge',
    status: 401,
    config: { numbers: { '*': { agent: 'echo' } }, trunks: [{ name: 'carrier', allow: ['127.0.0.0/8'], auth: { username: 'carrier', password: 'secret' } }] },
    check: (msg) => expect(header(msg, 'www-authenticate')).toMatch(/^Digest .*realm="patchbay".*nonce="/),
  },
];

describe.concurrent.each(CASES)('an INVITE refused at admission, $name', ({ status, config, check }) => {
  let gw: TestGateway;
  let scanner: UdpPeer;

  beforeAll(async () => {
    gw = await startTestGateway({ ...config, sip: { timers: TIMERS, tcp: false } });
    scanner = await UdpPeer.open('127.0.0.2');
  }, 15_000);

  afterAll(async () => {
    scanner?.close();
    await gw?.close();
  });

  test(`gets exactly one datagram in ${LISTEN_MS / 1000} s (no 100, no Timer G), a correct ${status}, 1:1 on retransmission`, async () => {
    const uri = `sip:${NUMBER}@127.0.0.1:${gw.sipPort}`;
    const callId = `scan-${token()}`;
    const branch = `z9hG4bK${token()}`;
    const invite = request(scanner, { method: 'INVITE', uri, callId, branch });
    const startedMs = performance.now();
    await scanner.send(invite, gw.sipPort);
    await waitFor(() => scanner.received.length > 0, 5_000, () => 'no answer to the INVITE');
    // Listening for what does not come can only be a window: Timer H would end retransmissions at 3.2 s.
    await new Promise((resolve) => setTimeout(resolve, LISTEN_MS - (performance.now() - startedMs)));

    expect(scanner.received.map((r) => r.msg.status)).toEqual([status]);
    const first = scanner.received[0];
    if (first === undefined) throw new Error('no answer');
    console.info(`${status} refusal: ${Buffer.byteLength(invite)} B in, ${first.bytes} B out in ${LISTEN_MS / 1000} s`);
    expect(first.bytes).toBeLessThan(2 * Buffer.byteLength(invite) + 400);
    const res = first.msg;
    expect(header(res, 'call-id')).toBe(callId);
    expect(header(res, 'cseq')).toBe('1 INVITE');
    expect(header(res, 'via')).toContain(`branch=${branch}`);
    expect(header(res, 'to')).toMatch(/;tag=[^;\s]+/); // RFC 3261 §8.2.6.2
    check?.(res);
    const stats = await sipStats(gw);
    expect(stats['transactions']).toBe(0);

    // The INVITE again (a retransmission, or a second spoofed copy): one more reply, never more.
    await scanner.send(invite, gw.sipPort);
    await waitFor(() => scanner.received.length >= 2, 5_000, () => 'no answer to the retransmitted INVITE');
    const toTag = /;tag=([^;\s]+)/.exec(header(scanner.received[1]?.msg ?? res, 'to') ?? '')?.[1];
    // The ACK for the refusal is absorbed: no answer to it, nothing retransmitted, and OPTIONS still answered.
    await scanner.send(request(scanner, { method: 'ACK', uri, callId, branch, ...(toTag === undefined ? {} : { toTag }) }), gw.sipPort);
    await scanner.send(request(scanner, { method: 'OPTIONS', uri, callId: `probe-${token()}`, branch: `z9hG4bK${token()}` }), gw.sipPort);
    await waitFor(() => scanner.received.some((r) => header(r.msg, 'cseq') === '1 OPTIONS'), 5_000, () => 'OPTIONS unanswered');
    expect(scanner.received.map((r) => r.msg.status)).toEqual([status, status, 200]);
  }, 30_000);
});
