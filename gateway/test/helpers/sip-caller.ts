/**
 * A minimal scripted SIP caller over UDP for end-to-end media tests: one call, PCMU only, its own RTP socket on
 * 127.0.0.1. `SipCaller.call()` sends an INVITE with an SDP offer (PCMU/8000 pt 0, telephone-event/8000 pt 101),
 * takes 100/180/183, ACKs the 200 and reads the gateway's RTP address from its SDP. Then:
 *
 * - `sendAudio(pcm8k)` sends PCMU RTP paced at exactly 20 ms per packet on an absolute `performance.now()` schedule
 *   (a late timer never shifts the packets after it), with continuous sequence numbers and timestamps; every
 *   packet's actual send time is recorded in `sent`;
 * - `received` holds every RTP packet from the gateway with its arrival time, header fields and decoded PCM;
 * - `bye()` ends the call; a BYE from the gateway is answered 200 and resolves `byeReceived`;
 * - with `refer`, the gateway's REFER is answered and followed by NOTIFYs (sip-caller-refer.ts); `sendRequest()`
 *   sends any other request inside the dialog.
 *
 * `reinvite(direction)` holds (`sendonly`, `inactive`) or resumes (`sendrecv`) the call with a re-INVITE and ACKs it.
 *
 * Every wait is bounded; `close()` is idempotent. Not a SIP stack: no auth, no TCP, loopback only.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { setImmediate as nextTurn, setTimeout as sleepUntilNear } from 'node:timers/promises';
import { ulawDecodeBytes, ulawEncode } from './g711.js';
import { ReferResponder, type ReferScript } from './sip-caller-refer.js';
import { canonical, header, parseSip, type SipMessage } from './sip-text.js';

export type { SipMessage } from './sip-text.js';

export class SipCallerError extends Error {
  override readonly name = 'SipCallerError';
  constructor(
    readonly code: 'SIP_CALLER_TIMEOUT' | 'SIP_CALLER_REJECTED' | 'SIP_CALLER_BAD_ANSWER' | 'SIP_CALLER_CLOSED',
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

export interface ReceivedRtp {
  /** `performance.now()` when the datagram was read. */
  readonly arrivalMs: number;
  readonly payloadType: number;
  readonly marker: boolean;
  readonly sequence: number;
  readonly timestamp: number;
  readonly ssrc: number;
  readonly payload: Uint8Array;
  /** Decoded samples (8 kHz) for PCMU; empty for other payload types. */
  readonly pcm: Int16Array;
}

export interface SentRtp {
  /** Index of the packet in the caller's stream (0 = the first packet sent on the call). */
  readonly index: number;
  readonly sequence: number;
  readonly timestamp: number;
  /** When the schedule said to send it, and when it was actually sent (`performance.now()`). */
  readonly dueMs: number;
  readonly sentMs: number;
}

export interface SipCallerOptions {
  /** The gateway's SIP address. */
  readonly host: string;
  readonly port: number;
  /** User part of the Request-URI and To (the dialled number). */
  readonly to: string;
  /** User part of From; default `caller`. */
  readonly from?: string;
  /** Bound on the whole INVITE transaction (until a final response); default 5,000 ms. */
  readonly answerTimeoutMs?: number;
  /** Answer the gateway's REFER (and NOTIFY its progress) this way; without it a REFER gets 501. */
  readonly refer?: ReferScript;
  /**
   * Offer RTP/SAVP with this `a=crypto` value (`1 AES_CM_128_HMAC_SHA1_80 inline:...`) and pass each RTP packet we
   * send through `protect` (SRTP tests; what comes back is stored as received, not decrypted).
   */
  readonly srtp?: { readonly crypto: string; readonly protect: (rtp: Uint8Array) => Uint8Array };
}

const SAMPLES_PER_PACKET = 160;
const PACKET_MS = 20;
const T1_MS = 500;

// ---------------------------------------------------------------------------------------------------------------

