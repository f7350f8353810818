/**
 * Patchbay's Prometheus metrics: one prom-client Registry holding every metric in names.ts plus Node's default
 * metrics (event-loop lag as `nodejs_eventloop_lag_*`), rendered for `GET /metrics`.
 *
 * Nothing here is called per frame. Three feeding paths:
 * - hop latencies: read at scrape time from the gateway's own log-bucket histograms (`setHopSource`);
 * - gauges and counters the gateway already counts: read at scrape time from a snapshot (`setSnapshotSource`);
 * - call quality: `observeCallEnd(summary)`, once per finished call.
 *
 * Why not the OpenTelemetry metrics SDK: one scrape path (Prometheus pulls, no second exporter to run), and exact
 * bucket control — the hop histogram's sub-millisecond `le` bounds sit on the gateway's log-bucket edges, which an
 * OTel explicit-bucket aggregation fed by `record()` per frame could not give without hot-path cost.
 */
import { collectDefaultMetrics, Registry } from 'prom-client';
import { CallEndMetrics } from './call-end-metrics.js';
import type { CallMos, CallQualitySummary } from './call-quality.js';
import { createEdgeMetrics, type EdgeMetrics } from './edge-metrics.js';
import { ObservabilityError } from './errors.js';
import { HOP_LATENCY_BUCKETS, LOG_BUCKET_COUNT, type LogBucketState } from './log-buckets.js';
import { HOP_LABELS, LABEL, METRIC, type HopLabel } from './names.js';
import { createRoutingWebhookMetrics } from './routing-webhook-metrics.js';
import { createPeopleMetrics, type PeopleMetrics } from './people-metrics.js';
import type { RoutingFallbackLabel } from './names.js';
import { NumberMetrics } from './number-metrics.js';
import { SnapshotMetrics, type SnapshotSource } from './snapshot-metrics.js';
import { SourcedHistogram, type SourcedSeries } from './sourced-histogram.js';

/** Cumulative hop histograms (never reset by the gateway). A hop left out is exported with zero samples. */
export type HopStates = Partial<Record<HopLabel, LogBucketState>>;
export type HopSource = () => Promise<HopStates> | HopStates;

export interface GatewayMetricsOptions {
  /** Register into this registry instead of a new one. */
  registry?: Registry;
  /** Node's default metrics (process, heap, GC, event-loop lag) on the same registry; default true. */
  defaultMetrics?: boolean;
  /** Event-loop delay sampling resolution, ms (prom-client default 10). */
  eventLoopMonitoringPrecisionMs?: number;
  /** Told when a source fails at scrape time (the metric keeps its last values); default: ignored. */
  onError?: (error: ObservabilityError) => void;
}

export interface GatewayMetrics {
  readonly registry: Registry;
  /** Where METRIC.hopLatency reads its buckets at scrape time; `undefined` stops exporting hop samples. */
  setHopSource(source: HopSource | undefined): void;
  /** Where the call/SIP/media gauges and counters are read at scrape time. */
  setSnapshotSource(source: SnapshotSource | undefined): void;
  /** Records one finished call (MOS, jitter, loss, drops, barge-ins); returns its MOS estimate for the call span. */
  observeCallEnd(summary: CallQualitySummary): CallMos | undefined;
  /** One routing webhook ask (not a cancelled one): its time, and the fallback reason when the fallback took the call. */
  observeRoutingWebhook(seconds: number, fallback: RoutingFallbackLabel | undefined): void;
  /** Per-number figures, fed once per finished call record (the gateway's records/number-metrics.ts). */
  readonly numbers: NumberMetrics;
  /** Forwarded people's legs and agent failover, fed from the lifecycle events (the gateway's telemetry/subscribe.ts). */
  readonly people: PeopleMetrics;
  /** The SIP edge's figures (drops, bans), read at scrape time: `edge.setSource(() => gate.stats)`. */
  readonly edge: EdgeMetrics;
  /** The Prometheus text exposition for `GET /metrics`. */
  render(): Promise<{ contentType: string; body: string }>;
}

const EMPTY_STATE: LogBucketState = { counts: new Array<number>(LOG_BUCKET_COUNT).fill(0), total: 0, sum: 0, max: 0 };

export function createGatewayMetrics(options: GatewayMetricsOptions = {}): GatewayMetrics {
  const registry = options.registry ?? new Registry();
  const onError = options.onError ?? (() => {});
  if (options.defaultMetrics ?? true) {
    collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: options.eventLoopMonitoringPrecisionMs ?? 10 });
  }

  let hopSource: HopSource | undefined;
  const hops = new SourcedHistogram({
    name: METRIC.hopLatency,
    help: 'Latency of each hop of the audio path, seconds (hop: uplink, uplink_processing, downlink, downlink_processing, turn, barge_in, setup, stt, llm, tts, realtime).',
    buckets: HOP_LATENCY_BUCKETS,
    onError,
    collect: async (): Promise<readonly SourcedSeries[] | undefined> => {
      if (!hopSource) return undefined;
      const states = await hopSource();
      return HOP_LABELS.map((hop) => ({ labels: { [LABEL.hop]: hop }, state: states[hop] ?? EMPTY_STATE }));
    },
  });
  hops.registerWith(registry);

  const snapshots = new SnapshotMetrics(registry, onError);
  const callEnd = new CallEndMetrics(registry);
  const routingWebhook = createRoutingWebhookMetrics(registry);
  const numbers = new NumberMetrics(registry);
  const people = createPeopleMetrics(registry);
  const edge = createEdgeMetrics(registry);

  return {
    registry,
    setHopSource(source) {
      hopSource = source;
    },
    setSnapshotSource(source) {
      snapshots.setSource(source);
    },
    observeCallEnd(summary) {
      return callEnd.observe(summary);
    },
    observeRoutingWebhook(seconds, fallback) {
      routingWebhook.asked(seconds, fallback);
    },
    numbers,
    people,
    edge,
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}
