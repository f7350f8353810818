/**
 * Fuzz burst: thousands of malformed, random and mutated SIP messages over UDP and a few hundred abusive TCP
 * connections (partial messages, huge Content-Length, binary junk, oversize heads, messages dribbled byte by
 * byte), all generated from a fixed seed so a failure replays exactly. Afterwards the gateway must still be
 * healthy: `/healthz` says ok, a normal SIPp call completes over UDP and TCP, and a malformed-but-answerable
 * INVITE gets a 400 whose reason phrase names the fault.
 *
 * The UDP burst is paced by liveness probes: after every batch an OPTIONS must be answered 200 (retransmitted
 * until it is, within a bound), so the test proves the gateway kept serving throughout, not just at the end.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, type Socket as TcpSocket } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { describeRun, runSipp, type SipTransport } from '../helpers/sipp.js';
import { prng } from '../helpers/prng.js';

const SEED = 0x5eed_cafe;
const UDP_MESSAGES = 4000;
const UDP_BATCH = 40;
const TCP_CONNECTIONS = 300;
const TCP_PARALLEL = 25;
/** Routed number, for the SIPp call after the burst. Fuzzed INVITEs dial an unrouted one (404, no call state). */
const ROUTED = '+15550100001';
const UNROUTED = '+15557770000';


class Fuzzer {
  private readonly rand: () => number;
  private serial = 0;

  constructor(seed: number) {
    this.rand = prng(seed);
  }

  int(max: number): number {
    return Math.floor(this.rand() * max);
  }

  pick<T>(items: readonly T[]): T {
    const item = items[this.int(items.length)];
    if (item === undefined) throw new Error('pick from an empty list');
    return item;
  }

  bytes(length: number): Buffer {
    const out = Buffer.alloc(length);
    for (let i = 0; i < length; i++) out[i] = this.int(256);
    return out;
  }

  token(): string {
    return `${(this.serial++).toString(36)}x${this.int(0x7fffffff).toString(36)}`;
  }

  /** A well-formed request from us (`transport`, `port`) with fresh Call-ID, branch and tag. */
  request(method: string, transport: 'UDP' | 'TCP', port: number, extraHeaders: string[] = [], body = ''): string {
    const id = this.token();
    const target = method === 'INVITE' || method === 'CANCEL' || method === 'BYE' ? `${UNROUTED}@127.0.0.1` : '127.0.0.1';
    return [
      `${method} sip:${target} SIP/2.0`,
      `Via: SIP/2.0/${transport} 127.0.0.1:${port};branch=z9hG4bK-fz-${id};rport`,
      `From: <sip:fuzz@127.0.0.1>;tag=f${id}`,
      `To: <sip:${target}>`,
      `Call-ID: fuzz-${id}@127.0.0.1`,
      `CSeq: ${1 + this.int(1000)} ${method}`,
      `Contact: <sip:fuzz@127.0.0.1:${port}>`,
      'Max-Forwards: 70',
      ...extraHeaders,
      ...(body === '' ? [] : ['Content-Type: application/sdp']),
      `Content-Length: ${Buffer.byteLength(body)}`,
      '',
      body,
    ].join('\r\n');
  }

  base(transport: 'UDP' | 'TCP', port: number): string {
    const sdp = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n';
    const method = this.pick(['INVITE', 'INVITE', 'OPTIONS', 'BYE', 'ACK', 'CANCEL', 'REGISTER', 'INFO', 'FOO']);
    return this.request(method, transport, port, [], method === 'INVITE' ? sdp : '');
  }