export class SipCaller {
  readonly received: ReceivedRtp[] = [];
  readonly sent: SentRtp[] = [];
  /** The gateway's RTP address from the 200's SDP. */
  remoteRtp = { address: '', port: 0 };
  /** The 200's SDP. */
  answerSdp = '';
  /** `performance.now()` when the 200 (answer) arrived. */
  answeredMs = 0;
  /** Resolves when the gateway sends BYE (answered 200). Never rejects. */
  readonly byeReceived: Promise<void>;
  /** `performance.now()` when the gateway's BYE arrived (0 until then). */
  byeAtMs = 0;
  /** What the gateway's REFERs got, with `refer` set. */
  readonly refer: ReferResponder | undefined;
  /** SIP provisional statuses seen before the answer, in order. */
  readonly provisional: number[] = [];
  /** `performance.now()` when each of `provisional` arrived, and when the INVITE was first sent. */
  readonly provisionalAtMs: number[] = [];
  invitedAtMs = 0;

  private readonly callId = `${randomBytes(8).toString('hex')}@127.0.0.1`;
  private readonly fromTag = randomBytes(4).toString('hex');
  private readonly fromUser: string;
  private toTag = '';
  private remoteTarget = '';
  private routeSet: string[] = [];
  private cseq = 1;
  private readonly sdpSession = randomInt(1, 2 ** 31);
  private sdpVersion = 1;
  private inviteBranch = '';
  private ack = '';
  private ended = false;
  private closed = false;
  private onBye: () => void = () => undefined;
  /** Resolvers for the response to a request we sent, by `CSeq`. */
  private readonly waiting = new Map<string, (m: SipMessage) => void>();
  /** Responses that arrived while nobody waited for them (between retransmissions), by `CSeq`. */
  private readonly unclaimed = new Map<string, SipMessage[]>();

  // RTP sender state: one continuous stream for the whole call.
  private readonly ssrc = randomInt(1, 0xffffffff);
  private sequence = randomInt(0, 0x10000);
  private timestamp = randomInt(0, 0x1_0000_0000);
  private packetIndex = 0;
  /** When the next packet is due on the absolute schedule, or undefined before the first packet. */
  private nextDueMs: number | undefined;
  private sending: Promise<void> = Promise.resolve();

  private constructor(
    private readonly sip: Socket,
    private readonly rtp: Socket,
    private readonly options: SipCallerOptions,
  ) {
    this.fromUser = options.from ?? 'caller';
    const peer = { respond: this.respond.bind(this), request: this.request.bind(this) };
    this.refer = options.refer ? new ReferResponder(peer, options.refer) : undefined;
    this.byeReceived = new Promise<void>((resolve) => {
      this.onBye = resolve;
    });
    sip.on('message', (msg: Buffer) => this.onSip(msg));
    rtp.on('message', (msg: Buffer) => this.onRtp(msg));
    // A late datagram after close, an ICMP error on loopback: nothing for a test to act on, and never fatal.
    sip.on('error', () => undefined);
    rtp.on('error', () => undefined);
  }

  /** Place a call and resolve once it is answered and ACKed. Rejects with `SipCallerError` otherwise. */
  static async call(options: SipCallerOptions): Promise<SipCaller> {
    const sip = await bindUdp();
    const rtp = await bindUdp().catch((err: unknown) => {
      sip.close();
      throw err;
    });
    const caller = new SipCaller(sip, rtp, options);
    try {
      await caller.invite(options.answerTimeoutMs ?? 5_000);
      return caller;
    } catch (err) {
      caller.close();
      throw err;
    }
  }

  get sipPort(): number {
    return this.sip.address().port;
  }

  get rtpPort(): number {
    return this.rtp.address().port;
  }

  /** True once either side has ended the call. */
  get hasEnded(): boolean {
    return this.ended;
  }

