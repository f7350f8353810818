/**
 * A SIP peer over UDP on 127.0.0.1 that sends exactly the INVITE it is given (any SDP, including hostile ones) and
 * leaves every later step to the test: ACK or not, BYE or not. It answers the gateway's BYE with 200 and records
 * it. For the normal, well-behaved caller with RTP, use `SipCaller`.
 */
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { canonical, header, parseSip, type SipMessage } from './sip-text.js';

export interface RawInvite {
  /** The final response. */
  readonly final: SipMessage;
  readonly status: number;
  readonly callId: string;
  readonly fromTag: string;
  readonly toTag: string;
  /** The 2xx's Contact (the target of ACK and BYE); the Request-URI when there is none. */
  readonly target: string;
}

const T1_MS = 500;

export class RawSipPeer {
  /** BYEs the gateway sent, by Call-ID (each answered 200). */
  readonly byes = new Map<string, SipMessage>();
  private readonly waiting = new Map<string, (m: SipMessage) => void>();
  private readonly early = new Map<string, SipMessage>();
  private byeWaiters: { callId: string; resolve: (m: SipMessage) => void }[] = [];
  private closed = false;
  private cseq = 1;

  private constructor(
    private readonly socket: Socket,
    private readonly host: string,
    private readonly port: number,
  ) {
    socket.on('message', (raw: Buffer) => this.receive(raw));
    socket.on('error', () => undefined); // ICMP on loopback after the gateway went away: the test sees the timeout
  }

