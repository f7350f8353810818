/**
 * The first schema (store/schema.ts describes it). Portable DDL only: the same statements run on SQLite and
 * PostgreSQL. Never edit a released migration: add the next one.
 */
import type { Kysely } from 'kysely';

// Migrations see the database as it was then, not as schema.ts says today.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable('calls')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('direction', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('from_number', 'text', (c) => c.notNull())
    .addColumn('to_number', 'text', (c) => c.notNull())
    .addColumn('number_pattern', 'text', (c) => c.notNull())
    .addColumn('trunk', 'text')
    .addColumn('agent_kind', 'text', (c) => c.notNull())
    .addColumn('agent_target', 'text', (c) => c.notNull())
    .addColumn('codec', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('ringing_at', 'bigint')
    .addColumn('answered_at', 'bigint')
    .addColumn('ended_at', 'bigint')
    .addColumn('ring_ms', 'integer')
    .addColumn('talk_ms', 'integer')
    .addColumn('disposition', 'text')
    .addColumn('sip_status', 'integer')
    .addColumn('end_reason', 'text')
    .addColumn('transfer_target', 'text')
    .addColumn('transfer_outcome', 'text')
    .addColumn('dtmf_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('barge_ins', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('turns', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('turn_p50_ms', 'double precision')
    .addColumn('turn_p95_ms', 'double precision')
    .addColumn('packets_expected', 'integer')
    .addColumn('packets_lost', 'integer')
    .addColumn('jitter_ms', 'double precision')
    .addColumn('mos', 'double precision')
    .addColumn('stage_stt_ms', 'double precision')
    .addColumn('stage_llm_ms', 'double precision')
    .addColumn('stage_tts_ms', 'double precision')
    .addColumn('stage_realtime_ms', 'double precision')
    .addColumn('recording_ref', 'text')
    .addColumn('routing_json', 'text')
    .addColumn('gateway_id', 'text', (c) => c.notNull())
    .execute();
  // The history's order and cursor (created_at, id), and its filters, each leading with what narrows it.
  await db.schema.createIndex('calls_created').on('calls').columns(['created_at', 'id']).execute();
  await db.schema.createIndex('calls_number_created').on('calls').columns(['number_pattern', 'created_at']).execute();
  await db.schema.createIndex('calls_to_created').on('calls').columns(['to_number', 'created_at']).execute();
  await db.schema.createIndex('calls_from_created').on('calls').columns(['from_number', 'created_at']).execute();
  await db.schema.createIndex('calls_disposition_created').on('calls').columns(['disposition', 'created_at']).execute();
  await db.schema.createIndex('calls_trunk_created').on('calls').columns(['trunk', 'created_at']).execute();

  await db.schema
    .createTable('call_events')
    .addColumn('call_id', 'text', (c) => c.notNull())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('data_json', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('call_events_pk', ['call_id', 'seq'])
    .execute();

  await db.schema
    .createTable('call_transcripts')
    .addColumn('call_id', 'text', (c) => c.notNull())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('text', 'text', (c) => c.notNull())
    .addColumn('final', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('call_transcripts_pk', ['call_id', 'seq'])
    .execute();

  await db.schema
    .createTable('numbers')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('pattern', 'text', (c) => c.notNull())
    .addColumn('route_json', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('webhook_deliveries')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('event_type', 'text', (c) => c.notNull())
    .addColumn('endpoint', 'text', (c) => c.notNull())
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('call_id', 'text')
    .addColumn('payload_json', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
    .addColumn('last_attempt_at', 'bigint')
    .addColumn('delivered_at', 'bigint')
    .addColumn('lease_until', 'bigint')
    .addColumn('lease_owner', 'text')
    .execute();
  await db.schema.createIndex('webhook_deliveries_due').on('webhook_deliveries').columns(['status', 'next_attempt_at']).execute();
  await db.schema.createIndex('webhook_deliveries_call').on('webhook_deliveries').columns(['call_id']).execute();
  await db.schema.createIndex('webhook_deliveries_created').on('webhook_deliveries').columns(['created_at', 'id']).execute();

  await db.schema
    .createTable('webhook_attempts')
    .addColumn('delivery_id', 'text', (c) => c.notNull())
    .addColumn('attempt', 'integer', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('duration_ms', 'double precision', (c) => c.notNull())
    .addColumn('status_code', 'integer')
    .addColumn('error', 'text')
    .addPrimaryKeyConstraint('webhook_attempts_pk', ['delivery_id', 'attempt'])
    .execute();
}

export async function down(db: AnyDb): Promise<void> {
  for (const t of ['webhook_attempts', 'webhook_deliveries', 'numbers', 'call_transcripts', 'call_events', 'calls']) {
    await db.schema.dropTable(t).ifExists().execute();
  }
}