  /**
   * Queue `pcm8k` (8 kHz linear) for sending as PCMU, one packet of 160 samples every 20 ms (the last one padded
   * with silence). Calls chain: audio queued while the stream is running continues the same schedule without a gap.
   * Resolves when its last packet has been sent (or the caller is closed).
   */
  sendAudio(pcm8k: Int16Array): Promise<void> {
    const run = this.sending.then(() => this.paceOut(pcm8k));
    this.sending = run;
    return run;
  }

  /** The packet of the caller's stream that carries sample `sample` of the stream (for onset times). */
  sentPacketAt(sample: number): SentRtp | undefined {
    return this.sent.find((p) => p.index === Math.floor(sample / SAMPLES_PER_PACKET));
  }

  /** Send BYE and wait for its final response; resolves with the status (0 if the call had already ended). */
  async bye(timeoutMs = 3_000): Promise<number> {
    if (this.ended || this.closed) return 0;
    this.ended = true;
    const response = await this.request('BYE', timeoutMs);
    return response.status ?? 0;
  }

  /** End the call however it stands, for a test's teardown: BYE if it is still up (a failed BYE is ignored), then close. */
  async hangUp(): Promise<void> {
    await this.bye().catch(() => 0);
    this.close();
  }

  /** The dialog's identifiers as the gateway must echo them: Call-ID, our tag, its tag, our Contact URI. */
  get dialog(): { callId: string; localTag: string; remoteTag: string; contact: string } {
    return { callId: this.callId, localTag: this.fromTag, remoteTag: this.toTag, contact: `sip:${this.fromUser}@${this.local}` };
  }

  /** Send `method` inside the dialog (with extra header lines and a body) and resolve with its final response. */
  sendRequest(method: string, options: { headers?: readonly string[]; body?: string; timeoutMs?: number } = {}): Promise<SipMessage> {
    return this.request(method, options.timeoutMs ?? 3_000, options.headers, options.body);
  }

