/**
 * The edge's vocabulary: why a message was dropped before parsing (one table, documented in docs/edge.md, the
 * `reason` label of `patchbay_sip_edge_dropped_total`), and the figures `/stats` shows under `sip.edge`.
 */

/**
 * Why the edge dropped a message. Every drop is silent: no response, no state.
 * - `rate`: the source went over `sip.edge.requestsPerSecond` (its bucket was empty); this message began its ban.
 * - `banned`: the source is on the ban list (`sip.edge.banSeconds`).
 * - `unknown-source`: a request from outside every trunk's allow-list with `sip.unknownSources: drop`.
 * - `scanner`: a request whose User-Agent names a known scanner (`sip.scannerUserAgents`); the source is banned too.
 */
export const EDGE_DROP_REASONS = ['rate', 'banned', 'unknown-source', 'scanner'] as const;
export type EdgeDropReason = (typeof EDGE_DROP_REASONS)[number];

/** What to do with requests from a source outside every trunk's allow-list (`sip.unknownSources`). */
export const UNKNOWN_SOURCE_POLICIES = ['answer', 'drop'] as const;
export type UnknownSourcePolicy = (typeof UNKNOWN_SOURCE_POLICIES)[number];

export interface EdgeStats {
  /** Messages dropped before parsing, by reason (cumulative). */
  readonly dropped: Readonly<Record<EdgeDropReason, number>>;
  /** Bans begun since start (a repeat offence counts again). */
  readonly bansTotal: number;
  /** Sources (IPv4 address or IPv6 /64) banned now. */
  readonly bansActive: number;
  /** Sources the limiter tracks now (bounded by `sip.edge.maxSources`). */
  readonly sources: number;
  /** Sources forgotten early because the table was full (stalest first). */
  readonly evicted: number;
  /** TCP connections refused at accept because their source is banned. */
  readonly connectionsRefused: number;
}

export class EdgeConfigError extends Error {
  readonly code = 'EDGE_CONFIG';
  constructor(message: string) {
    super(message);
    this.name = 'EdgeConfigError';
  }
}
