/**
 * Builds log-bucket histogram states the way the gateway's LatencyHistogram records them (20 buckets per decade
 * from 1 µs, lower-inclusive, underflow [0] and overflow [161]), written here from its documented layout.
 */
import type { LogBucketState } from '../log-buckets.js';

export class SyntheticLogHistogram {
  readonly counts = new Array<number>(162).fill(0);
  total = 0;
  sum = 0;
  max = 0;

  record(ms: number, times = 1): this {
    const i = ms < 0.001 ? 0 : Math.min(161, Math.floor(Math.log10(ms / 0.001) * 20) + 1);
    this.counts[i] = (this.counts[i] ?? 0) + times;
    this.total += times;
    this.sum += ms * times;
    this.max = Math.max(this.max, ms);
    return this;
  }

  state(): LogBucketState {
    return { counts: [...this.counts], total: this.total, sum: this.sum, max: this.max };
  }
}
