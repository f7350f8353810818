/**
 * Per-number figures in `/metrics` from finished call records: subscribes to the CallRecordSource and feeds the
 * observability package's NumberMetrics once per record (O(turns), in memory; a scrape never queries the database).
 * Which numbers get their own label is asked of `isConfigured` at each record (the config file's `numbers:` and the
 * numbers API); everything else is `other`.
 */
import type { NumberCallObservation, NumberMetrics } from '@patchbay/observability';
import type { CallDetail, CallRecordSource } from './record.js';

export interface NumberMetricsFeedOptions {
  source: CallRecordSource;
  /** `GatewayMetrics.numbers`. */
  metrics: NumberMetrics;
  /** Whether a routing pattern is configured now; given, replaces the metrics' own. */
  isConfigured?: (pattern: string) => boolean;
}

/** Starts feeding; returns the unsubscribe. */
export function startNumberMetrics(options: NumberMetricsFeedOptions): () => void {
  if (options.isConfigured !== undefined) options.metrics.setConfigured(options.isConfigured);
  return options.source.onRecord((detail) => options.metrics.observe(observationOf(detail)));
}

/** What the metrics need of a record: no phone number, no transcript. */
export function observationOf(d: CallDetail): NumberCallObservation {
  const turnLatenciesMs: number[] = [];
  for (const e of d.timeline) {
    const ms = e.type === 'turn' ? e.data['latencyMs'] : undefined;
    if (typeof ms === 'number') turnLatenciesMs.push(ms);
  }
  return {
    number: d.number,
    disposition: d.disposition ?? d.status,
    answered: d.answeredAt !== null,
    talkMs: d.talkMs,
    turnLatenciesMs,
    bargeIns: d.bargeIns,
    transfer: d.transfer?.outcome ?? null,
    mos: d.quality?.mos ?? null,
  };
}
