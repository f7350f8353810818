/**
 * A trunk's `callsPerSecond`: a token bucket holding up to one second's worth of calls (at least one), refilled
 * continuously. Pure: the caller passes the time (performance.now()), so it tests exactly.
 */
export class CallRate {
  private tokens: number;
  private lastMs: number | undefined;
  private readonly capacity: number;

  constructor(private readonly perSecond: number) {
    this.capacity = Math.max(1, perSecond);
    this.tokens = this.capacity;
  }

  /** Takes a call's token: 0 when taken, else the ms until one is free (nothing taken). */
  take(nowMs: number): number {
    if (this.lastMs !== undefined) this.tokens = Math.min(this.capacity, this.tokens + ((nowMs - this.lastMs) * this.perSecond) / 1000);
    this.lastMs = nowMs;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - this.tokens) * 1000) / this.perSecond - 1e-9); // float dust is not a millisecond
  }
}
