/**
 * The carrier side of outbound calls: a minimal SIP user agent server over ONE UDP socket, the address the gateway's
 * outbound trunk points at. It answers an INVITE with 100 Trying and 180 Ringing at once, asks its host for the SDP
 * answer (or a status to refuse with), sends 200 OK (retransmitted on T1, doubling to T2, until the ACK), answers
 * CANCEL before the 200 (200 to the CANCEL, 487 to the INVITE), answers the far end's BYE and OPTIONS, and sends its
 * own BYE. Dialogs are told apart by Call-ID; responses go back to the request's source address (rport on loopback).
 * Not a SIP stack: no auth, no TCP, no forking, a re-INVITE gets the same answer again; loopback only.
 */
import { randomBytes } from 'node:crypto';
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { hostPortOf, parseSipMessage, tagOf, uriOf, userOf, type SipMessage } from './sip-message.js';

const T1_MS = 500;
const T2_MS = 4_000;
/** 64·T1: the longest a 200 is retransmitted without an ACK (RFC 3261 §13.3.1.4). */
const ACK_WAIT_MS = 64 * T1_MS;

/** An INVITE as the host sees it. */
export interface UasInvite {
  readonly callId: string;
  /** The Request-URI's user part: the number dialled, as the trunk wrote it. */
  readonly user: string;
  /** The offer (SDP body). */
  readonly offer: string;
  /** `performance.now()` when the INVITE arrived. */
  readonly receivedMs: number;
}

/** What the host decides for an INVITE: answer with this SDP, or refuse with a final status (≥ 300). */
export type UasDecision = { readonly answer: string } | { readonly reject: number };

/** The host of the UAS: the load generator. Every callback but `invite` is a notification. */
export interface UasHost {
  invite(invite: UasInvite): Promise<UasDecision> | UasDecision;
  /** The 200 left (first transmission). */
  answered(callId: string, atMs: number): void;
  /** The ACK for the 200 arrived: the call is up. */
  acked(callId: string, atMs: number): void;
  /** The far end ended the call: BYE after the answer, or CANCEL before it. */
  ended(callId: string, by: 'bye' | 'cancel'): void;
  /** No ACK within 64·T1 of the 200: the call is given up (a BYE is sent). */
  failed(callId: string, reason: string): void;
}

export interface SipUasOptions {
  /** Wait this long between 180 and 200 (a ringing phone); default 0. */
  readonly ringMs?: number;
}

type CallState = 'proceeding' | 'answered' | 'confirmed' | 'ended';

interface UasCall {
  readonly callId: string;
  readonly source: { readonly address: string; readonly port: number };
  /** Where in-dialog requests go: the INVITE's Contact, else its source. */
  readonly remoteTarget: string;
  readonly target: { readonly host: string; readonly port: number };
  /** The INVITE's From (our To) and To with our tag (our From). */
  readonly remote: string;
  readonly local: string;
  readonly toTag: string;
  /** The INVITE's dialog lines with our tag on To: what every response to it carries. */
  readonly responseLines: readonly string[];
  readonly inviteCseq: string;
  state: CallState;
  lastResponse: string;
  answerSdp: string;
  cseq: number;
  timer: NodeJS.Timeout | undefined;
}

export class SipUas {
  private readonly calls = new Map<string, UasCall>();
  private readonly waiting = new Map<string, (m: SipMessage) => void>();
  private host: UasHost | undefined;
  private closed = false;

  private constructor(
    private readonly socket: Socket,
    private readonly options: SipUasOptions,
  ) {
    socket.on('message', (msg: Buffer, rinfo: RemoteInfo) => this.onMessage(msg.toString('latin1'), rinfo));
    socket.on('error', () => undefined); // ICMP unreachable on loopback after the far end stopped: not fatal
  }

