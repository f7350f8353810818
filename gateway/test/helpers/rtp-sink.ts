/** A UDP socket standing in for a caller's RTP port: records what the gateway sends on RTP. */
import { createSocket, type Socket } from 'node:dgram';
import { ULAW_DECODE } from './g711.js';

export class RtpSink {
  readonly packets: { readonly atMs: number; readonly payloadType: number; readonly peak: number }[] = [];
  private constructor(
    private readonly socket: Socket,
    readonly port: number,
  ) {
    socket.on('message', (msg: Buffer) => {
      if (msg.length < 12 || msg[0] === undefined || msg[1] === undefined || msg[0] >> 6 !== 2) return;
      const csrcCount = msg[0] & 0x0f;
      let offset = 12 + csrcCount * 4;
      if ((msg[0] & 0x10) !== 0) offset += 4 + msg.readUInt16BE(offset + 2) * 4;
      const payloadType = msg[1] & 0x7f;
      let peak = 0;
      if (payloadType === 0) for (const byte of msg.subarray(offset)) peak = Math.max(peak, Math.abs(ULAW_DECODE[byte] ?? 0));
      this.packets.push({ atMs: performance.now(), payloadType, peak });
    });
  }

  static async start(): Promise<RtpSink> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, '127.0.0.1', () => resolve());
    });
    return new RtpSink(socket, socket.address().port);
  }

  /** PCMU packets carrying the test tone (amplitude 8,000), not silence. */
  tonePackets(): number {
    return this.packets.filter((p) => p.payloadType === 0 && p.peak > 2_000).length;
  }

  close(): void {
    this.socket.close();
  }
}
