/**
 * The database's tables as Kysely sees them: one definition for SQLite (the embedded default) and PostgreSQL.
 * Portable column types only: text, integer (64-bit; epoch milliseconds are integers), real, and JSON kept as text
 * (`*_json` columns) so both engines store and return the same thing. Booleans are integers 0/1. The migrations in
 * `migrations/` create exactly this; a change here needs a new migration, never an edit of an old one.
 */
import type { ColumnType } from 'kysely';

/** An epoch-ms integer (bigint in PostgreSQL, read back as a number). */
type EpochMs = number;

export interface CallsTable {
  /** Our call id (the API's). */
  id: string;
  direction: 'inbound' | 'outbound';
  /** The call status as the API names it (vocabulary.ts CALL_STATUSES); final once `ended_at` is set. */
  status: string;
  from_number: string;
  to_number: string;
  /** The routing pattern the number matched (`numbers:` key as written, normalised). */
  number_pattern: string;
  trunk: string | null;
  agent_kind: string;
  /** Built-in name, adapter name, or a WebSocket agent's URL without credentials or query. */
  agent_target: string;
  codec: string | null;
  created_at: EpochMs;
  ringing_at: EpochMs | null;
  answered_at: EpochMs | null;
  ended_at: EpochMs | null;
  ring_ms: number | null;
  talk_ms: number | null;
  disposition: string | null;
  sip_status: number | null;
  end_reason: string | null;
  transfer_target: string | null;
  /** `accepted` | `failed` | null (no transfer asked). */
  transfer_outcome: string | null;
  dtmf_count: number;
  barge_ins: number;
  turns: number;
  turn_p50_ms: number | null;
  turn_p95_ms: number | null;
  packets_expected: number | null;
  packets_lost: number | null;
  jitter_ms: number | null;
  mos: number | null;
  stage_stt_ms: number | null;
  stage_llm_ms: number | null;
  stage_tts_ms: number | null;
  stage_realtime_ms: number | null;
  /** A recording's reference (recording issue); null until then. */
  recording_ref: string | null;
  /** How the call was routed: `{source: 'config'|'numbers-api'|'webhook'|'fallback', ...}` (JSON). */
  routing_json: string | null;
  /** Which gateway wrote it (several may share one PostgreSQL). */
  gateway_id: string;
}

/** Primary key (call_id, seq): writing the same entry twice is a no-op. */
export interface CallEventsTable {
  call_id: string;
  /** 0, 1, … within the call: the timeline's order (and the idempotency key with call_id). */
  seq: number;
  at: EpochMs;
  /** Timeline entry type (records/record.ts TIMELINE_TYPES). */
  type: string;
  data_json: string;
}

/** Primary key (call_id, seq). */
export interface CallTranscriptsTable {
  call_id: string;
  seq: number;
  at: EpochMs;
  role: 'caller' | 'agent';
  text: string;
  /** 1 when final. */
  final: number;
}

export interface NumbersTable {
  /** The pattern's normalised identity (`kind:key`, routing/number-pattern.ts), unique. */
  id: string;
  /** The pattern as the user wrote it. */
  pattern: string;
  /** The route, validated by the same schema as `numbers:` in patchbay.yaml (JSON). */
  route_json: string;
  created_at: EpochMs;
  updated_at: EpochMs;
  /** Bumped on every change: other gateways sharing the store reload when it moves. */
  version: number;
}

export interface WebhookDeliveriesTable {
  /** The Standard Webhooks `webhook-id` (stable across retries and replays). */
  id: string;
  /** `call.ringing` | `call.answered` | `call.ended` | `call.transferred` | … (webhooks/events.ts). */
  event_type: string;
  /** The endpoint's name in config (`webhooks.endpoints[].name`, or `number:<pattern>`). */
  endpoint: string;
  url: string;
  call_id: string | null;
  /** The JSON body sent, byte for byte on every attempt. */
  payload_json: string;
  /** `pending` | `delivered` | `failed` (gave up after 24 h) */
  status: string;
  attempts: number;
  created_at: EpochMs;
  next_attempt_at: EpochMs;
  last_attempt_at: EpochMs | null;
  delivered_at: EpochMs | null;
  /** While one gateway is sending it: until when it holds it (another may take it after). */
  lease_until: EpochMs | null;
  lease_owner: string | null;
}

/** Primary key (delivery_id, attempt). */
export interface WebhookAttemptsTable {
  delivery_id: string;
  attempt: number;
  at: EpochMs;
  duration_ms: number;
  /** The HTTP status, or null when no response came (timeout, refused). */
  status_code: number | null;
  error: string | null;
}

export interface Database {
  calls: CallsTable;
  call_events: CallEventsTable;
  call_transcripts: CallTranscriptsTable;
  numbers: NumbersTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_attempts: WebhookAttemptsTable;
}

/** A row's insertable shape where Kysely's helpers are not wanted. */
export type Row<T> = { [K in keyof T]: T[K] extends ColumnType<infer S, unknown, unknown> ? S : T[K] };