  /** One hostile message: random bytes, or a valid one mutated in one of many ways. */
  mutant(transport: 'UDP' | 'TCP', port: number): Buffer {
    const text = this.base(transport, port);
    const lines = text.split('\r\n');
    const at = (): number => this.int(lines.length);
    switch (this.int(16)) {
      case 0:
        return this.bytes(1 + this.int(1400));
      case 1: {
        const buf = Buffer.from(text);
        for (let flips = 1 + this.int(12); flips > 0; flips--) {
          const i = this.int(buf.length);
          buf[i] = (buf[i] ?? 0) ^ (1 << this.int(8));
        }
        return buf;
      }
      case 2:
        return Buffer.from(text.slice(0, this.int(text.length)));
      case 3:
        lines.splice(at(), 1);
        return Buffer.from(lines.join('\r\n'));
      case 4: {
        const line = lines[at()] ?? '';
        lines.splice(at(), 0, ...Array<string>(1 + this.int(50)).fill(line));
        return Buffer.from(lines.join('\r\n'));
      }
      case 5: {
        const value = this.pick(['99999999999999999999', '-1', '4294967296', 'abc', '1e3', '', '12, 13', '0x10', ' 5']);
        return Buffer.from(text.replace(/Content-Length: \d+/, `Content-Length: ${value}`));
      }
      case 6: {
        const buf = Buffer.from(text);
        return Buffer.concat([buf.subarray(0, this.int(buf.length)), this.bytes(1 + this.int(64)), buf.subarray(this.int(buf.length))]);
      }
      case 7: // oversize, up to the largest UDP datagram
        return Buffer.from(text.replace('Max-Forwards: 70', `Max-Forwards: 70\r\nX-Pad: ${'a'.repeat(60_000 + this.int(5_000))}`));
      case 8: // thousands of headers
        return Buffer.from(text.replace('Max-Forwards: 70', Array<string>(2000 + this.int(2000)).fill('Via: SIP/2.0/UDP 10.0.0.1').join('\r\n')));
      case 9: {
        const start = this.pick([
          'INVITE  SIP/2.0',
          'INVITE sip:x SIP/3.0',
          `INVITE ${'sip:'.repeat(500)} SIP/2.0`,
          'SIP/2.0 99999 Whatever',
          'SIP/2.0 200',
          'INVITE sip:x@[::1 SIP/2.0',
          'INVITE tel:+1-555 SIP/2.0',
          'INVITE mailto:a@b SIP/2.0',
          '\u00ff\u00fe SIP/2.0',
          ' ',
        ]);
        lines[0] = start;
        return Buffer.from(lines.join('\r\n'));
      }
      case 10:
        return Buffer.from(this.pick(['\r\n\r\n', '\r\n', '\n\n', ' ', '\0', 'SIP/2.0', 'INVITE']));
      case 11: // two messages glued, the first cut short
        return Buffer.from(text.slice(0, this.int(text.length)) + this.base(transport, port));
      case 12: {
        const header = this.pick(['From', 'To', 'Via', 'Call-ID', 'CSeq', 'Max-Forwards', 'Contact', 'Content-Type']);
        const value = this.pick(['', '<<<>>>', 'sip:@', '<sip:a@b', ';tag=', '\u2603\u2603', 'x'.repeat(9000), '1 2 3', '-1', ',,,,']);
        const i = lines.findIndex((l) => l.toLowerCase().startsWith(`${header.toLowerCase()}:`));
        if (i >= 0) lines[i] = `${header}: ${value}`;
        return Buffer.from(lines.join('\r\n'));
      }
      case 13: // line folding and odd line ends
        return Buffer.from(text.replace(/\r\n(?=[A-Z])/g, () => this.pick(['\r\n', '\n', '\r\n ', '\r\n\t', '\r'])));
      case 14: // compact forms and case games
        return Buffer.from(text.replace(/^(Via|From|To|Call-ID|Content-Length):/gm, (h) => this.pick([h.toUpperCase(), h.toLowerCase(), `${h.slice(0, 1).toLowerCase()}:`])));
      default: // a message whose body is binary and whose Content-Length lies
        return Buffer.concat([Buffer.from(text.replace(/Content-Length: \d+/, `Content-Length: ${this.int(3000)}`)), this.bytes(this.int(2000))]);
    }
  }
}

/** Status line and Call-ID of each response a socket receives, for probes and counting. */
function responseInfo(data: Buffer): { status: number; reason: string; callId: string | undefined } | undefined {
  const text = data.toString('latin1');
  const start = /^SIP\/2\.0 (\d{3}) ([^\r\n]*)/.exec(text);
  if (start === null) return undefined;
  const callId = /^(?:Call-ID|i)\s*:\s*(\S+)/im.exec(text)?.[1];
  return { status: Number(start[1]), reason: start[2] ?? '', callId };
}

let gw: TestGateway;

beforeAll(async () => {
  gw = await startTestGateway({ numbers: { [ROUTED]: { agent: 'echo' } } });
}, 15_000);

afterAll(async () => {
  await gw?.close();
});

