/**
 * The plain packet transport: a call's RTP/RTCP socket pair. Hands each datagram up as it arrives and sends as
 * RtpEndpoint used to, so the plain path costs what it did (one closure per send, one `performance.now()` per packet).
 */
import type { RemoteInfo } from 'node:dgram';
import type { MediaPorts } from './port-pool.js';
import type { PacketChannel, PacketHandler, PacketSource, PacketTransport } from './packet-transport.js';

type UdpListener = (msg: Buffer, rinfo: RemoteInfo) => void;

export class UdpPacketTransport implements PacketTransport {
  private listeners: { rtp: UdpListener; rtcp: UdpListener } | undefined;

  constructor(private readonly ports: MediaPorts) {}

  get rtpPort(): number {
    return this.ports.rtpPort;
  }

  get rtcpPort(): number {
    return this.ports.rtcpPort;
  }

  receive(handler: PacketHandler): void {
    this.close();
    const listeners = {
      rtp: (msg: Buffer, rinfo: RemoteInfo): void => handler(msg, rinfo, 'rtp', performance.now()),
      rtcp: (msg: Buffer, rinfo: RemoteInfo): void => handler(msg, rinfo, 'rtcp', performance.now()),
    };
    this.listeners = listeners;
    this.ports.rtp.on('message', listeners.rtp);
    this.ports.rtcp.on('message', listeners.rtcp);
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

  /** Removes only this transport's listeners (idempotent). */
  close(): void {
    const listeners = this.listeners;
    if (listeners === undefined) return;
    this.listeners = undefined;
    this.ports.rtp.removeListener('message', listeners.rtp);
    this.ports.rtcp.removeListener('message', listeners.rtcp);
  }
}
