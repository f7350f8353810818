/**
 * A scripted SIP UAC on loopback for the UAS tests: sends what the test writes, keeps every message it receives,
 * and waits (bounded) for one that matches. Plays the gateway's part of an outbound call.
 */
import { createSocket, type Socket } from 'node:dgram';
import { parseSipMessage, type SipMessage } from '../src/load/sip-message.js';

export class ScriptedUac {
  readonly received: SipMessage[] = [];
  private readonly waiters: { match: (m: SipMessage) => boolean; resolve: (m: SipMessage) => void }[] = [];

  private constructor(private readonly socket: Socket, private readonly uasPort: number) {
    socket.on('message', (msg: Buffer) => {
      const m = parseSipMessage(msg.toString('latin1'));
      if (m === undefined) return;
      this.received.push(m);
      for (const w of [...this.waiters]) {
        if (w.match(m)) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(m);
        }
      }
    });
  }

  static async open(uasPort: number): Promise<ScriptedUac> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
    return new ScriptedUac(socket, uasPort);
  }

  get port(): number {
    return this.socket.address().port;
  }

  send(text: string): void {
    this.socket.send(text, this.uasPort, '127.0.0.1');
  }

  /** The first message received (already, or within `timeoutMs`) that matches. */
  waitFor(match: (m: SipMessage) => boolean, timeoutMs = 3_000): Promise<SipMessage> {
    const seen = this.received.find(match);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching SIP message within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({ match, resolve: (m) => { clearTimeout(timer); resolve(m); } });
    });
  }

  count(match: (m: SipMessage) => boolean): number {
    return this.received.filter(match).length;
  }

  close(): void {
    this.socket.close();
  }

  /** An INVITE as the gateway writes one: offer in the body, our Contact, a fresh branch. */
  invite(o: { callId: string; user: string; branch: string; offer: string; cseq?: number }): string {
    return request('INVITE', `sip:${o.user}@127.0.0.1:${this.uasPort}`, this.port, o.branch, o.callId, 'gw1', '', o.user, o.cseq ?? 1,
      ['Contact: <sip:patchbay@127.0.0.1:' + String(this.port) + '>', 'Content-Type: application/sdp'], o.offer);
  }

  ack(o: { callId: string; user: string; toTag: string; cseq?: number }): string {
    return request('ACK', `sip:carrier@127.0.0.1:${this.uasPort}`, this.port, `z9hG4bKack${o.callId}`, o.callId, 'gw1', o.toTag, o.user, o.cseq ?? 1, [], '');
  }

  cancel(o: { callId: string; user: string; branch: string }): string {
    return request('CANCEL', `sip:${o.user}@127.0.0.1:${this.uasPort}`, this.port, o.branch, o.callId, 'gw1', '', o.user, 1, [], '');
  }

  bye(o: { callId: string; user: string; toTag: string; cseq: number }): string {
    return request('BYE', `sip:carrier@127.0.0.1:${this.uasPort}`, this.port, `z9hG4bKbye${o.callId}`, o.callId, 'gw1', o.toTag, o.user, o.cseq, [], '');
  }

  /** 200 OK to a request we received (its Via, From, To, Call-ID, CSeq). */
  ok(m: SipMessage): string {
    return ['SIP/2.0 200 OK', ...m.dialogLines, 'Content-Length: 0', '', ''].join('\r\n');
  }
}

function request(method: string, uri: string, port: number, branch: string, callId: string, fromTag: string, toTag: string,
  user: string, cseq: number, extra: readonly string[], body: string): string {
  return [
    `${method} ${uri} SIP/2.0`, `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=${branch};rport`, 'Max-Forwards: 70',
    `From: <sip:patchbay@127.0.0.1>;tag=${fromTag}`, `To: <sip:${user}@127.0.0.1>${toTag === '' ? '' : `;tag=${toTag}`}`,
    `Call-ID: ${callId}`, `CSeq: ${cseq} ${method}`, ...extra, `Content-Length: ${Buffer.byteLength(body)}`, '', body,
  ].join('\r\n');
}

/** An offer as the gateway writes one: Opus first at a dynamic type, PCMU, telephone-event. */
export function gatewayOffer(rtpPort: number): string {
  return [
    'v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', `m=audio ${rtpPort} RTP/AVP 107 0 101`,
    'a=rtpmap:107 opus/48000/2', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:101 telephone-event/8000', 'a=ptime:20', 'a=sendrecv', '',
  ].join('\r\n');
}
