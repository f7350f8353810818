/**
 * What `GET /metrics` reads at scrape time, in the observability package's terms: the hop histograms under their
 * Prometheus `hop` labels, and the gateway's counters and gauges as one snapshot. Nothing here runs per frame.
 */
import type { GatewaySnapshot, HopLabel, HopStates } from '@patchbay/observability';
import type { CallStats } from '../call/call-stats.js';
import type { MediaPlaneStats } from '../media-plane/plane.js';
import { HOP_NAMES, type HopName, type HopState } from '../metrics/hop-metrics.js';
import type { SipTrafficSnapshot } from '../sip/sip-traffic.js';

/** Each hop histogram's `hop` label. */
export const HOP_LABEL: Readonly<Record<HopName, HopLabel>> = {
  uplinkMs: 'uplink',
  uplinkProcessingMs: 'uplink_processing',
  downlinkMs: 'downlink',
  downlinkProcessingMs: 'downlink_processing',
  turnMs: 'turn',
  bargeInMs: 'barge_in',
  setupMs: 'setup',
  sttMs: 'stt',
  llmMs: 'llm',
  ttsMs: 'tts',
  realtimeMs: 'realtime',
};

/** Monotonic hop histograms (the planes' merged with call setup) by `hop` label. */
export function hopStates(state: HopState): HopStates {
  const out: HopStates = {};
  for (const name of HOP_NAMES) out[HOP_LABEL[name]] = state[name];
  return out;
}

export interface SnapshotParts {
  activeCalls: number;
  calls: CallStats;
  /** Initial INVITEs refused, by status. */
  rejected: ReadonlyMap<number, number>;
  sip: SipTrafficSnapshot;
  plane: MediaPlaneStats;
}

export function gatewaySnapshot(p: SnapshotParts): GatewaySnapshot {
  return {
    activeCalls: p.activeCalls,
    callsByResult: { ...p.calls.endReasons },
    callsRejectedByStatus: Object.fromEntries([...p.rejected].map(([status, n]) => [String(status), n])),
    sipRequestsByMethod: p.sip.requests,
    sipResponses: p.sip.responses,
    mediaClockLateTicks: p.plane.clockLateTicks,
    wsSendQueueFrames: p.plane.agentQueuedFrames,
    rtpRejectedPackets: p.plane.rtpRejectedPackets,
    rtpRejectedSources: p.plane.rtpRejectedSources,
  };
}