  /** Close both sockets; pending sends stop, pending waits reject. Idempotent. Does not send BYE. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.ended = true;
    this.waiting.clear();
    this.unclaimed.clear();
    this.sip.close();
    this.rtp.close();
  }

  // ---- RTP ------------------------------------------------------------------------------------------------------

  private async paceOut(pcm8k: Int16Array): Promise<void> {
    const count = Math.ceil(pcm8k.length / SAMPLES_PER_PACKET);
    for (let i = 0; i < count && !this.closed; i++) {
      const now = performance.now();
      // The schedule is continuous; after an idle gap (no audio queued) it restarts now, the RTP clock jumping on.
      if (this.nextDueMs === undefined || this.nextDueMs < now - PACKET_MS) {
        if (this.nextDueMs !== undefined) {
          const skipped = Math.floor((now - this.nextDueMs) / PACKET_MS);
          this.timestamp = (this.timestamp + skipped * SAMPLES_PER_PACKET) >>> 0;
        }
        this.nextDueMs = now;
      }
      const due = this.nextDueMs;
      await waitUntil(due);
      if (this.closed) return;
      const payload = new Uint8Array(SAMPLES_PER_PACKET).fill(0xff);
      const base = i * SAMPLES_PER_PACKET;
      const end = Math.min(pcm8k.length, base + SAMPLES_PER_PACKET);
      for (let j = base; j < end; j++) payload[j - base] = ulawEncode(pcm8k[j] ?? 0);
      const header = Buffer.alloc(12);
      header[0] = 0x80;
      header[1] = (this.packetIndex === 0 ? 0x80 : 0) | 0; // marker on the first packet, payload type 0
      header.writeUInt16BE(this.sequence, 2);
      header.writeUInt32BE(this.timestamp, 4);
      header.writeUInt32BE(this.ssrc, 8);
      const sentMs = performance.now();
      const packet = Buffer.concat([header, payload]);
      this.rtp.send(this.options.srtp?.protect(packet) ?? packet, this.remoteRtp.port, this.remoteRtp.address);
      this.sent.push({ index: this.packetIndex, sequence: this.sequence, timestamp: this.timestamp, dueMs: due, sentMs });
      this.packetIndex++;
      this.sequence = (this.sequence + 1) & 0xffff;
      this.timestamp = (this.timestamp + SAMPLES_PER_PACKET) >>> 0;
      this.nextDueMs = due + PACKET_MS;
    }
  }

  private onRtp(msg: Buffer): void {
    const arrivalMs = performance.now();
    const b0 = msg[0];
    const b1 = msg[1];
    if (msg.length < 12 || b0 === undefined || b1 === undefined || b0 >> 6 !== 2) return;
    let offset = 12 + (b0 & 0x0f) * 4;
    if ((b0 & 0x10) !== 0) {
      if (msg.length < offset + 4) return;
      offset += 4 + msg.readUInt16BE(offset + 2) * 4;
    }
    let end = msg.length;
    if ((b0 & 0x20) !== 0) end -= msg[msg.length - 1] ?? 0;
    if (end < offset) return;
    const payloadType = b1 & 0x7f;
    const payload = new Uint8Array(msg.subarray(offset, end));
    this.received.push({
      arrivalMs,
      payloadType,
      marker: (b1 & 0x80) !== 0,
      sequence: msg.readUInt16BE(2),
      timestamp: msg.readUInt32BE(4),
      ssrc: msg.readUInt32BE(8),
      payload,
      pcm: payloadType === 0 ? ulawDecodeBytes(payload) : new Int16Array(0),
    });
  }

  // ---- SIP ------------------------------------------------------------------------------------------------------

  private get local(): string {
    return `127.0.0.1:${this.sipPort}`;
  }

  private get requestUri(): string {
    return `sip:${this.options.to}@${this.options.host}:${this.options.port}`;
  }

  /**
   * A re-INVITE with our SDP at `direction` (hold: `sendonly` or `inactive`; resume: `sendrecv`), ACKed once answered;
   * resolves with the answer's SDP. Rejects when it is not answered 2xx.
   */
  async reinvite(direction: 'sendrecv' | 'sendonly' | 'inactive', timeoutMs = 3_000): Promise<string> {
    this.sdpVersion++;
    const response = await this.request('INVITE', timeoutMs, [`Contact: <sip:${this.fromUser}@${this.local}>`, 'Content-Type: application/sdp'], this.offerSdp(direction));
    const status = response.status ?? 0;
    this.sendSip(this.build('ACK', this.remoteTarget, branch(), this.cseq, [], '', true));
    if (status >= 300) throw new SipCallerError('SIP_CALLER_REJECTED', `re-INVITE answered ${response.firstLine}`, status);
    return response.body;
  }

  private offerSdp(direction: string): string {
    return [
      'v=0',
      `o=patchbay-test ${this.sdpSession} ${this.sdpVersion} IN IP4 127.0.0.1`,
      's=-',
      'c=IN IP4 127.0.0.1',
      't=0 0',
      `m=audio ${this.rtpPort} ${this.options.srtp ? 'RTP/SAVP' : 'RTP/AVP'} 0 101`,
      ...(this.options.srtp ? [`a=crypto:${this.options.srtp.crypto}`] : []),
      'a=rtpmap:0 PCMU/8000',
      'a=rtpmap:101 telephone-event/8000',
      'a=fmtp:101 0-15',
      'a=ptime:20',
      `a=${direction}`,
      '',
    ].join('\r\n');
  }

