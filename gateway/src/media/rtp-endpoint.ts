/**
 * One call's RTP/RTCP flows over its packet transport (packet-transport.ts: the UDP socket pair, or SRTP over it,
 * which hands up only packets that authenticated), and whose packets they accept. Before the first packet we send to the address the
 * SDP names; then we latch onto a source, so callers behind NAT get audio (symmetric RTP, RFC 4961 style: what SBCs
 * call "NAT mode"), but only onto a source the latch policy allows (`media.latch`):
 *
 * - `strict`: only the SDP's connection address and port, exactly (no NAT traversal);
 * - `signalling-ip` (default): a source whose address is the SDP's connection address or the address the call's
 *   SIP came from, any port (a NAT rewrites ports, rarely the address of both);
 * - `any`: any source (the first valid packet wins), for deployments where media comes from elsewhere.
 *
 * Whatever the policy: a source that was already sending before our answer went out is never latched (an attacker
 * spraying the range, an old call's RTP after a restart; see PreAnswerSources); latching other than onto the exact
 * SDP address happens only in the first LATCH_WINDOW_MS of the media (after that, only the SDP address and port
 * latch), and not before NAT_HOLD_MS of it: the exact SDP address and port latch at once, but another source (a
 * NAT-rewritten port) only once the SDP's own source has had that long to speak and stayed silent, and only when it
 * is the one such source heard (an old call's streams from the carrier's media host after a restart are several,
 * and lose to the new call's exact source). Within the window a packet from the exact SDP address and port still
 * takes the latch over from a NAT latch; RTCP is accepted only from the latched address or the SDP's RTCP address. Packets from any other source
 * are dropped and counted (`foreign`, and distinct sources in `rejectedSources`). A re-INVITE that moves the SDP
 * address re-opens latching for the new one, sources already refused staying refused. Anything that is not RTP v2
 * is garbage: dropped and counted. Nothing here throws into the socket handlers, nor out of a send.
 */
import type { Logger } from 'pino';
import type { PacketChannel, PacketSource as UdpRemote, PacketTransport } from './packet-transport.js';
import { normalizeAddress, type SourceBar } from './pre-answer-sources.js';
import { isRtcp, parseRtp, type RtpPacket } from './rtp/packet.js';

export interface RtpTarget {
  address: string;
  rtpPort: number;
  rtcpPort: number;
}

export const LATCH_POLICIES = ['strict', 'signalling-ip', 'any'] as const;
export type LatchPolicy = (typeof LATCH_POLICIES)[number];

/** After the media starts (or a re-INVITE moves it), a source other than the SDP's may latch for this long. */
export const LATCH_WINDOW_MS = 2000;
/** A source other than the SDP's exact address and port waits this long after the media starts before it latches. */
export const NAT_HOLD_MS = 100;
/** Distinct refused sources remembered per call (counted, and refused again after a re-INVITE). */
const MAX_REJECTED = 1024;

/** Totals the plane keeps over all its calls (monotonic); each endpoint adds to them as it refuses. */
export interface RejectedTotals {
  packets: number;
  sources: number;
}

/** Which sources a call's endpoint may latch onto. */
export interface RtpSourceRules {
  policy: LatchPolicy;
  /** The address the call's SIP came from (`signalling-ip`). */
  signallingAddress?: string | undefined;
  /** Sources that sent before our answer went out: never latched. */
  preAnswer?: SourceBar | undefined;
  totals?: RejectedTotals | undefined;
  /** Default LATCH_WINDOW_MS (tests shorten it). */
  latchWindowMs?: number | undefined;
  /** Default NAT_HOLD_MS (tests shorten it). */
  natHoldMs?: number | undefined;
}

export interface RtpEndpointStats {
  received: number;
  garbage: number;
  /** RTP and RTCP packets dropped because of their source (not latched, refused by the policy, sent before the answer). */
  foreign: number;
  /** Distinct sources (address and port) whose packets were dropped, up to 1,024 per call. */
  rejectedSources: number;
  unexpectedPayloadType: number;
  sent: number;
  /** Sends that failed (a bad destination port, an unreachable address): the packet is lost, the call goes on. */
  sendErrors: number;
  rtcpReceived: number;
  rtcpSent: number;
  latches: number;
}

export interface RtpEndpointHandlers {
  onRtp(packet: RtpPacket, arrivalMs: number): void;
  onRtcp(bytes: Uint8Array, arrivalMs: number): void;
}

