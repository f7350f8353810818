/**
 * The plain packet transport: a call's RTP/RTCP socket pair. Hands each datagram up as it arrives (one
 * `performance.now()` per packet) and sends with dgram. A send makes no closure: dgram's completion callback is made
 * once per channel and failure handler (RtpEndpoint passes the same handler for every packet of a flow), and the
 * sockets answer IP-literal destinations without a lookup tick (ip-literal-lookup.ts, set by the port pool).
 */
import type { RemoteInfo } from 'node:dgram';
import type { MediaPorts } from './port-pool.js';
import type { PacketChannel, PacketHandler, PacketSource, PacketTransport } from './packet-transport.js';

type UdpListener = (msg: Buffer, rinfo: RemoteInfo) => void;
type SendCallback = (err: Error | null) => void;

/** dgram's completion callback for one failure handler: it is called with `null` after every good send. */
class SendCompletion {
  readonly callback: SendCallback;
  constructor(readonly onError: (err: unknown) => void) {
    this.callback = (err) => {
      if (err) onError(err);
    };
  }
}

export class UdpPacketTransport implements PacketTransport {
  private listeners: { rtp: UdpListener; rtcp: UdpListener } | undefined;
  private rtpCompletion: SendCompletion | undefined;
  private rtcpCompletion: SendCompletion | undefined;

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
    const rtp = channel === 'rtp';
    let completion = rtp ? this.rtpCompletion : this.rtcpCompletion;
    if (completion?.onError !== onError) {
      completion = new SendCompletion(onError);
      if (rtp) this.rtpCompletion = completion;
      else this.rtcpCompletion = completion;
    }
    try {
      (rtp ? this.ports.rtp : this.ports.rtcp).send(bytes, to.port, to.address, completion.callback);
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