  private async invite(timeoutMs: number): Promise<void> {
    const sdp = this.offerSdp('sendrecv');
    this.inviteBranch = branch();
    const text = this.build('INVITE', this.requestUri, this.inviteBranch, 1, [
      `Contact: <sip:${this.fromUser}@${this.local}>`,
      'Content-Type: application/sdp',
    ], sdp, false);
    const deadline = performance.now() + timeoutMs;
    let provisional = false;
    let interval = T1_MS;
    let final: SipMessage | undefined;
    const key = '1 INVITE';
    this.invitedAtMs = performance.now();
    while (final === undefined) {
      const left = deadline - performance.now();
      if (left <= 0 || this.closed) {
        throw new SipCallerError('SIP_CALLER_TIMEOUT', `no final response to INVITE within ${timeoutMs} ms`);
      }
      if (!provisional) this.sendSip(text);
      const response = await this.nextResponse(key, provisional ? left : Math.min(interval, left));
      interval = Math.min(interval * 2, 4_000);
      if (response === undefined) continue;
      const status = response.status ?? 0;
      if (status < 200) {
        provisional = true;
        this.provisional.push(status);
        this.provisionalAtMs.push(performance.now());
      } else final = response;
    }
    const status = final.status ?? 0;
    const toHeader = header(final, 'to') ?? '';
    if (status >= 300) {
      // Non-2xx: ACK in the INVITE transaction (same branch, To with the response's tag).
      this.sendSip(
        [
          `ACK ${this.requestUri} SIP/2.0`,
          `Via: SIP/2.0/UDP ${this.local};branch=${this.inviteBranch};rport`,
          'Max-Forwards: 70',
          `From: <sip:${this.fromUser}@127.0.0.1>;tag=${this.fromTag}`,
          `To: ${toHeader}`,
          `Call-ID: ${this.callId}`,
          'CSeq: 1 ACK',
          'Content-Length: 0',
          '',
          '',
        ].join('\r\n'),
      );
      this.ended = true;
      throw new SipCallerError('SIP_CALLER_REJECTED', `INVITE answered ${final.firstLine}`, status);
    }
    this.answeredMs = performance.now();
    this.toTag = /;\s*tag=([^;>\s]+)/i.exec(toHeader)?.[1] ?? '';
    const contact = /<([^>]+)>/.exec(header(final, 'contact') ?? '')?.[1];
    this.remoteTarget = contact ?? this.requestUri;
    this.routeSet = final.headers
      .filter(([n]) => n === 'record-route')
      .flatMap(([, v]) => v.split(','))
      .map((v) => v.trim())
      .reverse();
    this.answerSdp = final.body;
    const media = parseAnswer(final.body);
    if (media === undefined) {
      this.ack = this.build('ACK', this.remoteTarget, branch(), 1, [], '', true);
      this.sendSip(this.ack);
      throw new SipCallerError('SIP_CALLER_BAD_ANSWER', `200 without a usable PCMU audio answer:\n${final.body}`);
    }
    this.remoteRtp = media;
    this.ack = this.build('ACK', this.remoteTarget, branch(), 1, [], '', true);
    this.sendSip(this.ack);
  }

  /** A new in-dialog request, retransmitted every T1 (doubling, at most 4 s) until a final response. */
  private async request(method: string, timeoutMs: number, extra: readonly string[] = [], body = ''): Promise<SipMessage> {
    const cseq = ++this.cseq;
    const text = this.build(method, this.remoteTarget, branch(), cseq, extra, body, true);
    const deadline = performance.now() + timeoutMs;
    let interval = T1_MS;
    for (;;) {
      const left = deadline - performance.now();
      if (left <= 0 || this.closed) {
        throw new SipCallerError('SIP_CALLER_TIMEOUT', `no final response to ${method} within ${timeoutMs} ms`);
      }
      this.sendSip(text);
      const response = await this.nextResponse(`${cseq} ${method}`, Math.min(interval, left));
      interval = Math.min(interval * 2, 4_000);
      if (response !== undefined && (response.status ?? 0) >= 200) return response;
    }
  }

  private build(
    method: string,
    uri: string,
    viaBranch: string,
    cseq: number,
    extra: readonly string[],
    body: string,
    inDialog: boolean,
  ): string {
    const lines = [
      `${method} ${uri} SIP/2.0`,
      `Via: SIP/2.0/UDP ${this.local};branch=${viaBranch};rport`,
      'Max-Forwards: 70',
      `From: <sip:${this.fromUser}@127.0.0.1>;tag=${this.fromTag}`,
      `To: <sip:${this.options.to}@${this.options.host}>${inDialog && this.toTag !== '' ? `;tag=${this.toTag}` : ''}`,
      `Call-ID: ${this.callId}`,
      `CSeq: ${cseq} ${method}`,
      ...(inDialog ? this.routeSet.map((r) => `Route: ${r}`) : []),
      ...extra,
      `Content-Length: ${Buffer.byteLength(body)}`,
      '',
      body,
    ];
    return lines.join('\r\n');
  }

