/**
 * The plain packet transport: a call's RTP/RTCP socket pair. Hands each datagram up as it arrives and sends as
 * RtpEndpoint used to, so the plain path costs what it did (one closure per send, one `performance.now()` per packet).
 */
import type { MediaPorts } from './port-pool.js';
import type { PacketChannel, PacketHandler, PacketSource, PacketTransport } from './packet-transport.js';

export class UdpPacketTransport implements PacketTransport {
  constructor(private readonly ports: MediaPorts) {}

  get rtpPort(): number {
    return this.ports.rtpPort;
  }

  get rtcpPort(): number {
    return this.ports.rtcpPort;
  }

  receive(handler: PacketHandler): void {
    this.close();
    this.ports.rtp.on('message', (msg, rinfo) => handler(msg, rinfo, 'rtp', performance.now()));
    this.ports.rtcp.on('message', (msg, rinfo) => handler(msg, rinfo, 'rtcp', performance.now()));
  }

  /** dgram throws synchronously on a bad port (65536, say) and reports other failures to the callback: never out. */
  send(channel: PacketChannel, bytes: Uint8Array, _rtcp: boolean, to: PacketSource, onError: (err: unknown) => void): void {
    const socket = channel === 'rtp' ? this.ports.rtp : this.ports.rtcp;
    try {
      socket.send(bytes, to.port, to.address, (err) => {
        if (err) onError(err);
      });
    } catch (err) {
      onError(err);
    }
  }

  close(): void {
    this.ports.rtp.removeAllListeners('message');
    this.ports.rtcp.removeAllListeners('message');
  }
}
