/**
 * A latency histogram cheap enough for the media hot path: log-spaced buckets (20 per decade, ±6% resolution) from
 * 1 µs to 100 s, plus exact count, sum and max. `record()` is O(1) with no allocation; percentiles interpolate inside
 * a bucket. One histogram aggregates every call (no per-call label values). Count, sum and buckets only grow (Prometheus
 * reads them as counters); measurement windows subtract a baseline (HopWindow), and `resetPeak()` starts a new max.
 */
export interface Distribution {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

/** A histogram's raw state: what crosses a thread boundary to be merged into another. */
export interface HistogramState {
  counts: number[];
  total: number;
  sum: number;
  /** The largest sample since the last `resetPeak()` (or ever). */
  max: number;
}

const MIN_MS = 0.001;
const DECADES = 8;
const PER_DECADE = 20;
const BUCKETS = DECADES * PER_DECADE;

export class LatencyHistogram {
  private readonly counts = new Float64Array(BUCKETS + 2); // [0] underflow, [BUCKETS+1] overflow
  private total = 0;
  private sum = 0;
  private maxMs = 0;

  record(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    this.total++;
    this.sum += ms;
    if (ms > this.maxMs) this.maxMs = ms;
    const i = bucketOf(ms);
    this.counts[i] = (this.counts[i] ?? 0) + 1;
  }

  get count(): number {
    return this.total;
  }

  get mean(): number {
    return this.total === 0 ? 0 : this.sum / this.total;
  }

  /** The value below which `q` (0..1) of the samples fall. */
  quantile(q: number): number {
    if (this.total === 0) return 0;
    const rank = q * this.total;
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      const c = this.counts[i] ?? 0;
      if (c === 0) continue;
      if (seen + c >= rank) {
        const [lo, hi] = bounds(i, this.maxMs);
        const within = c === 0 ? 0 : (rank - seen) / c;
        return Math.min(this.maxMs, lo + (hi - lo) * within);
      }
      seen += c;
    }
    return this.maxMs;
  }

  snapshot(): Distribution {
    return {
      count: this.total,
      p50: this.quantile(0.5),
      p95: this.quantile(0.95),
      p99: this.quantile(0.99),
      max: this.maxMs,
      mean: this.total === 0 ? 0 : this.sum / this.total,
    };
  }

  /** The max starts again (a new measurement window); counts and sum go on. */
  resetPeak(): void {
    this.maxMs = 0;
  }

  reset(): void {
    this.counts.fill(0);
    this.total = 0;
    this.sum = 0;
    this.maxMs = 0;
  }

  state(): HistogramState {
    return { counts: Array.from(this.counts), total: this.total, sum: this.sum, max: this.maxMs };
  }

  /** Adds another histogram's samples (a media worker's) to this one. */
  merge(other: HistogramState): void {
    if (other.counts.length !== this.counts.length) throw new Error(`histogram shape mismatch: ${other.counts.length} buckets, expected ${this.counts.length}`);
    for (let i = 0; i < this.counts.length; i++) this.counts[i] = (this.counts[i] ?? 0) + (other.counts[i] ?? 0);
    this.total += other.total;
    this.sum += other.sum;
    if (other.max > this.maxMs) this.maxMs = other.max;
  }

  /** Replaces this histogram's samples with `state` (a window computed elsewhere), for its percentiles. */
  load(state: HistogramState): void {
    this.reset();
    this.merge(state);
  }

  /** Upper bounds (ms) and cumulative counts, for exporters (Prometheus `le` buckets). */
  cumulative(): { le: number; count: number }[] {
    const out: { le: number; count: number }[] = [];
    let running = 0;
    for (let i = 0; i <= BUCKETS; i++) {
      running += this.counts[i] ?? 0;
      out.push({ le: bounds(i, this.maxMs)[1], count: running });
    }
    return out;
  }
}

function bucketOf(ms: number): number {
  if (ms < MIN_MS) return 0;
  const i = Math.floor(Math.log10(ms / MIN_MS) * PER_DECADE) + 1;
  return i > BUCKETS ? BUCKETS + 1 : i;
}

function bounds(i: number, maxMs: number): [number, number] {
  if (i === 0) return [0, MIN_MS];
  if (i > BUCKETS) return [MIN_MS * 10 ** DECADES, maxMs];
  return [MIN_MS * 10 ** ((i - 1) / PER_DECADE), MIN_MS * 10 ** (i / PER_DECADE)];
}
