/**
 * A minimal SIP user agent client over ONE UDP socket for every call of the load generator: INVITE (retransmitted on
 * T1 until a provisional or final answer), ACK, BYE, and answers to the far end's BYE/OPTIONS. Dialogs are told
 * apart by Call-ID. Not a SIP stack: no auth, no re-INVITE, no TCP, loopback only.
 */
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import type { SrtpKeyMaterial, SrtpKeys } from '@patchbay/gateway';
import type { CodecProfile } from './codec-profile.js';
import { answeredMedia, offerSdp } from './sdp-media.js';
import { parseSipMessage } from './sip-message.js';
import { answeredSrtpKey } from './srtp-offer.js';

export class SipUaError extends Error {
  override readonly name = 'SipUaError';
  constructor(
    readonly code: 'SIP_UA_TIMEOUT' | 'SIP_UA_REJECTED' | 'SIP_UA_BAD_ANSWER',
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

export interface Dialog {
  readonly callId: string;
  readonly to: string;
  readonly fromTag: string;
  readonly toTag: string;
  readonly remoteTarget: string;
  readonly remoteRtp: { readonly address: string; readonly port: number };
  /** The payload type the answer gives the offered codec. */
  readonly payloadType: number;
  /** SRTP offers: our key (what we send with) and the answer's (what we receive with). */
  readonly srtp?: SrtpKeys;
  cseq: number;
}

interface SipResponse {
  readonly status: number;
  readonly headers: ReadonlyMap<string, string>;
  readonly body: string;
}

const T1_MS = 500;

export class SipUa {
  private readonly waiting = new Map<string, (r: SipResponse) => void>();
  private readonly byes = new Map<string, () => void>();
  private closed = false;

  private constructor(
    private readonly socket: Socket,
    private readonly host: string,
    private readonly port: number,
  ) {
    socket.on('message', (msg: Buffer) => this.onMessage(msg.toString('latin1')));
    socket.on('error', () => undefined); // ICMP unreachable on loopback after the far end stopped: not fatal
  }

  static async open(host: string, port: number): Promise<SipUa> {
    const socket = createSocket({ type: 'udp4', recvBufferSize: 4 << 20, sendBufferSize: 4 << 20 });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, '127.0.0.1', () => {
        socket.off('error', reject);
        resolve();
      });
    });
    return new SipUa(socket, host, port);
  }

  private get local(): string {
    return `127.0.0.1:${this.socket.address().port}`;
  }

  /** Called when the far end sends BYE for `callId` (answered 200 here). */
  onBye(callId: string, handler: () => void): void {
    this.byes.set(callId, handler);
  }

  /**
   * INVITE `to` offering `codec` alone on `rtpPort` (with `srtp`: `RTP/SAVP` and that key); resolves with the dialog
   * once the 200 is ACKed. An SRTP offer needs an `RTP/SAVP` answer with a key of the same suite.
   */
  async invite(to: string, rtpPort: number, codec: CodecProfile, timeoutMs = 8_000, srtp?: SrtpKeyMaterial): Promise<Dialog> {
    const callId = `${randomBytes(8).toString('hex')}@bench`;
    const fromTag = randomBytes(4).toString('hex');
    const uri = `sip:${to}@${this.host}:${this.port}`;
    const sdp = offerSdp(codec, rtpPort, undefined, srtp);
    const via = `z9hG4bK${randomBytes(8).toString('hex')}`;
    const text = this.build('INVITE', uri, via, callId, fromTag, '', to, 1, sdp, [
      `Contact: <sip:bench@${this.local}>`, 'Content-Type: application/sdp',
    ]);
    const deadline = performance.now() + timeoutMs;
    let interval = T1_MS;
    let provisional = false;
    let final: SipResponse | undefined;
    while (final === undefined) {
      const left = deadline - performance.now();
      if (left <= 0 || this.closed) throw new SipUaError('SIP_UA_TIMEOUT', `no answer to INVITE within ${timeoutMs} ms`);
      if (!provisional) this.send(text);
      const r = await this.next(`${callId} 1 INVITE`, provisional ? left : Math.min(interval, left));
      interval = Math.min(interval * 2, 4_000);
      if (r === undefined) continue;
      if (r.status < 200) provisional = true;
      else final = r;
    }
    const toHeader = final.headers.get('to') ?? '';
    const toTag = /;\s*tag=([^;>\s]+)/i.exec(toHeader)?.[1] ?? '';
    if (final.status >= 300) {
      this.send(
        [`ACK ${uri} SIP/2.0`, `Via: SIP/2.0/UDP ${this.local};branch=${via};rport`, 'Max-Forwards: 70',
          `From: <sip:bench@127.0.0.1>;tag=${fromTag}`, `To: ${toHeader}`, `Call-ID: ${callId}`, 'CSeq: 1 ACK',
          'Content-Length: 0', '', ''].join('\r\n'),
      );
      throw new SipUaError('SIP_UA_REJECTED', `INVITE answered ${final.status}`, final.status);
    }
    const remoteTarget = /<([^>]+)>/.exec(final.headers.get('contact') ?? '')?.[1] ?? uri;
    this.send(this.build('ACK', remoteTarget, branch(), callId, fromTag, toTag, to, 1, '', []));
    const media = answeredMedia(final.body, codec);
    if (media === undefined) throw new SipUaError('SIP_UA_BAD_ANSWER', `200 without an audio answer carrying ${codec.rtpmap}`);
    const remoteKey = srtp === undefined ? undefined : answeredSrtpKey(final.body, srtp.suite);
    if (srtp !== undefined && remoteKey === undefined) {
      throw new SipUaError('SIP_UA_BAD_ANSWER', `200 without an RTP/SAVP answer keyed for ${srtp.suite}`);
    }
    return {
      callId, to, fromTag, toTag, remoteTarget, cseq: 1,
      remoteRtp: { address: media.address, port: media.port },
      payloadType: media.payloadType,
      ...(srtp === undefined || remoteKey === undefined ? {} : { srtp: { local: srtp, remote: remoteKey } }),
    };
  }

  /** BYE with retransmission; resolves with the final status (0 on timeout). */
  async bye(dialog: Dialog, timeoutMs = 4_000): Promise<number> {
    const cseq = ++dialog.cseq;
    const text = this.build('BYE', dialog.remoteTarget, branch(), dialog.callId, dialog.fromTag, dialog.toTag, dialog.to, cseq, '', []);
    const deadline = performance.now() + timeoutMs;
    let interval = T1_MS;
    this.byes.delete(dialog.callId);
    for (;;) {
      const left = deadline - performance.now();
      if (left <= 0 || this.closed) return 0;
      this.send(text);
      const r = await this.next(`${dialog.callId} ${cseq} BYE`, Math.min(interval, left));
      interval = Math.min(interval * 2, 4_000);
      if (r !== undefined && r.status >= 200) return r.status;
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.close();
  }

  private build(method: string, uri: string, via: string, callId: string, fromTag: string, toTag: string, to: string,
    cseq: number, body: string, extra: readonly string[]): string {
    return [
      `${method} ${uri} SIP/2.0`, `Via: SIP/2.0/UDP ${this.local};branch=${via};rport`, 'Max-Forwards: 70',
      `From: <sip:bench@127.0.0.1>;tag=${fromTag}`, `To: <sip:${to}@${this.host}>${toTag === '' ? '' : `;tag=${toTag}`}`,
      `Call-ID: ${callId}`, `CSeq: ${cseq} ${method}`, ...extra, `Content-Length: ${Buffer.byteLength(body)}`, '', body,
    ].join('\r\n');
  }

  private next(key: string, timeoutMs: number): Promise<SipResponse | undefined> {
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

  private onMessage(text: string): void {
    const m = parseSipMessage(text);
    if (m === undefined) return;
    const { callId, cseq } = m;
    if (m.method === undefined) {
      if (cseq === '1 INVITE' && m.status >= 200 && m.status < 300 && !this.waiting.has(`${callId} ${cseq}`)) {
        return; // a retransmitted 200: our ACK will follow the first one; the gateway stops on that ACK
      }
      this.waiting.get(`${callId} ${cseq}`)?.({ status: m.status, headers: m.headers, body: m.body });
      return;
    }
    if (m.method === 'ACK') return;
    this.send([`SIP/2.0 ${m.method === 'BYE' || m.method === 'OPTIONS' ? '200 OK' : '501 Not Implemented'}`, ...m.dialogLines, 'Content-Length: 0', '', ''].join('\r\n'));
    if (m.method === 'BYE') {
      this.byes.get(callId)?.();
      this.byes.delete(callId);
    }
  }

  private send(text: string): void {
    if (!this.closed) this.socket.send(text, this.port, this.host);
  }
}

function branch(): string {
  return `z9hG4bK${randomBytes(8).toString('hex')}`;
}
