/**
 * A Prometheus histogram whose buckets are read at scrape time from log-bucket histograms the gateway already
 * keeps (merged across media worker threads), instead of being fed with `observe()` per frame on the hot path.
 *
 * prom-client's own Histogram only counts what is observed into it, so this is a custom metric object: the
 * Registry accepts any object with `name`, `help`, `type`, `aggregator`, `get()` and `reset()`, and renders the
 * values `get()` returns (`<name>_bucket{…,le}`, `<name>_sum`, `<name>_count`).
 */
import type { Aggregator, Metric, Registry } from 'prom-client';
import { ObservabilityError } from './errors.js';
import { toPrometheusBuckets, type LogBucketState } from './log-buckets.js';

export interface SourcedSeries {
  /** The series' labels: a small closed set (no per-call values). */
  labels: Readonly<Record<string, string>>;
  state: LogBucketState;
}

interface SampleValue {
  value: number;
  labels: Record<string, string>;
  metricName: string;
}

export interface SourcedHistogramOptions {
  name: string;
  help: string;
  /** Prometheus `le` bounds in seconds, ascending. */
  buckets: readonly number[];
  /** Reads the current cumulative states; `undefined` = no source yet (the metric has no samples). */
  collect: () => Promise<readonly SourcedSeries[] | undefined>;
  /** Told when `collect` fails; the last good values are served meanwhile. */
  onError: (error: ObservabilityError) => void;
}

export class SourcedHistogram {
  readonly type = 'histogram';
  readonly aggregator: Aggregator = 'sum';
  readonly name: string;
  readonly help: string;
  private readonly options: SourcedHistogramOptions;
  private last: SampleValue[] = [];

  constructor(options: SourcedHistogramOptions) {
    this.name = options.name;
    this.help = options.help;
    this.options = options;
  }

  /** Registers with a prom-client Registry (the one cast: the Registry's type names only its own metric classes). */
  registerWith(registry: Registry): void {
    registry.registerMetric(this as unknown as Metric);
  }

  async get(): Promise<{ name: string; help: string; type: 'histogram'; aggregator: Aggregator; values: SampleValue[] }> {
    try {
      const series = await this.options.collect();
      this.last = series === undefined ? [] : series.flatMap((s) => this.samples(s));
    } catch (err) {
      this.options.onError(err instanceof ObservabilityError ? err : new ObservabilityError('OBS_METRICS_SOURCE', `${this.name}: the histogram source failed`, { cause: err }));
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values: this.last };
  }

  /** The source is cumulative; there is nothing of ours to reset. */
  reset(): void {}

  private samples(series: SourcedSeries): SampleValue[] {
    const { cumulative, count, sumSeconds } = toPrometheusBuckets(series.state, this.options.buckets);
    const bucket = `${this.name}_bucket`;
    const out: SampleValue[] = cumulative.map((value, i) => ({
      value,
      labels: { ...series.labels, le: String(this.options.buckets[i]) },
      metricName: bucket,
    }));
    out.push({ value: count, labels: { ...series.labels, le: '+Inf' }, metricName: bucket });
    out.push({ value: sumSeconds, labels: { ...series.labels }, metricName: `${this.name}_sum` });
    out.push({ value: count, labels: { ...series.labels }, metricName: `${this.name}_count` });
    return out;
  }
}