  /** Bind on 127.0.0.1 (`port` 0: any free port). */
  static async open(options: SipUasOptions = {}, port = 0): Promise<SipUas> {
    const socket = createSocket({ type: 'udp4', recvBufferSize: 4 << 20, sendBufferSize: 4 << 20 });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(port, '127.0.0.1', () => {
        socket.off('error', reject);
        resolve();
      });
    });
    return new SipUas(socket, options);
  }

  get port(): number {
    return this.socket.address().port;
  }

  /** Who decides and hears about calls; INVITEs before this is set are refused with 480. */
  attach(host: UasHost): void {
    this.host = host;
  }

  /** Calls answered or ringing now. */
  get liveCalls(): number {
    let n = 0;
    for (const c of this.calls.values()) if (c.state !== 'ended') n++;
    return n;
  }

  /** BYE an answered call, with retransmission; resolves with the final status (0 on timeout, 481 if not up). */
  async bye(callId: string, timeoutMs = 4_000): Promise<number> {
    const call = this.calls.get(callId);
    if (call === undefined || (call.state !== 'answered' && call.state !== 'confirmed')) return 481;
    this.end(call);
    const cseq = ++call.cseq;
    const text = [
      `BYE ${call.remoteTarget} SIP/2.0`, `Via: SIP/2.0/UDP ${this.localAddress};branch=${branch()};rport`, 'Max-Forwards: 70',
      `From: ${call.local}`, `To: ${call.remote}`, `Call-ID: ${callId}`, `CSeq: ${cseq} BYE`, 'Content-Length: 0', '', '',
    ].join('\r\n');
    const deadline = performance.now() + timeoutMs;
    let interval = T1_MS;
    for (;;) {
      const left = deadline - performance.now();
      if (left <= 0 || this.closed) return 0;
      this.send(text, call.target);
      const r = await this.next(`${callId} ${cseq} BYE`, Math.min(interval, left));
      interval = Math.min(interval * 2, T2_MS);
      if (r !== undefined && r.status >= 200) return r.status;
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const call of this.calls.values()) if (call.timer !== undefined) clearTimeout(call.timer);
    this.socket.close();
  }

  private get localAddress(): string {
    return `127.0.0.1:${this.port}`;
  }

  private onMessage(text: string, rinfo: RemoteInfo): void {
    const m = parseSipMessage(text);
    if (m === undefined) return;
    if (m.method === undefined) {
      this.waiting.get(`${m.callId} ${m.cseq}`)?.(m);
      return;
    }
    const source = { address: rinfo.address, port: rinfo.port };
    switch (m.method) {
      case 'INVITE':
        this.onInvite(m, source, performance.now());
        return;
      case 'ACK':
        this.onAck(m);
        return;
      case 'CANCEL':
        this.onCancel(m, source);
        return;
      case 'BYE':
        this.onBye(m, source);
        return;
      case 'OPTIONS':
        this.respond(m.dialogLines, '200 OK', source);
        return;
      default:
        this.respond(m.dialogLines, '501 Not Implemented', source);
    }
  }

  private onInvite(m: SipMessage, source: { address: string; port: number }, receivedMs: number): void {
    const known = this.calls.get(m.callId);
    if (known !== undefined) {
      if (m.cseq === known.inviteCseq) this.send(known.lastResponse, known.source); // a retransmission
      else if (known.state === 'confirmed' || known.state === 'answered') {
        // A re-INVITE: the same answer again (the bench never changes its media).
        this.respond(m.dialogLines.map((l) => (isTo(l) && tagOf(l) === '' ? `${l};tag=${known.toTag}` : l)), '200 OK', source,
          [`Contact: <sip:carrier@${this.localAddress}>`, 'Content-Type: application/sdp'], known.answerSdp);
      } else this.respond(m.dialogLines, '491 Request Pending', source);
      return;
    }
    const toTag = randomBytes(4).toString('hex');
    const responseLines = m.dialogLines.map((l) => (isTo(l) ? `${l};tag=${toTag}` : l));
    const contact = uriOf(m.headers.get('contact') ?? '');
    const remoteTarget = contact === '' ? `sip:${source.address}:${source.port}` : contact;
    const call: UasCall = {
      callId: m.callId, source, remoteTarget,
      target: hostPortOf(remoteTarget) ?? { host: source.address, port: source.port },
      remote: m.headers.get('from') ?? '',
      local: `${m.headers.get('to') ?? ''};tag=${toTag}`,
      toTag, responseLines, inviteCseq: m.cseq, state: 'proceeding', lastResponse: '', answerSdp: '',
      cseq: 0, timer: undefined,
    };
    this.calls.set(m.callId, call);
    this.respond(m.dialogLines, '100 Trying', source);
    call.lastResponse = this.respond(responseLines, '180 Ringing', source, [`Contact: <sip:carrier@${this.localAddress}>`]);
    void this.decide(call, { callId: m.callId, user: userOf(m.uri), offer: m.body, receivedMs });
  }

  private async decide(call: UasCall, invite: UasInvite): Promise<void> {
    const host = this.host;
    let decision: UasDecision;
    try {
      decision = host === undefined ? { reject: 480 } : await host.invite(invite);
    } catch {
      decision = { reject: 500 };
    }
    const ringMs = this.options.ringMs ?? 0;
    if (ringMs > 0 && 'answer' in decision) await new Promise((r) => setTimeout(r, ringMs));
    if (call.state !== 'proceeding' || this.closed) return; // cancelled meanwhile
    if ('reject' in decision) {
      call.state = 'ended';
      call.lastResponse = this.respond(call.responseLines, `${decision.reject} ${reasonPhrase(decision.reject)}`, call.source);
      return;
    }
    call.state = 'answered';
    call.answerSdp = decision.answer;
    call.lastResponse = this.respond(call.responseLines, '200 OK', call.source,
      [`Contact: <sip:carrier@${this.localAddress}>`, 'Content-Type: application/sdp'], decision.answer);
    host?.answered(call.callId, performance.now());
    this.retransmitOk(call, T1_MS, performance.now() + ACK_WAIT_MS);
  }

  private retransmitOk(call: UasCall, interval: number, giveUpAt: number): void {
    call.timer = setTimeout(() => {
      call.timer = undefined;
      if (call.state !== 'answered' || this.closed) return;
      if (performance.now() >= giveUpAt) {
        this.host?.failed(call.callId, 'no ACK');
        void this.bye(call.callId);
        return;
      }
      this.send(call.lastResponse, call.source);
      this.retransmitOk(call, Math.min(interval * 2, T2_MS), giveUpAt);
    }, interval);
  }

  private onAck(m: SipMessage): void {
    const call = this.calls.get(m.callId);
    if (call === undefined || call.state !== 'answered') return; // ACK of a non-2xx, or a repeated ACK
    call.state = 'confirmed';
    if (call.timer !== undefined) clearTimeout(call.timer);
    call.timer = undefined;
    this.host?.acked(call.callId, performance.now());
  }

  private onCancel(m: SipMessage, source: { address: string; port: number }): void {
    const call = this.calls.get(m.callId);
    if (call === undefined) {
      this.respond(m.dialogLines, '481 Call/Transaction Does Not Exist', source);
      return;
    }
    this.respond(m.dialogLines, '200 OK', source);
    if (call.state !== 'proceeding') return; // too late: the 200 is out, the far end will BYE
    call.state = 'ended';
    call.lastResponse = this.respond(call.responseLines, '487 Request Terminated', call.source);
    this.host?.ended(call.callId, 'cancel');
  }

  private onBye(m: SipMessage, source: { address: string; port: number }): void {
    const call = this.calls.get(m.callId);
    if (call === undefined || call.state === 'proceeding') {
      this.respond(m.dialogLines, '481 Call/Transaction Does Not Exist', source);
      return;
    }
    this.respond(m.dialogLines, '200 OK', source);
    if (call.state === 'ended') return; // a retransmitted BYE, or both sides hung up at once
    this.end(call);
    this.host?.ended(call.callId, 'bye');
  }

  private end(call: UasCall): void {
    call.state = 'ended';
    if (call.timer !== undefined) clearTimeout(call.timer);
    call.timer = undefined;
  }

  /** Send a response carrying `lines` (Via, From, To, Call-ID, CSeq); returns its text for retransmission. */
  private respond(lines: readonly string[], status: string, to: { address: string; port: number },
    extra: readonly string[] = [], body = ''): string {
    const text = [`SIP/2.0 ${status}`, ...lines, ...extra, `Content-Length: ${Buffer.byteLength(body)}`, '', body].join('\r\n');
    this.send(text, to);
    return text;
  }

  private next(key: string, timeoutMs: number): Promise<SipMessage | undefined> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(key);
        resolve(undefined);
      }, Math.max(1, timeoutMs));
      this.waiting.set(key, (r) => {
        clearTimeout(timer);
        this.waiting.delete(key);
        resolve(r);
      });
    });
  }

  private send(text: string, to: { readonly address?: string; readonly host?: string; readonly port: number }): void {
    if (!this.closed) this.socket.send(text, to.port, to.address ?? to.host ?? '127.0.0.1');
  }
}

function isTo(line: string): boolean {
  return /^(to|t)\s*:/i.test(line);
}

const REASONS: Readonly<Record<number, string>> = {
  404: 'Not Found', 480: 'Temporarily Unavailable', 486: 'Busy Here', 488: 'Not Acceptable Here', 500: 'Server Internal Error',
  603: 'Decline',
};

function reasonPhrase(status: number): string {
  return REASONS[status] ?? 'Refused';
}

function branch(): string {
  return `z9hG4bK${randomBytes(8).toString('hex')}`;
}
