/**
 * Receiver-side statistics for one RTP source (RFC 3550 A.1, A.3, A.8): extended highest sequence number with
 * wrap-around, expected/lost packets (cumulative and the fraction since the last report), interarrival jitter,
 * and LSR/DLSR from the source's sender reports. Pure: arrival times come in as arguments (monotonic ms).
 */
import type { NtpTime, ReportBlock } from './rtcp.js';

export interface ReceptionStatsOptions {
  /** RTP clock rate of the stream (8000 for G.711/G.722, 48000 for Opus). */
  clockRate: number;
  /** The source's SSRC, written into report blocks. */
  ssrc: number;
  /** A jump of more than this many packets ahead is a restart unless the next packet confirms it. Default 3000. */
  maxDropout?: number;
  /** Packets this far behind are old duplicates or reordering; beyond it, a restart. Default 100. */
  maxMisorder?: number;
}

const SEQ_MOD = 0x10000;

export class ReceptionStats {
  private rate: number;
  readonly ssrc: number;
  private readonly maxDropout: number;
  private readonly maxMisorder: number;

  private started = false;
  private maxSeq = 0;
  private cycles = 0;
  private baseSeq = 0;
  private badSeq = SEQ_MOD + 1;
  private receivedCount = 0;
  private expectedPrior = 0;
  private receivedPrior = 0;
  private lastTransit: number | undefined;
  private jitterTs = 0;
  private lastSr = 0;
  private lastSrArrivalMs: number | undefined;

  constructor(options: ReceptionStatsOptions) {
    this.rate = options.clockRate;
    this.ssrc = options.ssrc;
    this.maxDropout = options.maxDropout ?? 3000;
    this.maxMisorder = options.maxMisorder ?? 100;
  }

  get clockRate(): number {
    return this.rate;
  }

  /**
   * The stream's codec changed its RTP clock (a re-INVITE to or from Opus, same SSRC): the jitter estimate carries
   * over in the new units, and the transit starts again from the next packet (the timestamps' scale changed under
   * it). Loss and sequence accounting go on.
   */
  setClockRate(rate: number): void {
    if (rate === this.rate) return;
    this.jitterTs = (this.jitterTs * rate) / this.rate;
    this.rate = rate;
    this.lastTransit = undefined;
  }

  /**
   * Accounts one received packet. Returns false for a packet RFC 3550 A.1 would not count (a large jump not yet
   * confirmed by a following packet); the caller may still use it.
   */
  receive(seq: number, rtpTimestamp: number, arrivalMs: number): boolean {
    if (!this.started) {
      this.init(seq);
      this.started = true;
    } else {
      const udelta = (seq - this.maxSeq + SEQ_MOD) % SEQ_MOD;
      if (udelta < this.maxDropout) {
        if (seq < this.maxSeq) this.cycles += SEQ_MOD; // wrapped
        this.maxSeq = seq;
      } else if (udelta <= SEQ_MOD - this.maxMisorder) {
        // A very large jump: a restart if the next packet follows it, otherwise a stray.
        if (seq === this.badSeq) {
          this.init(seq);
          this.lastTransit = undefined;
        } else {
          this.badSeq = (seq + 1) % SEQ_MOD;
          return false;
        }
      }
      // else: a duplicate or reordered packet, counted but no change to maxSeq.
    }
    this.receivedCount++;
    this.updateJitter(rtpTimestamp, arrivalMs);
    return true;
  }

  /** Records a sender report from this source, for LSR/DLSR in our next report block. */
  receiveSenderReport(ntp: NtpTime, arrivalMs: number): void {
    this.lastSr = (((ntp.seconds & 0xffff) << 16) | (ntp.fraction >>> 16)) >>> 0; // middle 32 bits
    this.lastSrArrivalMs = arrivalMs;
  }

  /** Extended highest sequence number received (cycles × 65536 + seq). */
  get extendedHighestSeq(): number {
    return this.cycles + this.maxSeq;
  }

  get received(): number {
    return this.receivedCount;
  }

  get expected(): number {
    return this.started ? this.extendedHighestSeq - this.baseSeq + 1 : 0;
  }

  /** Cumulative lost (expected − received); negative when duplicates outnumber losses. */
  get lost(): number {
    return this.expected - this.receivedCount;
  }

  /** Interarrival jitter in timestamp units (RFC 3550 A.8 estimator, unrounded). */
  get jitter(): number {
    return this.jitterTs;
  }

  get jitterMs(): number {
    return (this.jitterTs * 1000) / this.rate;
  }

  /**
   * A report block for this source, and starts a new reporting interval (the fraction lost is since the last
   * call). `nowMs` is the same monotonic clock as the arrivals, for DLSR.
   */
  reportBlock(nowMs: number): ReportBlock {
    const expected = this.expected;
    const expectedInterval = expected - this.expectedPrior;
    const receivedInterval = this.receivedCount - this.receivedPrior;
    this.expectedPrior = expected;
    this.receivedPrior = this.receivedCount;
    const lostInterval = expectedInterval - receivedInterval;
    const fractionLost = expectedInterval === 0 || lostInterval <= 0 ? 0 : Math.floor((lostInterval * 256) / expectedInterval);
    const dlsr =
      this.lastSrArrivalMs === undefined ? 0 : Math.max(0, Math.round(((nowMs - this.lastSrArrivalMs) * 65536) / 1000));
    return {
      ssrc: this.ssrc,
      fractionLost: Math.min(255, fractionLost),
      cumulativeLost: Math.max(-0x800000, Math.min(0x7fffff, this.lost)),
      highestSeq: this.extendedHighestSeq >>> 0,
      jitter: Math.floor(this.jitterTs),
      lastSr: this.lastSr,
      delaySinceLastSr: dlsr >>> 0,
    };
  }

  private init(seq: number): void {
    this.baseSeq = seq;
    this.maxSeq = seq;
    this.badSeq = SEQ_MOD + 1;
    this.cycles = 0;
    this.receivedCount = 0;
    this.expectedPrior = 0;
    this.receivedPrior = 0;
  }

  private updateJitter(rtpTimestamp: number, arrivalMs: number): void {
    // Transit in timestamp units; only differences matter, so the 32-bit wrap of the RTP timestamp is undone by
    // folding the difference into ±2^31.
    const transit = (arrivalMs * this.rate) / 1000 - rtpTimestamp;
    const last = this.lastTransit;
    this.lastTransit = transit;
    if (last === undefined) return;
    let d = transit - last;
    d -= Math.round(d / 2 ** 32) * 2 ** 32;
    this.jitterTs += (Math.abs(d) - this.jitterTs) / 16;
  }
}