describe('fuzz burst', () => {
  test(`${UDP_MESSAGES} hostile UDP datagrams, each batch followed by an OPTIONS that must still be answered`, async () => {
    const fuzz = new Fuzzer(SEED);
    const socket: UdpSocket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
    const port = socket.address().port;
    const statuses = new Map<number, number>();
    const waiting = new Map<string, () => void>();
    socket.on('message', (data) => {
      const info = responseInfo(data);
      if (info === undefined) return;
      statuses.set(info.status, (statuses.get(info.status) ?? 0) + 1);
      if (info.status === 200 && info.callId !== undefined) waiting.get(info.callId)?.();
    });
    const send = (buf: Buffer): Promise<void> =>
      new Promise((resolve) => socket.send(buf, gw.sipPort, '127.0.0.1', () => resolve()));

    /** OPTIONS, retransmitted every 100 ms, until its 200 arrives; fails after 5 s. */
    const probe = async (): Promise<void> => {
      const options = fuzz.request('OPTIONS', 'UDP', port);
      const callId = /Call-ID: (\S+)/.exec(options)?.[1] ?? '';
      let timer: NodeJS.Timeout | undefined;
      let retransmit: NodeJS.Timeout | undefined;
      try {
        await new Promise<void>((resolve, reject) => {
          waiting.set(callId, resolve);
          timer = setTimeout(() => reject(new Error(`OPTIONS ${callId} unanswered for 5 s during the fuzz burst`)), 5_000);
          retransmit = setInterval(() => void send(Buffer.from(options)), 100);
          void send(Buffer.from(options));
        });
      } finally {
        waiting.delete(callId);
        clearTimeout(timer);
        clearInterval(retransmit);
      }
    };

    try {
      let sentBytes = 0;
      for (let sent = 0; sent < UDP_MESSAGES; sent += UDP_BATCH) {
        for (let i = 0; i < UDP_BATCH; i++) {
          const datagram = fuzz.mutant('UDP', port);
          const clipped = datagram.length > 65_507 ? datagram.subarray(0, 65_507) : datagram;
          sentBytes += clipped.length;
          await send(clipped);
        }
        await probe();
      }
      console.info(
        `[fuzz udp] ${UDP_MESSAGES} datagrams, ${(sentBytes / 1e6).toFixed(1)} MB; responses by status: ` +
          JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0]))),
      );
      // The burst reached the parser and was answered, not silently dropped.
      expect(statuses.get(400) ?? 0).toBeGreaterThan(0);
    } finally {
      socket.close();
    }
  }, 60_000);

  test(`${TCP_CONNECTIONS} abusive TCP connections; dribbled and split messages still get answered`, async () => {
    const fuzz = new Fuzzer(SEED + 1);
    const outcome = { answeredSplit: 0, split: 0 };

    const open = (): Promise<TcpSocket> =>
      new Promise((resolve, reject) => {
        const s = connect({ host: '127.0.0.1', port: gw.sipPort }, () => resolve(s));
        s.once('error', reject);
      });

    /** Write `chunks`, then either wait for a 200 (`expectOk`) or close; resolves when the socket is closed. */
    const session = async (chunks: Buffer[], expectOk: boolean): Promise<boolean> => {
      const s = await open();
      let received = '';
      let answered = false;
      const closed = new Promise<void>((resolve) => s.once('close', () => resolve()));
      s.on('error', () => {
        // the gateway may reset a connection it judged hostile; that is an acceptable outcome here
      });
      const gotOk = new Promise<void>((resolve) => {
        s.on('data', (d: Buffer) => {
          received += d.toString('latin1');
          if (/^SIP\/2\.0 200 /m.test(received)) {
            answered = true;
            resolve();
          }
        });
      });
      for (const chunk of chunks) {
        if (s.destroyed) break;
        await new Promise<void>((resolve) => s.write(chunk, () => resolve()));
      }
      if (expectOk) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([gotOk, closed, new Promise<void>((resolve) => (timer = setTimeout(resolve, 5_000)))]);
        clearTimeout(timer);
      }
      if (!s.destroyed) s.end();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([closed, new Promise<void>((resolve) => (timer = setTimeout(resolve, 2_000)))]);
      clearTimeout(timer);
      if (!s.destroyed) s.destroy();
      return answered;
    };

    const oneConnection = async (): Promise<void> => {
      const port = 5060;
      const valid = Buffer.from(fuzz.request('OPTIONS', 'TCP', port));
      switch (fuzz.int(7)) {
        case 0: // partial message, then hang up
          await session([valid.subarray(0, fuzz.int(valid.length))], false);
          return;
        case 1: // huge Content-Length, a little body, hang up
          await session([Buffer.from(fuzz.request('INVITE', 'TCP', port).replace(/Content-Length: \d+/, 'Content-Length: 2147483647')), fuzz.bytes(100)], false);
          return;
        case 2: // binary junk
          await session([fuzz.bytes(1 + fuzz.int(8192))], false);
          return;
        case 3: // a head that never ends
          await session([Buffer.from(`INVITE sip:x@127.0.0.1 SIP/2.0\r\nX-Pad: ${'b'.repeat(100_000 + fuzz.int(100_000))}`)], false);
          return;
        case 4: // several hostile messages in a row
          await session(Array.from({ length: 1 + fuzz.int(5) }, () => fuzz.mutant('TCP', port)), false);
          return;
        default: {
          // a valid OPTIONS dribbled in random pieces (sometimes one byte at a time) must still be answered
          const pieces: Buffer[] = [];
          for (let i = 0; i < valid.length; ) {
            const n = fuzz.int(3) === 0 ? 1 : 1 + fuzz.int(80);
            pieces.push(valid.subarray(i, i + n));
            i += n;
          }
          outcome.split++;
          if (await session(pieces, true)) outcome.answeredSplit++;
        }
      }
    };

    // A few connections stay open mid-message for the whole burst: they must not stall anyone else.
    const stalled = await Promise.all(
      Array.from({ length: 5 }, async () => {
        const s = await open();
        s.on('error', () => {
          // reset by the gateway: fine
        });
        s.write('INVITE sip:x@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bK-stall\r\nContent-Length: 100\r\n\r\nv=0');
        return s;
      }),
    );
    try {
      let next = 0;
      await Promise.all(
        Array.from({ length: TCP_PARALLEL }, async () => {
          while (next < TCP_CONNECTIONS) {
            next++;
            await oneConnection();
          }
        }),
      );
    } finally {
      for (const s of stalled) s.destroy();
    }
    console.info(`[fuzz tcp] ${TCP_CONNECTIONS} connections; split/dribbled OPTIONS answered ${outcome.answeredSplit}/${outcome.split}`);
    expect(outcome.split).toBeGreaterThan(0);
    expect(outcome.answeredSplit).toBe(outcome.split);
  }, 60_000);

  test('after the burst /healthz answers 200 with status ok', async () => {
    const { status, body } = await gw.healthz();
    expect(status).toBe(200);
    expect(body).toMatchObject({ status: 'ok' });
  }, 10_000);

  test.each<SipTransport>(['udp', 'tcp'])('after the burst a normal SIPp call completes over %s', async (transport) => {
    const result = await runSipp({ scenario: 'uac-call.xml', transport, service: ROUTED, host: gw.host, port: gw.sipPort, timeoutMs: 10_000 });
    expect(result.exitCode, describeRun(result)).toBe(0);
    expect(result.successfulCalls, describeRun(result)).toBe(1);
  }, 15_000);

  test.each<SipTransport>(['udp', 'tcp'])(
    'an INVITE with a non-numeric CSeq but Via/From/To/Call-ID gets a 400 naming CSeq (%s)',
    async (transport) => {
      const fuzz = new Fuzzer(SEED + 2);
      const reply = transport === 'udp' ? await udpExchange(fuzz) : await tcpExchange(fuzz);
      expect(reply.status, reply.raw).toBe(400);
      expect(reply.reason, reply.raw).toMatch(/cseq/i);
    },
    10_000,
  );
});

