/**
 * The gateway's latency histograms (gateway/src/metrics/latency-histogram.ts) and their conversion to Prometheus
 * cumulative `le` buckets.
 *
 * Layout (in milliseconds): 162 counters. [0] underflow (< 1 µs); [i] for i = 1…160 is the half-open range
 * [10^((i−1)/20), 10^(i/20)) µs, 20 per decade from 1 µs to 100 s; [161] overflow (≥ 100 s). `sum` is in ms.
 *
 * Conversion rule: the Prometheus bucket `le = B` counts every log bucket whose upper edge is ≤ B. A log bucket that
 * straddles B is counted only from the next Prometheus bound on (conservative: latency is never reported lower than
 * it was). The bounds are chosen on log-bucket edges, so no bucket straddles: each `le` is an edge 10^(k/20) µs
 * rounded UP to 4 significant digits (0.0002512 s is the edge 10^2.4 µs = 251.19 µs, "0.25 ms"). Only samples in
 * the 0.01 % between an edge and its rounded label, or exactly on an edge (log buckets are lower-inclusive, `le` is
 * upper-inclusive), are counted one bucket up.
 */
import { ObservabilityError } from './errors.js';

/** A log-bucket histogram as the gateway hands it over: cumulative since start, never reset. */
export interface LogBucketState {
  readonly counts: readonly number[];
  /** Samples recorded (equals the sum of `counts`). */
  readonly total: number;
  /** Sum of the samples, in milliseconds. */
  readonly sum: number;
  /** Largest sample, in milliseconds. */
  readonly max: number;
}

export const LOG_BUCKETS_PER_DECADE = 20;
export const LOG_BUCKET_MIN_MS = 0.001;
/** 160 log buckets plus the underflow and overflow counters. */
export const LOG_BUCKET_COUNT = 162;

/**
 * Prometheus `le` bounds of METRIC.hopLatency, in seconds: the 1–2.5–5 ladder on log-bucket edges, 10 µs … 10 s
 * (processing hops are tens of microseconds; turns are hundreds of milliseconds).
 */
export const HOP_LATENCY_BUCKETS: readonly number[] = [
  0.00001, 0.00002512, 0.00005012, 0.0001, 0.0002512, 0.0005012, 0.001, 0.002512, 0.005012, 0.01, 0.02512, 0.05012, 0.1, 0.2512, 0.5012, 1, 2.512, 5.012, 10,
];

/** Upper edge of log bucket `i` (0…160) in milliseconds. */
export function logBucketUpperMs(i: number): number {
  return (10 ** (i / LOG_BUCKETS_PER_DECADE)) / 1000;
}

export interface PrometheusHistogramValues {
  /** Cumulative count at each bound, same order as the bounds. */
  cumulative: number[];
  count: number;
  sumSeconds: number;
}

/** Converts one log-bucket state to cumulative Prometheus buckets at `boundsSeconds` (ascending). */
export function toPrometheusBuckets(state: LogBucketState, boundsSeconds: readonly number[] = HOP_LATENCY_BUCKETS): PrometheusHistogramValues {
  checkShape(state);
  const cumulative: number[] = [];
  let i = 0;
  let running = 0;
  const lastLog = LOG_BUCKET_COUNT - 2; // 160; the overflow bucket only ever counts in +Inf
  for (const bound of boundsSeconds) {
    const boundMs = bound * 1000 * (1 + 1e-12); // absorbs float noise when a bound is an exact edge (1 ms, 10 ms)
    while (i <= lastLog && logBucketUpperMs(i) <= boundMs) {
      running += state.counts[i] ?? 0;
      i++;
    }
    cumulative.push(Math.min(running, state.total));
  }
  return { cumulative, count: state.total, sumSeconds: state.sum / 1000 };
}

function checkShape(state: LogBucketState): void {
  if (state.counts.length !== LOG_BUCKET_COUNT) {
    throw new ObservabilityError('OBS_HISTOGRAM_SHAPE', `log-bucket histogram has ${state.counts.length} buckets, expected ${LOG_BUCKET_COUNT}`);
  }
  const bad = !Number.isFinite(state.total) || state.total < 0 || !Number.isFinite(state.sum) || state.counts.some((c) => !Number.isFinite(c) || c < 0);
  if (bad) throw new ObservabilityError('OBS_HISTOGRAM_SHAPE', 'log-bucket histogram has a negative or non-finite count or sum');
}
