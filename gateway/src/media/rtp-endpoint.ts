/**
 * One call's RTP/RTCP sockets. Symmetric RTP (RFC 4961 style, what SBCs call "NAT mode"): we send to the address
 * the SDP names until the first valid RTP packet of an expected payload type arrives, then latch onto its source,
 * so callers behind NAT get audio. After latching, packets from other sources are foreign: dropped and counted.
 * Anything that is not RTP v2 is garbage: dropped and counted. Nothing here throws into the socket handlers.
 */
import type { RemoteInfo as UdpRemote } from 'node:dgram';
import type { Logger } from 'pino';
import type { MediaPorts } from './port-pool.js';
import { isRtcp, parseRtp, type RtpPacket } from './rtp/packet.js';

export interface RtpTarget {
  address: string;
  rtpPort: number;
  rtcpPort: number;
}

export interface RtpEndpointStats {
  received: number;
  garbage: number;
  foreign: number;
  unexpectedPayloadType: number;
  sent: number;
  rtcpReceived: number;
  rtcpSent: number;
  latches: number;
}

export interface RtpEndpointHandlers {
  onRtp(packet: RtpPacket, arrivalMs: number): void;
  onRtcp(bytes: Uint8Array, arrivalMs: number): void;
}

export class RtpEndpoint {
  readonly stats: RtpEndpointStats = { received: 0, garbage: 0, foreign: 0, unexpectedPayloadType: 0, sent: 0, rtcpReceived: 0, rtcpSent: 0, latches: 0 };
  private target: RtpTarget;
  private latchedRtp: { address: string; port: number } | undefined;
  private latchedRtcp: { address: string; port: number } | undefined;
  private closed = false;

  constructor(
    private readonly ports: MediaPorts,
    target: RtpTarget,
    private acceptedPayloadTypes: ReadonlySet<number>,
    private readonly handlers: RtpEndpointHandlers,
    private readonly logger: Logger,
  ) {
    this.target = target;
    ports.rtp.on('message', (msg, rinfo) => this.receiveRtp(msg, rinfo));
    ports.rtcp.on('message', (msg, rinfo) => this.receiveRtcp(msg, rinfo));
  }

  /** Where RTP goes now (the latched source, or the SDP address). */
  get destination(): { address: string; port: number } {
    return this.latchedRtp ?? { address: this.target.address, port: this.target.rtpPort };
  }

  /** A re-INVITE named a new address or codec set: forget the latch and follow the new SDP. */
  retarget(target: RtpTarget, acceptedPayloadTypes: ReadonlySet<number>): void {
    this.target = target;
    this.acceptedPayloadTypes = acceptedPayloadTypes;
    this.latchedRtp = undefined;
    this.latchedRtcp = undefined;
  }

  sendRtp(bytes: Uint8Array): void {
    if (this.closed || this.target.rtpPort === 0) return;
    const to = this.destination;
    this.stats.sent++;
    this.ports.rtp.send(bytes, to.port, to.address, (err) => {
      if (err) this.logger.debug({ err }, 'RTP send failed');
    });
  }

  sendRtcp(bytes: Uint8Array): void {
    if (this.closed || this.target.rtcpPort === 0) return;
    const to = this.latchedRtcp ?? { address: this.target.address, port: this.target.rtcpPort };
    this.stats.rtcpSent++;
    this.ports.rtcp.send(bytes, to.port, to.address, (err) => {
      if (err) this.logger.debug({ err }, 'RTCP send failed');
    });
  }

  close(): void {
    this.closed = true;
    this.ports.rtp.removeAllListeners('message');
    this.ports.rtcp.removeAllListeners('message');
  }

  private receiveRtp(msg: Buffer, rinfo: UdpRemote): void {
    if (this.closed) return;
    const arrivalMs = performance.now();
    if (isRtcp(msg)) {
      // RTCP multiplexed on the RTP port (RFC 5761).
      this.receiveRtcp(msg, rinfo);
      return;
    }
    const packet = parseRtp(msg);
    if (!packet) {
      this.stats.garbage++;
      return;
    }
    const latched = this.latchedRtp;
    if (latched === undefined) {
      if (!this.acceptedPayloadTypes.has(packet.payloadType)) {
        this.stats.unexpectedPayloadType++;
        return;
      }
      this.latchedRtp = { address: rinfo.address, port: rinfo.port };
      this.stats.latches++;
    } else if (latched.address !== rinfo.address || latched.port !== rinfo.port) {
      this.stats.foreign++;
      return;
    }
    if (!this.acceptedPayloadTypes.has(packet.payloadType)) {
      this.stats.unexpectedPayloadType++;
      return;
    }
    this.stats.received++;
    this.handlers.onRtp(packet, arrivalMs);
  }

  private receiveRtcp(msg: Buffer, rinfo: UdpRemote): void {
    if (this.closed) return;
    const rtpSource = this.latchedRtp;
    if (rtpSource !== undefined && rtpSource.address !== rinfo.address) {
      this.stats.foreign++;
      return;
    }
    this.latchedRtcp ??= { address: rinfo.address, port: rinfo.port };
    this.stats.rtcpReceived++;
    this.handlers.onRtcp(msg, performance.now());
  }
}