  /** A peer for the gateway at `host:port`. */
  static async open(host: string, port: number): Promise<RawSipPeer> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, '127.0.0.1', () => resolve());
    });
    return new RawSipPeer(socket, host, port);
  }

  get local(): string {
    return `127.0.0.1:${this.socket.address().port}`;
  }

  /** Sends an INVITE to `to` with `sdp`, retransmitted at T1 until a response; resolves with the final one. Never ACKs. */
  async invite(to: string, sdp: string, timeoutMs = 5_000): Promise<RawInvite> {
    const callId = `${randomBytes(8).toString('hex')}@127.0.0.1`;
    const fromTag = randomBytes(4).toString('hex');
    const uri = `sip:${to}@${this.host}:${this.port}`;
    const viaBranch = branch();
    const text = this.build('INVITE', uri, viaBranch, 1, callId, fromTag, `<sip:${to}@${this.host}>`, [
      `Contact: <sip:caller@${this.local}>`,
      'Content-Type: application/sdp',
    ], sdp);
    const final = await this.transact(text, `${callId} 1 INVITE`, timeoutMs, true);
    const toHeader = header(final, 'to') ?? '';
    const toTag = /;\s*tag=([^;>\s]+)/i.exec(toHeader)?.[1] ?? '';
    const target = /<([^>]+)>/.exec(header(final, 'contact') ?? '')?.[1] ?? uri;
    const status = final.status ?? 0;
    if (status >= 300) {
      // A non-2xx is ACKed inside the INVITE transaction (same branch); the gateway then stops resending it.
      this.send(this.build('ACK', uri, viaBranch, 1, callId, fromTag, toHeader, [], ''));
    }
    return { final, status, callId, fromTag, toTag, target };
  }

  /** The ACK for a 2xx (a new transaction). */
  ack(call: RawInvite): void {
    this.send(this.build('ACK', call.target, branch(), 1, call.callId, call.fromTag, this.toOf(call), [], ''));
  }

  /** BYE inside the dialog; resolves with the final status. */
  async bye(call: RawInvite, timeoutMs = 3_000): Promise<number> {
    const seq = ++this.cseq;
    const text = this.build('BYE', call.target, branch(), seq, call.callId, call.fromTag, this.toOf(call), [], '');
    return (await this.transact(text, `${call.callId} ${seq} BYE`, timeoutMs, false)).status ?? 0;
  }

  /** OPTIONS outside any dialog; resolves with the final status. */
  async options(timeoutMs = 3_000): Promise<number> {
    return (await this.probe(timeoutMs)).status ?? 0;
  }

  /** OPTIONS outside any dialog; resolves with the final response (headers such as Retry-After). */
  async probe(timeoutMs = 3_000): Promise<SipMessage> {
    const callId = `${randomBytes(8).toString('hex')}@127.0.0.1`;
    const uri = `sip:ping@${this.host}:${this.port}`;
    const text = this.build('OPTIONS', uri, branch(), 1, callId, randomBytes(4).toString('hex'), `<${uri}>`, [], '');
    return this.transact(text, `${callId} 1 OPTIONS`, timeoutMs, false);
  }

  /** Resolves with the gateway's BYE for `call` (already answered 200); rejects after `timeoutMs`. */
  byeFor(call: RawInvite, timeoutMs: number): Promise<SipMessage> {
    const seen = this.byes.get(call.callId);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.byeWaiters = this.byeWaiters.filter((w) => w.resolve !== done);
        reject(new Error(`no BYE from the gateway within ${timeoutMs} ms`));
      }, timeoutMs);
      const done = (m: SipMessage): void => {
        clearTimeout(timer);
        resolve(m);
      };
      this.byeWaiters.push({ callId: call.callId, resolve: done });
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.close();
  }

  private toOf(call: RawInvite): string {
    const to = header(call.final, 'to') ?? '';
    return to.includes('tag=') || call.toTag === '' ? to : `${to};tag=${call.toTag}`;
  }

  /** Sends `text` at T1, 2·T1, … until a final response with key `Call-ID CSeq` (or only until a provisional one). */
  private async transact(text: string, key: string, timeoutMs: number, invite: boolean): Promise<SipMessage> {
    const deadline = performance.now() + timeoutMs;
    let interval = T1_MS;
    let provisional = false;
    for (;;) {
      const left = deadline - performance.now();
      if (left <= 0 || this.closed) throw new Error(`no final response to ${key} within ${timeoutMs} ms`);
      if (!provisional) this.send(text);
      const response = await this.next(key, provisional ? left : Math.min(interval, left));
      interval = Math.min(2 * interval, 4_000);
      if (response === undefined) continue;
      if ((response.status ?? 0) >= 200) return response;
      provisional = invite;
    }
  }

  private next(key: string, timeoutMs: number): Promise<SipMessage | undefined> {
    const early = this.early.get(key);
    if (early !== undefined) {
      this.early.delete(key);
      return Promise.resolve(early);
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(key);
        resolve(undefined);
      }, Math.max(1, timeoutMs));
      this.waiting.set(key, (m) => {
        clearTimeout(timer);
        this.waiting.delete(key);
        resolve(m);
      });
    });
  }

  private receive(raw: Buffer): void {
    const msg = parseSip(raw.toString('utf8'));
    if (msg === undefined) return;
    const callId = header(msg, 'call-id') ?? '';
    const cseq = (header(msg, 'cseq') ?? '').replace(/\s+/g, ' ').trim();
    if (msg.status !== undefined) {
      const key = `${callId} ${cseq}`;
      const waiter = this.waiting.get(key);
      if (waiter) waiter(msg);
      else if (msg.status >= 200) this.early.set(key, msg);
      return;
    }
    if (msg.method === 'BYE') {
      this.respond(msg, 200, 'OK');
      this.byes.set(callId, msg);
      for (const w of this.byeWaiters.filter((x) => x.callId === callId)) w.resolve(msg);
      this.byeWaiters = this.byeWaiters.filter((x) => x.callId !== callId);
    } else if (msg.method !== 'ACK') this.respond(msg, 200, 'OK');
  }

  private respond(request: SipMessage, status: number, reason: string): void {
    const copy = request.headers.filter(([n]) => n === 'via' || n === 'from' || n === 'to' || n === 'call-id' || n === 'cseq');
    this.send([`SIP/2.0 ${status} ${reason}`, ...copy.map(([n, v]) => `${canonical(n)}: ${v}`), 'Content-Length: 0', '', ''].join('\r\n'));
  }

  private build(method: string, uri: string, viaBranch: string, cseq: number, callId: string, fromTag: string, to: string, extra: string[], body: string): string {
    return [
      `${method} ${uri} SIP/2.0`,
      `Via: SIP/2.0/UDP ${this.local};branch=${viaBranch};rport`,
      'Max-Forwards: 70',
      `From: <sip:caller@127.0.0.1>;tag=${fromTag}`,
      `To: ${to}`,
      `Call-ID: ${callId}`,
      `CSeq: ${cseq} ${method}`,
      ...extra,
      `Content-Length: ${Buffer.byteLength(body)}`,
      '',
      body,
    ].join('\r\n');
  }

  private send(text: string): void {
    if (!this.closed) this.socket.send(Buffer.from(text), this.port, this.host);
  }
}

/** An SDP offer of PCMU to `address:port` (no `a=rtcp` unless given in `extra`). */
export function pcmuOffer(port: number, address = '127.0.0.1', extra: string[] = []): string {
  return ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', `c=IN IP4 ${address}`, 't=0 0', `m=audio ${port} RTP/AVP 0`, 'a=rtpmap:0 PCMU/8000', ...extra, ''].join('\r\n');
}

function branch(): string {
  return `z9hG4bK${randomBytes(8).toString('hex')}`;
}
