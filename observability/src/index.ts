/**
 * @patchbay/observability: telemetry wired in one place. Tracing (OpenTelemetry SDK, off by default), Prometheus
 * metrics, the per-call MOS estimate, the redacting logger, and every metric and span name.
 */
export * from './names.js';
export { startTelemetry, type Telemetry, type TelemetryOptions, type TelemetryDescription } from './telemetry.js';
export { parseTraceConfig, type Env, type TraceConfig } from './telemetry-config.js';
export { createGatewayMetrics, type GatewayMetrics, type GatewayMetricsOptions, type HopSource, type HopStates } from './metrics.js';
export type { GatewaySnapshot, SnapshotSource } from './snapshot-metrics.js';
export { HOP_LATENCY_BUCKETS, LOG_BUCKET_COUNT, toPrometheusBuckets, type LogBucketState } from './log-buckets.js';
export { createEdgeMetrics, type EdgeMetrics, type EdgeSnapshot, type EdgeSource } from './edge-metrics.js';
export { createRoutingWebhookMetrics, ROUTING_WEBHOOK_BUCKETS, type RoutingWebhookMetrics } from './routing-webhook-metrics.js';
export { createPeopleMetrics, type PeopleMetrics } from './people-metrics.js';
export { MOS_BUCKETS, JITTER_BUFFER_BUCKETS, RTCP_JITTER_BUCKETS, BARGE_IN_BUCKETS } from './call-end-metrics.js';
export { callMos, callQualityInput, type CallMos, type CallQualitySummary, type DroppedFrames } from './call-quality.js';
export { eModel, rToMos, delayImpairment, effectiveEquipmentImpairment, type EModelInput, type EModelResult } from './mos.js';
export { codecImpairment, type CodecImpairment } from './codec-impairment.js';
export { createLogger, REDACTED_KEYS, REDACTED_PATHS, type Logger, type LoggerOptions } from './logger.js';
export { ObservabilityError, type ObservabilityErrorCode } from './errors.js';
export { NumberMetrics, NUMBER_OTHER, TALK_BUCKETS, TURN_BUCKETS, type NumberCallObservation, type NumberMetricsOptions } from './number-metrics.js';
