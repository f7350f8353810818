/**
 * A scripted SIP UAC over UDP for digest-authentication tests: from a chosen loopback address, it sends an INVITE,
 * answers the 401 challenge with MD5 digest credentials (RFC 2617/7616, qop=auth, computed here, not by the
 * gateway's code) and reports the final response byte for byte. Non-2xx finals are ACKed on their branch; a 200 is
 * ACKed and the call ended with BYE at once. Every wait is bounded; `close()` is idempotent.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { header, parseSip, type SipMessage } from './sip-text.js';

export interface DigestClientOptions {
  /** Local address to send from (127.0.0.0/8), e.g. `127.0.0.2` for a second source. */
  readonly localAddress: string;
  readonly host: string;
  readonly port: number;
  /** The dialled number (user part of the Request-URI). */
  readonly number: string;
}

export interface Received {
  readonly raw: string;
  readonly message: SipMessage;
}

export interface AttemptResult {
  /** The final response to the credentialed INVITE. */
  readonly final: Received;
  /** `performance.now()` just before the credentialed INVITE was sent, and when its final response arrived. */
  readonly sentAtMs: number;
  readonly receivedAtMs: number;
}

const md5 = (s: string): string => createHash('md5').update(s, 'utf8').digest('hex');

export class DigestClient {
  private readonly inbox: Received[] = [];
  private wake: (() => void) | undefined;
  private closed = false;

  private constructor(
    private readonly socket: Socket,
    private readonly options: DigestClientOptions,
  ) {
    socket.on('message', (data: Buffer) => {
      const raw = data.toString('latin1');
      const message = parseSip(raw);
      if (message === undefined) return; // RTP/RTCP from an answered call: not ours to read
      this.inbox.push({ raw, message });
      this.wake?.();
    });
    socket.on('error', () => undefined); // ICMP errors on loopback after a peer closed: never fatal to a test
  }

