/**
 * A call's record as the API serves it and webhooks carry it (`call.ended`): one per call, both directions, built
 * from the lifecycle events and the media's timeline (records/builder.ts), stored in `calls` (store/schema.ts), with
 * the call's timeline (`call_events`) and transcript (`call_transcripts`). Times are ISO 8601 UTC; durations ms.
 * `rows.ts` converts to and from the table rows; docs/records.md documents every field.
 */
import type { CallSummary } from '../call/registry.js';

/** The call core's summary of the call (ids, parties, number, trunk, agent, codec, times, end) and what records add. */
export interface CallRecord extends CallSummary {
  ringMs: number | null;
  talkMs: number | null;
  transfer: { target: string; outcome: TransferOutcome } | null;
  dtmfCount: number;
  bargeIns: number;
  turns: number;
  turnLatencyMs: { p50: number; p95: number } | null;
  quality: {
    packetsExpected: number;
    packetsLost: number;
    /** Interarrival jitter (RFC 3550) of the caller's stream, ms. */
    jitterMs: number;
    /** E-model MOS (observability's rating of the call's quality summary). */
    mos: number;
  } | null;
  /** Medians of the agent's `stage` reports, ms (null where it sent none). */
  stages: { stt: number | null; llm: number | null; tts: number | null; realtime: number | null };
  recording: string | null;
  routing: RoutingDecision | null;
}

export const TRANSFER_OUTCOMES = ['accepted', 'failed'] as const;
export type TransferOutcome = (typeof TRANSFER_OUTCOMES)[number];

/** What a call's routing decided (RoutingDecision.action). A contract: records, the API, docs/numbers.md. */
export const ROUTING_ACTIONS = ['agent', 'forward', 'reject'] as const;
export type RoutingAction = (typeof ROUTING_ACTIONS)[number];

/** How the call got its route: the config file, the numbers API, a routing webhook's answer, or its fallback. */
export interface RoutingDecision {
  source: 'config' | 'numbers-api' | 'webhook' | 'fallback';
  /** For webhook/fallback: the webhook URL (without query), how long it took, and why the fallback was used. */
  url?: string;
  ms?: number;
  /** `timeout` | `unreachable` | `bad_status` | `bad_response` (fallback only). */
  fallbackReason?: string;
  /**
   * What it decided: `agent` (with the agent named in `agent`), `forward` (people ring first, as the route's
   * `forward:` says, `when: first`; its agent after them) or `reject` (with `status`).
   */
  action: RoutingAction;
  status?: number;
}

/** Timeline entry types, in the order a call meets them. A contract: documented in docs/records.md. */
export const TIMELINE_TYPES = [
  'created',
  'routed',
  'ringing',
  'agent-connected',
  'agent-failed',
  'agent-redial',
  'forward',
  'answered',
  'consult',
  'back-to-agent',
  'monitor',
  'turn',
  'barge-in',
  'mark',
  'dtmf',
  'transcript',
  'agent-error',
  'transfer',
  'media-ended',
  'ended',
] as const;
export type TimelineType = (typeof TIMELINE_TYPES)[number];

export interface TimelineEntry {
  at: string;
  type: TimelineType;
  /** Type-specific fields (turn: `latencyMs`; barge-in: `playedMs`, `reactionMs`; mark: `name`; ...). */
  data: Record<string, unknown>;
}

export interface TranscriptLine {
  at: string;
  role: 'caller' | 'agent';
  text: string;
  final: boolean;
}

/** A record with its timeline and transcript: `GET /v1/calls/{id}`. */
export interface CallDetail extends CallRecord {
  timeline: TimelineEntry[];
  transcript: TranscriptLine[];
}

/** Told of every finished record (after the call's media reported, or its wait ran out): webhooks' `call.ended`. */
export interface CallRecordSource {
  /** Subscribes; returns the unsubscribe. Listeners run synchronously and must queue anything slow. */
  onRecord(listener: (detail: CallDetail) => void): () => void;
}