  /** Wait up to `timeoutMs` for the next response with CSeq `key` (undefined on timeout). */
  private nextResponse(key: string, timeoutMs: number): Promise<SipMessage | undefined> {
    const early = this.unclaimed.get(key)?.shift();
    if (early !== undefined) return Promise.resolve(early);
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

  private onSip(raw: Buffer): void {
    const msg = parseSip(raw.toString('utf8'));
    if (msg === undefined) return;
    const cseq = (header(msg, 'cseq') ?? '').replace(/\s+/g, ' ').trim();
    if (msg.status !== undefined) {
      // A retransmitted 200 to our INVITE: its ACK was lost, send it again.
      if (cseq === '1 INVITE' && msg.status >= 200 && msg.status < 300 && this.ack !== '') {
        this.sendSip(this.ack);
        return;
      }
      const waiter = this.waiting.get(cseq);
      if (waiter !== undefined) waiter(msg);
      else {
        const queue = this.unclaimed.get(cseq) ?? [];
        if (queue.length < 16) queue.push(msg);
        this.unclaimed.set(cseq, queue);
      }
      return;
    }
    if (msg.method === 'ACK') return;
    if (msg.method === 'BYE') {
      this.respond(msg, 200, 'OK');
      this.ended = true;
      this.byeAtMs = performance.now();
      this.onBye();
      return;
    }
    if (msg.method === 'REFER' && this.refer) this.refer.handle(msg);
    else if (msg.method === 'OPTIONS' || msg.method === 'INFO') this.respond(msg, 200, 'OK');
    else this.respond(msg, 501, 'Not Implemented');
  }

  private respond(request: SipMessage, status: number, reason: string): void {
    const copy = request.headers.filter(([n]) => n === 'via' || n === 'from' || n === 'to' || n === 'call-id' || n === 'cseq');
    const lines = [
      `SIP/2.0 ${status} ${reason}`,
      ...copy.map(([n, v]) => `${canonical(n)}: ${v}`),
      'Content-Length: 0',
      '',
      '',
    ];
    this.sendSip(lines.join('\r\n'));
  }

  private sendSip(text: string): void {
    if (this.closed) return;
    this.sip.send(Buffer.from(text), this.options.port, this.options.host);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Small parsers and utilities

async function bindUdp(): Promise<Socket> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => {
      socket.off('error', reject);
      resolve();
    });
  });
  return socket;
}

/** Wait until `performance.now() >= atMs`: a timer for most of it, then yielding turns of the loop for the last ms. */
async function waitUntil(atMs: number): Promise<void> {
  for (;;) {
    const left = atMs - performance.now();
    if (left <= 0) return;
    if (left > 2) await sleepUntilNear(left - 1.5);
    else await nextTurn();
  }
}

function branch(): string {
  return `z9hG4bK${randomBytes(8).toString('hex')}`;
}

/** The audio address of an SDP answer, if it accepted PCMU (payload type 0). */
function parseAnswer(sdp: string): { address: string; port: number } | undefined {
  const media = /^m=audio (\d+) RTP\/S?AVP ([\d ]+)\s*$/m.exec(sdp);
  const port = Number(media?.[1] ?? 0);
  const formats = (media?.[2] ?? '').trim().split(/\s+/);
  // The media-level c= line wins over the session-level one; take the last one before or after m=.
  const connections = [...sdp.matchAll(/^c=IN IP4 (\S+)\s*$/gm)].map((m) => m[1] ?? '');
  const address = connections[connections.length - 1];
  if (port === 0 || !formats.includes('0') || address === undefined || address === '') return undefined;
  return { address, port };
}