  static async open(options: DigestClientOptions): Promise<DigestClient> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, options.localAddress, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    return new DigestClient(socket, options);
  }

  private get local(): string {
    const a = this.socket.address();
    return `${a.address}:${a.port}`;
  }

  private get requestUri(): string {
    return `sip:${this.options.number}@${this.options.host}:${this.options.port}`;
  }

  /** INVITE without credentials (expects 401), then with `username`/`password`; the credentialed attempt's final. */
  async attempt(username: string, password: string, timeoutMs = 3_000): Promise<AttemptResult> {
    const callId = `${randomBytes(8).toString('hex')}@${this.options.localAddress}`;
    const fromTag = randomBytes(4).toString('hex');
    const challenge = await this.invite({ callId, fromTag, cseq: 1 }, undefined, timeoutMs);
    if (challenge.message.status !== 401) throw new Error(`expected 401, got ${challenge.message.firstLine}`);
    const www = header(challenge.message, 'www-authenticate') ?? '';
    const nonce = /nonce="([^"]+)"/.exec(www)?.[1];
    const realm = /realm="([^"]+)"/.exec(www)?.[1];
    if (nonce === undefined || realm === undefined || !/algorithm=MD5/.test(www)) throw new Error(`unusable challenge: ${www}`);
    const uri = this.requestUri;
    const cnonce = randomBytes(8).toString('hex');
    const nc = '00000001';
    const ha1 = md5(`${username}:${realm}:${password}`);
    const ha2 = md5(`INVITE:${uri}`);
    const response = md5(`${ha1}:${nonce}:${nc}:${cnonce}:auth:${ha2}`);
    const authorization = `Digest username="${username}", realm="${realm}", nonce="${nonce}", uri="${uri}", response="${response}", algorithm=MD5, qop=auth, nc=${nc}, cnonce="${cnonce}"`;
    const sentAtMs = performance.now();
    const final = await this.invite({ callId, fromTag, cseq: 2 }, authorization, timeoutMs);
    const receivedAtMs = performance.now();
    return { final, sentAtMs, receivedAtMs };
  }

  /** Sends one INVITE, waits for its final response, ACKs it (and BYEs a 200). */
  private async invite(ids: { callId: string; fromTag: string; cseq: number }, authorization: string | undefined, timeoutMs: number): Promise<Received> {
    const branch = `z9hG4bK${randomBytes(6).toString('hex')}`;
    const uri = this.requestUri;
    const sdp = ['v=0', `o=- 1 1 IN IP4 ${this.options.localAddress}`, 's=-', `c=IN IP4 ${this.options.localAddress}`, 't=0 0', `m=audio ${this.socket.address().port} RTP/AVP 0`, 'a=rtpmap:0 PCMU/8000', ''].join('\r\n');
    const lines = [
      `INVITE ${uri} SIP/2.0`,
      `Via: SIP/2.0/UDP ${this.local};branch=${branch};rport`,
      'Max-Forwards: 70',
      `From: <sip:prober@${this.options.localAddress}>;tag=${ids.fromTag}`,
      `To: <${uri}>`,
      `Call-ID: ${ids.callId}`,
      `CSeq: ${ids.cseq} INVITE`,
      `Contact: <sip:prober@${this.local}>`,
      ...(authorization === undefined ? [] : [`Authorization: ${authorization}`]),
      'Content-Type: application/sdp',
      `Content-Length: ${Buffer.byteLength(sdp)}`,
    ];
    this.send(`${lines.join('\r\n')}\r\n\r\n${sdp}`);
    const final = await this.next((m) => (m.status ?? 0) >= 200 && header(m, 'call-id') === ids.callId && header(m, 'cseq') === `${ids.cseq} INVITE`, timeoutMs);
    const to = header(final.message, 'to') ?? `<${uri}>`;
    const status = final.message.status ?? 0;
    // A non-2xx is ACKed on the INVITE's branch (RFC 3261 17.1.1.3); a 2xx gets its own ACK, then BYE.
    const ackBranch = status < 300 ? `z9hG4bK${randomBytes(6).toString('hex')}` : branch;
    const dialog = [`From: <sip:prober@${this.options.localAddress}>;tag=${ids.fromTag}`, `To: ${to}`, `Call-ID: ${ids.callId}`];
    this.send([`ACK ${uri} SIP/2.0`, `Via: SIP/2.0/UDP ${this.local};branch=${ackBranch};rport`, 'Max-Forwards: 70', ...dialog, `CSeq: ${ids.cseq} ACK`, 'Content-Length: 0', '', ''].join('\r\n'));
    if (status >= 200 && status < 300) {
      const byeBranch = `z9hG4bK${randomBytes(6).toString('hex')}`;
      this.send([`BYE ${uri} SIP/2.0`, `Via: SIP/2.0/UDP ${this.local};branch=${byeBranch};rport`, 'Max-Forwards: 70', ...dialog, `CSeq: ${ids.cseq + 1} BYE`, 'Content-Length: 0', '', ''].join('\r\n'));
      await this.next((m) => m.status === 200 && header(m, 'cseq') === `${ids.cseq + 1} BYE`, timeoutMs);
    }
    return final;
  }

  private send(text: string): void {
    this.socket.send(Buffer.from(text, 'latin1'), this.options.port, this.options.host);
  }

  /** The first message (already received or to come) that matches; consumes it and everything before it. */
  private async next(match: (m: SipMessage) => boolean, timeoutMs: number): Promise<Received> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const i = this.inbox.findIndex((r) => match(r.message));
      if (i >= 0) {
        const [hit] = this.inbox.splice(0, i + 1).slice(-1);
        if (hit !== undefined) return hit;
      }
      const left = deadline - performance.now();
      if (left <= 0 || this.closed) throw new Error(`no matching SIP message within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.wake?.();
    this.socket.close();
  }
}
