/**
 * The hardened SIP edge (docs/edge.md): per-source rate limit and ban list, unknown-source drop, scanner
 * User-Agents, all before parsing. Knows sources and bytes, nothing of calls.
 */
export { EdgeGate, type EdgeGateOptions } from './edge-gate.js';
export { SourceLimiter, type LimitVerdict, type SourceLimiterOptions } from './source-limiter.js';
export { ScannerMatcher, SCANNER_USER_AGENTS, userAgents } from './scanners.js';
export { sourceKey } from './source-key.js';
export { trustedSources, type TrunkAddresses } from './trusted.js';
export { EDGE_DROP_REASONS, EdgeConfigError, UNKNOWN_SOURCE_POLICIES, type EdgeDropReason, type EdgeStats, type UnknownSourcePolicy } from './types.js';
export { startEdge, edgeSnapshot, EDGE_DROP_LABEL, type EdgeSettings } from './start.js';
