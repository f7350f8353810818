/**
 * Test tools of @patchbay/observability (`@patchbay/observability/testing`): a parser of the Prometheus text
 * format and the declared type of every metric, for tests that scrape a live `/metrics`. Not for production code.
 */
export { parsePrometheusText, samplesOf, valueOf } from './prometheus-text.js';
export type { Exposition, Sample } from './prometheus-text.js';
export { METRIC_KINDS } from './metric-kinds.js';
export type { MetricKind } from './metric-kinds.js';