function badCSeqInvite(fuzz: Fuzzer, transport: 'UDP' | 'TCP', port: number): string {
  return fuzz.request('INVITE', transport, port).replace(/^CSeq: .*$/m, 'CSeq: abc INVITE');
}

async function udpExchange(fuzz: Fuzzer): Promise<{ status: number; reason: string; raw: string }> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  const message = Buffer.from(badCSeqInvite(fuzz, 'UDP', socket.address().port));
  let timer: NodeJS.Timeout | undefined;
  try {
    return await new Promise((resolve, reject) => {
      timer = setTimeout(() => reject(new Error('no response to the INVITE with a bad CSeq within 5 s')), 5_000);
      socket.on('message', (data) => {
        const info = responseInfo(data);
        if (info !== undefined && info.status >= 200) resolve({ ...info, raw: data.toString('latin1') });
      });
      socket.send(message, gw.sipPort, '127.0.0.1');
    });
  } finally {
    clearTimeout(timer);
    socket.close();
  }
}

async function tcpExchange(fuzz: Fuzzer): Promise<{ status: number; reason: string; raw: string }> {
  const socket = connect({ host: '127.0.0.1', port: gw.sipPort });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  const message = badCSeqInvite(fuzz, 'TCP', socket.localPort ?? 0);
  let timer: NodeJS.Timeout | undefined;
  let received = '';
  try {
    return await new Promise((resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`no final response within 5 s; got: ${received}`)), 5_000);
      socket.on('data', (data: Buffer) => {
        received += data.toString('latin1');
        const info = responseInfo(Buffer.from(received, 'latin1'));
        if (info !== undefined && info.status >= 200) resolve({ ...info, raw: received });
      });
      socket.write(message);
    });
  } finally {
    clearTimeout(timer);
    socket.destroy();
  }
}
