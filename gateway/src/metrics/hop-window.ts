/**
 * Measurement windows over hop histograms that never reset. Prometheus needs monotonic counts, the bench needs
 * "since my last `GET /stats?reset=1`": a reset remembers the merged state as the baseline, and every read is the
 * current state minus it. The max is the histograms' own peak, which the planes restart at the same reset.
 */
import { HOP_NAMES, type HopState } from './hop-metrics.js';
import type { HistogramState } from './latency-histogram.js';

export class HopWindow {
  private baseline: HopState | undefined;

  /** The window so far: `current` minus the baseline (all of `current` before the first reset). */
  view(current: HopState): HopState {
    const base = this.baseline;
    if (!base) return current;
    return Object.fromEntries(HOP_NAMES.map((name) => [name, subtractHistogram(current[name], base[name])])) as HopState;
  }

  /** Starts a new window at `current` (its state at the moment the peaks restarted). */
  reset(current: HopState): void {
    this.baseline = current;
  }
}

/**
 * `a − b` bucket by bucket, never below zero: a media worker that died and was replaced took its samples with it,
 * and a window cannot hold fewer than none. The max is `a`'s (the peak since the window began).
 */
export function subtractHistogram(a: HistogramState, b: HistogramState): HistogramState {
  if (a.counts.length !== b.counts.length) throw new Error(`histogram shape mismatch: ${a.counts.length} and ${b.counts.length} buckets`);
  const counts = a.counts.map((c, i) => Math.max(0, c - (b.counts[i] ?? 0)));
  const total = counts.reduce((s, c) => s + c, 0);
  return { counts, total, sum: total === 0 ? 0 : Math.max(0, a.sum - b.sum), max: total === 0 ? 0 : a.max };
}
