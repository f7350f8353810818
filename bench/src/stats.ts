/** Latency samples and their summary: pure helpers shared by the load generator, the floor relay and the report. */
import type { Distribution } from './report/types.js';

export const EMPTY_DISTRIBUTION: Distribution = { count: 0, p50: 0, p95: 0, p99: 0, max: 0, mean: 0 };

/** A growable list of numbers in a `Float64Array` (no boxing; millions of samples stay cheap). */
export class Samples {
  private data: Float64Array;
  private size = 0;

  constructor(initialCapacity = 1024) {
    this.data = new Float64Array(Math.max(16, initialCapacity));
  }

  get length(): number {
    return this.size;
  }

  push(value: number): void {
    if (this.size === this.data.length) {
      const bigger = new Float64Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.size++] = value;
  }

  /** Sample `i`, or undefined past the end. */
  at(i: number): number | undefined {
    return i >= 0 && i < this.size ? this.data[i] : undefined;
  }

  /** The samples recorded so far (a view: copy it to keep it across later pushes). */
  view(): Float64Array {
    return this.data.subarray(0, this.size);
  }

  /** A copy of the samples from index `from` on (for per-step windows). */
  since(from: number): Float64Array {
    return this.data.slice(Math.min(from, this.size), this.size);
  }
}

/**
 * Nearest-rank quantile of sorted values: the smallest value with at least `q` of the values at or below it.
 * `sorted` must be ascending and non-empty.
 */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  const rank = Math.min(n, Math.max(1, Math.ceil(q * n)));
  return sorted[rank - 1] ?? Number.NaN;
}

/** Count, p50/p95/p99 (nearest rank), max and mean of `values`; `EMPTY_DISTRIBUTION` for none. */
export function distribution(values: ArrayLike<number>): Distribution {
  const n = values.length;
  if (n === 0) return { ...EMPTY_DISTRIBUTION };
  const sorted = Float64Array.from(values).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  const round = (v: number): number => Math.round(v * 1000) / 1000;
  return {
    count: n,
    p50: round(quantileSorted(sorted, 0.5)),
    p95: round(quantileSorted(sorted, 0.95)),
    p99: round(quantileSorted(sorted, 0.99)),
    max: round(sorted[n - 1] ?? 0),
    mean: round(sum / n),
  };
}

/** A `Distribution` read from untrusted JSON (the gateway's `/stats`), or undefined if it is not one. */
export function parseDistribution(value: unknown): Distribution | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Record<string, unknown>;
  const keys = ['count', 'p50', 'p95', 'p99', 'max', 'mean'] as const;
  const out: Record<string, number> = {};
  for (const key of keys) {
    const v = record[key];
    if (typeof v !== 'number' || !Number.isFinite(v)) return undefined;
    out[key] = v;
  }
  return { count: out['count'] ?? 0, p50: out['p50'] ?? 0, p95: out['p95'] ?? 0, p99: out['p99'] ?? 0, max: out['max'] ?? 0, mean: out['mean'] ?? 0 };
}
