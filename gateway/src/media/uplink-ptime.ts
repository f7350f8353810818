/**
 * The caller's real packet time. SDP's a=ptime is a wish, not a promise (SIPp's captures and many carriers send
 * 30 ms); the jitter buffer must pop at the rate packets really come. Two consecutive packets (sequence n, n+1)
 * agreeing on a new spacing switch it.
 */
export class UplinkPtime {
  private last: { ssrc: number; seq: number; ts: number } | undefined;
  private candidate: number | undefined;

  constructor(
    public ms: number,
    private readonly clockRate: number,
  ) {}

  /** Feeds a packet; true when the packet time just changed. */
  observe(p: { ssrc: number; sequenceNumber: number; timestamp: number }): boolean {
    const last = this.last;
    this.last = { ssrc: p.ssrc, seq: p.sequenceNumber, ts: p.timestamp };
    if (!last || last.ssrc !== p.ssrc || ((last.seq + 1) & 0xffff) !== p.sequenceNumber) return false;
    const spacing = (((p.timestamp - last.ts) >>> 0) * 1000) / this.clockRate;
    if (!Number.isInteger(spacing) || spacing < 10 || spacing > 60 || spacing % 10 !== 0 || spacing === this.ms) {
      this.candidate = undefined;
      return false;
    }
    if (this.candidate !== spacing) {
      this.candidate = spacing;
      return false;
    }
    this.ms = spacing;
    this.candidate = undefined;
    return true;
  }
}
