/**
 * The edge as the gateway starts it: the gate built from the `sip` settings and the trunks' addresses (its
 * `admit`/`admitConnection` go to the SIP stack), and its figures in `/metrics` terms.
 */
import type { EdgeDropLabel, EdgeSnapshot } from '@patchbay/observability';
import { EdgeGate } from './edge-gate.js';
import { trustedSources, type TrunkAddresses } from './trusted.js';
import { EDGE_DROP_REASONS, type EdgeDropReason, type EdgeStats, type UnknownSourcePolicy } from './types.js';

/** The `sip` settings the edge reads (config-edge.ts). */
export interface EdgeSettings {
  readonly edge: {
    readonly enabled: boolean;
    readonly requestsPerSecond: number;
    readonly burst: number;
    readonly banSeconds: number;
    readonly maxBanSeconds: number;
    readonly maxSources: number;
    readonly exempt: readonly string[];
  };
  readonly unknownSources: UnknownSourcePolicy;
  readonly scannerUserAgents: readonly string[];
}

/** Each drop reason's `reason` label (a reason missing from the labels fails typecheck). */
export const EDGE_DROP_LABEL: Readonly<Record<EdgeDropReason, EdgeDropLabel>> = {
  rate: 'rate',
  banned: 'banned',
  'unknown-source': 'unknown-source',
  scanner: 'scanner',
};

export function startEdge(sip: EdgeSettings, trunks: readonly TrunkAddresses[]): EdgeGate {
  const { exempt, ...limits } = sip.edge;
  return new EdgeGate({ ...limits, trusted: trustedSources(trunks, exempt), unknownSources: sip.unknownSources, scannerUserAgents: sip.scannerUserAgents });
}

/** The gate's figures in `/metrics` terms: `metrics.edge.setSource(() => edgeSnapshot(gate.stats))`. */
export function edgeSnapshot(stats: EdgeStats): EdgeSnapshot {
  const dropped = { rate: 0, banned: 0, 'unknown-source': 0, scanner: 0 } satisfies Record<EdgeDropLabel, number>;
  for (const reason of EDGE_DROP_REASONS) dropped[EDGE_DROP_LABEL[reason]] += stats.dropped[reason];
  return { ...stats, dropped };
}
