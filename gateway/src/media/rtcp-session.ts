/**
 * RTCP for one call (RFC 3550 §6): reception statistics of the caller's stream, sender/receiver reports on a
 * randomised interval, and what the far end reports about ours (loss, jitter) for call-quality metrics.
 */
import type { RtpStreamState } from './rtp/pacer.js';
import type { RtpPacket } from './rtp/packet.js';
import { buildReceiverReport, buildSenderReport, ntpFromUnixMs, ntpMiddle32, parseRtcp, ReceptionStats, type ReportBlock } from './rtp/rtcp.js';

export interface RemoteReport {
  fractionLost: number;
  cumulativeLost: number;
  jitterMs: number;
  /** Round trip from the block's LSR/DLSR (RFC 3550 §6.4.1), when it answers one of our sender reports. */
  rttMs: number | undefined;
  /** Packets we had sent when the report arrived: near enough the count its loss is out of. */
  packetsSent: number;
}

/** A round trip longer than this is a wrapped or bogus LSR/DLSR, not a measurement. */
const MAX_RTT_MS = 10_000;

export interface RtcpSessionOptions {
  /** RTP clock of the caller's stream (for jitter in ms), at the start (`setInboundClockRate` follows a change). */
  clockRate: number;
  /** Our outbound stream (SSRC, packet and octet counts, timestamp, clock rate). */
  outbound: RtpStreamState;
  cname: string;
  intervalMs: number;
  /** Wall clock for the NTP timestamp of sender reports (not used for latency). */
  wallClockMs?: () => number;
  random?: () => number;
}

export class RtcpSession {
  private reception: ReceptionStats | undefined;
  private nextReportMs: number | undefined;
  private lastPacketsSent = 0;
  /** The caller's view of our stream, from its latest report block about our SSRC. */
  remote: RemoteReport | undefined;
  reportsSent = 0;

  private inboundClockRate: number;

  constructor(private readonly options: RtcpSessionOptions) {
    this.inboundClockRate = options.clockRate;
  }

  /** A re-INVITE changed the caller's codec: its RTP clock for jitter from now on (RtpStreamState `recode` is ours). */
  setInboundClockRate(rate: number): void {
    this.inboundClockRate = rate;
    this.reception?.setClockRate(rate);
  }

  /** Feeds an RTP packet of the caller's stream (audio, not telephone-events). */
  onRtp(packet: RtpPacket, arrivalMs: number): void {
    if (this.reception?.ssrc !== packet.ssrc) {
      this.reception = new ReceptionStats({ clockRate: this.inboundClockRate, ssrc: packet.ssrc });
    }
    this.reception.receive(packet.sequenceNumber, packet.timestamp, arrivalMs);
  }

  onRtcp(bytes: Uint8Array, arrivalMs: number): void {
    for (const p of parseRtcp(bytes)) {
      if (p.type === 'sr' && this.reception && p.ssrc === this.reception.ssrc) this.reception.receiveSenderReport(p.ntp, arrivalMs);
      if (p.type === 'sr' || p.type === 'rr') {
        const about = p.reports.find((r) => r.ssrc === this.options.outbound.ssrc);
        if (about) this.remote = toRemote(about, this.options.outbound.clockRate, ntpMiddle32(ntpFromUnixMs(this.wallClock())), this.options.outbound.packetsSent);
      }
    }
  }

  /** A compound report when one is due, else undefined. The first goes out one interval after the first call. */
  poll(nowMs: number): Uint8Array | undefined {
    if (this.nextReportMs === undefined) {
      this.nextReportMs = nowMs + this.interval();
      return undefined;
    }
    if (nowMs < this.nextReportMs) return undefined;
    this.nextReportMs = nowMs + this.interval();
    return this.build(nowMs);
  }

  /** The final report with a BYE, for the end of the call. */
  bye(nowMs: number, reason: string): Uint8Array {
    return this.build(nowMs, { reason });
  }

  get jitterMs(): number {
    return this.reception?.jitterMs ?? 0;
  }

  get lost(): number {
    return this.reception?.lost ?? 0;
  }

  get expected(): number {
    return this.reception?.expected ?? 0;
  }

  private build(nowMs: number, bye?: { reason: string }): Uint8Array {
    const out = this.options.outbound;
    const reports: ReportBlock[] = this.reception ? [this.reception.reportBlock(nowMs)] : [];
    const common = { ssrc: out.ssrc, reports, cname: this.options.cname, ...(bye ? { bye } : {}) };
    this.reportsSent++;
    const sentSince = out.packetsSent !== this.lastPacketsSent;
    this.lastPacketsSent = out.packetsSent;
    if (!sentSince) return buildReceiverReport(common);
    return buildSenderReport({
      ...common,
      ntp: ntpFromUnixMs(this.wallClock()),
      rtpTimestamp: out.timestamp,
      packetCount: out.packetsSent,
      octetCount: out.octetsSent,
    });
  }

  private wallClock(): number {
    return (this.options.wallClockMs ?? Date.now)();
  }

  /** RFC 3550 §6.3.1: randomise between 0.5 and 1.5 of the interval so calls do not report in lockstep. */
  private interval(): number {
    return this.options.intervalMs * (0.5 + (this.options.random ?? Math.random)());
  }
}

/** The caller's report on our stream; `arrivalNtp32` is the middle 32 bits of our NTP clock at its arrival. */
function toRemote(block: ReportBlock, clockRate: number, arrivalNtp32: number, packetsSent: number): RemoteReport {
  let rttMs: number | undefined;
  if (block.lastSr !== 0) {
    const rtt = (((arrivalNtp32 - block.lastSr - block.delaySinceLastSr) >>> 0) * 1000) / 65536;
    if (rtt <= MAX_RTT_MS) rttMs = rtt;
  }
  return { fractionLost: block.fractionLost / 256, cumulativeLost: block.cumulativeLost, jitterMs: (block.jitter * 1000) / clockRate, rttMs, packetsSent };
}