export class RtpEndpoint {
  readonly stats: RtpEndpointStats = {
    received: 0,
    garbage: 0,
    foreign: 0,
    rejectedSources: 0,
    unexpectedPayloadType: 0,
    sent: 0,
    sendErrors: 0,
    rtcpReceived: 0,
    rtcpSent: 0,
    latches: 0,
  };
  private target: RtpTarget;
  private latchedRtp: { address: string; port: number } | undefined;
  private latchedRtcp: { address: string; port: number } | undefined;
  /** When latching onto a source other than the SDP's exact address closes (performance.now()). */
  private windowEndsMs: number;
  /** Before this time (performance.now()) only the exact SDP source latches. */
  private holdEndsMs: number;
  /** Sources other than the exact SDP one that would latch (NAT candidates), since the media started or moved. */
  private readonly candidates = new Set<string>();
  /** Distinct sources refused so far (counted once each). */
  private readonly rejected = new Set<string>();
  /** Sources whose RTP was refused since the media started or last moved. */
  private readonly refusedRtp = new Set<string>();
  /** Sources whose RTP was refused before the last re-INVITE moved the media: never latched after it. */
  private readonly refusedBeforeMove = new Set<string>();
  private readonly signalling: string | undefined;
  private closed = false;

  constructor(
    private readonly transport: PacketTransport,
    target: RtpTarget,
    private acceptedPayloadTypes: ReadonlySet<number>,
    private readonly handlers: RtpEndpointHandlers,
    private readonly logger: Logger,
    private readonly rules: RtpSourceRules = { policy: 'signalling-ip' },
  ) {
    this.target = target;
    this.signalling = rules.signallingAddress === undefined ? undefined : normalizeAddress(rules.signallingAddress);
    this.windowEndsMs = performance.now() + (rules.latchWindowMs ?? LATCH_WINDOW_MS);
    this.holdEndsMs = performance.now() + (rules.natHoldMs ?? NAT_HOLD_MS);
    transport.receive((msg, rinfo, channel, arrivalMs) => {
      if (channel === 'rtp') this.receiveRtp(msg, rinfo, arrivalMs);
      else this.receiveRtcp(msg, rinfo, false);
    });
  }

  /** Where RTP goes now (the latched source, or the SDP address). */
  get destination(): { address: string; port: number } {
    return this.latchedRtp ?? { address: this.target.address, port: this.target.rtpPort };
  }

  /**
   * A re-INVITE named a new session: follow its codecs, and when it moved the address or port, forget the latch
   * and open latching again for the new address (sources refused so far stay refused).
   */
  retarget(target: RtpTarget, acceptedPayloadTypes: ReadonlySet<number>): void {
    const moved = !sameAddress(target.address, this.target.address) || target.rtpPort !== this.target.rtpPort || target.rtcpPort !== this.target.rtcpPort;
    this.target = target;
    this.acceptedPayloadTypes = acceptedPayloadTypes;
    if (!moved) return;
    for (const key of this.refusedRtp) if (this.refusedBeforeMove.size < MAX_REJECTED) this.refusedBeforeMove.add(key);
    this.refusedRtp.clear();
    this.latchedRtp = undefined;
    this.latchedRtcp = undefined;
    this.windowEndsMs = performance.now() + (this.rules.latchWindowMs ?? LATCH_WINDOW_MS);
    this.holdEndsMs = performance.now() + (this.rules.natHoldMs ?? NAT_HOLD_MS);
    this.candidates.clear();
  }

  sendRtp(bytes: Uint8Array): void {
    if (this.closed || this.target.rtpPort === 0) return;
    const to = this.destination;
    this.stats.sent++;
    this.send('rtp', bytes, false, to, 'RTP');
  }

  sendRtcp(bytes: Uint8Array): void {
    if (this.closed || this.target.rtcpPort === 0) return;
    const to = this.latchedRtcp ?? { address: this.target.address, port: this.target.rtcpPort };
    this.stats.rtcpSent++;
    this.send('rtcp', bytes, true, to, 'RTCP');
  }

  close(): void {
    this.closed = true;
    this.transport.close();
  }

  /** The transport never throws out of a send: failures come back to `sendFailed`. */
  private send(channel: PacketChannel, bytes: Uint8Array, rtcp: boolean, to: { address: string; port: number }, what: 'RTP' | 'RTCP'): void {
    this.transport.send(channel, bytes, rtcp, to, (err) => this.sendFailed(err, what, to));
  }

  private sendFailed(err: unknown, what: 'RTP' | 'RTCP', to: { address: string; port: number }): void {
    this.stats.sendErrors++;
    if (this.stats.sendErrors === 1) this.logger.warn({ err, to, what }, 'media send failed (further failures of this call counted, not logged)');
  }

