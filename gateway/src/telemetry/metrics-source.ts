/**
 * What `GET /metrics` reads at scrape time, in the observability package's terms: the hop histograms under their
 * Prometheus `hop` labels, and the gateway's counters and gauges as one snapshot. Nothing here runs per frame.
 */
import type { AuthFailureLabel, GatewaySnapshot, HopLabel, HopStates, RegistrationStateLabel } from '@patchbay/observability';
import type { AuthFailureCause } from '../call/admission.js';
import type { CallStats } from '../call/call-stats.js';
import type { MediaPlaneStats } from '../media-plane/plane.js';
import { HOP_NAMES, type HopName, type HopState } from '../metrics/hop-metrics.js';
import type { SipTrafficSnapshot } from '../sip/sip-traffic.js';
import type { RegistrationState, RegistrationStatus } from '../registration/index.js';
import type { WriteQueueStats } from '../store/types.js';

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

/** Each authentication failure cause's `reason` label (a gateway cause missing from the labels fails typecheck). */
export const AUTH_FAILURE_LABEL: Readonly<Record<AuthFailureCause, AuthFailureLabel>> = {
  'unknown-user': 'unknown-user',
  'bad-response': 'bad-response',
  realm: 'realm',
  'uri-mismatch': 'uri-mismatch',
  algorithm: 'algorithm',
  'locked-out': 'locked-out',
  'nonce-spent': 'nonce-spent',
  malformed: 'malformed',
};

function isCause(key: string): key is AuthFailureCause {
  return Object.hasOwn(AUTH_FAILURE_LABEL, key);
}

/** Each registration state's `state` label (a gateway state missing from the labels fails typecheck). */
export const REGISTRATION_STATE_LABEL: Readonly<Record<RegistrationState, RegistrationStateLabel>> = {
  unregistered: 'unregistered',
  registering: 'registering',
  registered: 'registered',
  failed: 'failed',
};

export interface SnapshotParts {
  activeCalls: number;
  /** The graceful drain's phase as `patchbay_drain_state` (drain/ DRAIN_PHASE_VALUE: 0 serving, 1 draining, 2 stopping). */
  drainState?: number;
  calls: CallStats;
  sip: SipTrafficSnapshot;
  plane: MediaPlaneStats;
  /** Trunk registrations (`Registrations.list()`). */
  registrations?: readonly RegistrationStatus[];
  /** The store's write queue. */
  store?: WriteQueueStats;
  /** SIP over TLS figures (the stack's stats); absent without `sip.tls`. */
  tls?: { tlsConnections: number; tlsHandshakeFailures: number; tlsConnectFailures: number };
}

export function gatewaySnapshot(p: SnapshotParts): GatewaySnapshot {
  return {
    activeCalls: p.activeCalls,
    ...(p.drainState === undefined ? {} : { drainState: p.drainState }),
    callsByResult: { ...p.calls.endReasons },
    callsRejectedByStatus: { ...p.calls.invitesRefused },
    // DESTINATION_NOT_ALLOWED → not_allowed: the refusal codes are a closed set.
    transfersRefusedByReason: Object.fromEntries(
      Object.entries(p.calls.transfersRefused).map(([code, n]) => [code.replace(/^DESTINATION_/, '').toLowerCase(), n]),
    ),
    // AGENT_TLS → tls: the AgentConnectError codes are a closed set.
    agentConnectFailuresByReason: Object.fromEntries(Object.entries(p.calls.agentConnectFailures).map(([code, n]) => [code.replace(/^AGENT_/, '').toLowerCase(), n])),
    sipRequestsByMethod: p.sip.requests,
    sipResponses: p.sip.responses,
    sipAuthFailures: Object.fromEntries(Object.entries(p.calls.auth.failures).flatMap(([k, n]) => (isCause(k) ? [[AUTH_FAILURE_LABEL[k], n]] : []))),
    sipAuthLockouts: p.calls.auth.lockouts,
    mediaClockLateTicks: p.plane.clockLateTicks,
    mediaClockStalls: p.plane.clockStalls,
    wsSendQueueFrames: p.plane.agentQueuedFrames,
    rtpRejectedPackets: p.plane.rtpRejectedPackets,
    rtpRejectedSources: p.plane.rtpRejectedSources,
    srtpFailures: { ...p.plane.srtpFailures },
    ...(p.tls ? { sipTls: { connections: p.tls.tlsConnections, handshakeFailures: p.tls.tlsHandshakeFailures, connectFailures: p.tls.tlsConnectFailures } } : {}),
    ...(p.store ? { store: { queued: p.store.queued, spilled: p.store.spilled, applied: p.store.applied, failures: p.store.failures, dropped: p.store.dropped, rejected: p.store.rejected, databaseUp: p.store.databaseUp } } : {}),
    ...(p.registrations ? { trunkRegistrations: p.registrations.map((r) => ({ trunk: r.trunk, state: REGISTRATION_STATE_LABEL[r.state] })) } : {}),
  };
}
