/**
 * The person at the far end of the bench's bridged calls: a carrier-side host (SipUas) that answers every INVITE
 * with the offer's first format on a fresh RTP socket and sends each RTP packet it receives straight back (its own
 * SSRC, the packet's sequence number, timestamp and payload), so what the caller said comes back through the bridge
 * both ways: caller → gateway (leg A in, leg B out) → here → gateway (leg B in, leg A out) → caller. Loopback only.
 */
import { randomInt } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import type { UasDecision, UasHost, UasInvite } from '../load/sip-uas.js';

interface Reflected {
  readonly socket: Socket;
  packets: number;
}

export class Reflector implements UasHost {
  private readonly calls = new Map<string, Reflected>();
  /** Packets sent back, all calls. */
  reflected = 0;
  answeredCalls = 0;

  async invite(invite: UasInvite): Promise<UasDecision> {
    const port = Number(/^m=audio (\d+)/m.exec(invite.offer)?.[1] ?? 0);
    const address = /^c=IN IP4 (\S+)/m.exec(invite.offer)?.[1] ?? '127.0.0.1';
    const pt = Number(/^m=audio \d+ \S+ (\d+)/m.exec(invite.offer)?.[1] ?? 0);
    if (port === 0) return { reject: 488 };
    const lines = invite.offer.split(/\r?\n/).filter((l) => l.startsWith(`a=rtpmap:${pt} `) || l.startsWith(`a=fmtp:${pt} `));
    const socket = createSocket({ type: 'udp4', recvBufferSize: 256 << 10 });
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
    const ssrc = randomInt(1, 0xffffffff);
    const call: Reflected = { socket, packets: 0 };
    socket.on('error', () => undefined);
    socket.on('message', (msg: Buffer) => {
      if (msg.length < 12 || (msg[1]! & 0x7f) !== pt) return; // RTP of the answered format only (no RTCP, no events)
      msg.writeUInt32BE(ssrc, 8);
      socket.send(msg, port, address);
      call.packets++;
      this.reflected++;
    });
    this.calls.set(invite.callId, call);
    const sdp = ['v=0', `o=reflector ${randomInt(1, 2 ** 31)} 1 IN IP4 127.0.0.1`, 's=-', 'c=IN IP4 127.0.0.1', 't=0 0',
      `m=audio ${socket.address().port} RTP/AVP ${pt}`, ...lines, 'a=ptime:20', 'a=sendrecv', ''].join('\r\n');
    return { answer: sdp };
  }

  answered(): void {
    this.answeredCalls++;
  }

  acked(): void {}

  ended(callId: string): void {
    this.close(callId);
  }

  failed(callId: string): void {
    this.close(callId);
  }

  closeAll(): void {
    for (const id of [...this.calls.keys()]) this.close(id);
  }

  private close(callId: string): void {
    const call = this.calls.get(callId);
    if (call === undefined) return;
    this.calls.delete(callId);
    call.socket.close();
  }
}