  private receiveRtp(msg: Buffer, rinfo: UdpRemote, arrivalMs: number): void {
    if (this.closed) return;
    if (isRtcp(msg)) {
      // RTCP multiplexed on the RTP port (RFC 5761).
      this.receiveRtcp(msg, rinfo, true);
      return;
    }
    const packet = parseRtp(msg);
    if (!packet) {
      this.stats.garbage++;
      return;
    }
    const latched = this.latchedRtp;
    if (latched === undefined) {
      const verdict = this.mayLatch(rinfo, arrivalMs);
      if (verdict === 'wait') {
        this.stats.foreign++; // a NAT candidate heard before the hold ends: dropped, not refused
        return;
      }
      if (verdict === 'no') {
        this.reject(rinfo, true);
        return;
      }
      if (!this.acceptedPayloadTypes.has(packet.payloadType)) {
        this.stats.unexpectedPayloadType++;
        return;
      }
      this.latchedRtp = { address: rinfo.address, port: rinfo.port };
      this.stats.latches++;
    } else if (latched.address !== rinfo.address || latched.port !== rinfo.port) {
      if (!this.exactBeatsNatLatch(rinfo, arrivalMs) || !this.acceptedPayloadTypes.has(packet.payloadType)) {
        this.reject(rinfo, true);
        return;
      }
      // The SDP's own address spoke up within the window: it wins over a NAT latch (say, a stray stream from the
      // caller's host that got in first).
      this.latchedRtp = { address: rinfo.address, port: rinfo.port };
      this.latchedRtcp = undefined;
      this.stats.latches++;
    }
    if (!this.acceptedPayloadTypes.has(packet.payloadType)) {
      this.stats.unexpectedPayloadType++;
      return;
    }
    this.stats.received++;
    this.handlers.onRtp(packet, arrivalMs);
  }

  private receiveRtcp(msg: Buffer, rinfo: UdpRemote, muxed: boolean): void {
    if (this.closed) return;
    if (!this.rtcpAllowed(rinfo, muxed)) {
      this.reject(rinfo, false);
      return;
    }
    if (!muxed && this.latchedRtp !== undefined) this.latchedRtcp ??= { address: rinfo.address, port: rinfo.port };
    this.stats.rtcpReceived++;
    this.handlers.onRtcp(msg, performance.now());
  }

  /** May the RTP endpoint latch onto this source now ('wait': a NAT candidate, not yet)? */
  private mayLatch(source: UdpRemote, nowMs: number): 'yes' | 'no' | 'wait' {
    if (this.barred(source)) return 'no';
    if (sameAddress(source.address, this.target.address) && source.port === this.target.rtpPort) return 'yes';
    if (this.rules.policy === 'strict' || nowMs > this.windowEndsMs) return 'no';
    const allowed =
      this.rules.policy === 'any' ||
      sameAddress(source.address, this.target.address) ||
      (this.signalling !== undefined && normalizeAddress(source.address) === this.signalling);
    if (!allowed) return 'no';
    if (this.candidates.size < MAX_REJECTED) this.candidates.add(sourceKey(source));
    // Several would-be NAT sources are ambiguous (stray streams of old calls): wait for the SDP's own source.
    if (nowMs < this.holdEndsMs || this.candidates.size > 1) return 'wait';
    return 'yes';
  }

  /** A packet from the exact SDP address and port, while latched elsewhere within the window (and not barred). */
  private exactBeatsNatLatch(source: UdpRemote, nowMs: number): boolean {
    const latched = this.latchedRtp;
    if (latched === undefined || nowMs > this.windowEndsMs || this.barred(source)) return false;
    const isExact = (a: string, port: number): boolean => sameAddress(a, this.target.address) && port === this.target.rtpPort;
    return isExact(source.address, source.port) && !isExact(latched.address, latched.port);
  }

  /**
   * RTCP comes from the SDP's RTCP address; unless `strict`, also from the latched RTP source's address (muxed on
   * the RTP port: the latched source itself), or before the latch from the SDP's host on any port.
   */
  private rtcpAllowed(source: UdpRemote, muxed: boolean): boolean {
    if (this.barred(source)) return false;
    const fromSdpHost = sameAddress(source.address, this.target.address);
    if (fromSdpHost && source.port === (muxed ? this.target.rtpPort : this.target.rtcpPort)) return true;
    if (this.rules.policy === 'strict') return false;
    const latched = this.latchedRtp;
    if (latched === undefined) return fromSdpHost && !muxed;
    return latched.address === source.address && (!muxed || latched.port === source.port);
  }

  private barred(source: UdpRemote): boolean {
    if (this.refusedBeforeMove.size > 0 && this.refusedBeforeMove.has(sourceKey(source))) return true;
    return this.rules.preAnswer?.isBarred(source.address, source.port) ?? false;
  }

  private reject(source: UdpRemote, rtp: boolean): void {
    this.stats.foreign++;
    const totals = this.rules.totals;
    if (totals) totals.packets++;
    const key = sourceKey(source);
    if (rtp && this.refusedRtp.size < MAX_REJECTED) this.refusedRtp.add(key);
    if (this.rejected.size >= MAX_REJECTED || this.rejected.has(key)) return;
    this.rejected.add(key);
    this.stats.rejectedSources++;
    if (totals) totals.sources++;
    if (this.stats.rejectedSources === 1) {
      this.logger.info({ source: `${source.address}:${source.port}`, latched: this.latchedRtp !== undefined, policy: this.rules.policy }, 'media from an unexpected source dropped');
    }
  }
}

function sameAddress(a: string, b: string): boolean {
  return normalizeAddress(a) === normalizeAddress(b);
}

function sourceKey(source: UdpRemote): string {
  return `${normalizeAddress(source.address)}|${source.port}`;
}
