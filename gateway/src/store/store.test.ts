/**
 * The production store on both engines (SQLite on its worker thread, a real PostgreSQL started by the test):
 * migrations, the write queue's order, idempotence, spill, replay across a restart, drops, retention.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { storeBackends } from '../../test/support/store-backends.js';
import { openStore, SPILL_FILE, type Store } from './index.js';
import { purgeExpired } from './retention.js';
import type { Applier } from './types.js';

const logger = pino({ level: 'silent' });
const DAY = 86_400_000;

/** A call-like row; the same id twice is one row (the appliers' idempotence). */
const callRow = (i: number, createdAt = 1_700_000_000_000 + i) => ({
  id: `call-${i}`,
  direction: 'inbound' as const,
  status: 'completed',
  from_number: '+15550100001',
  to_number: '+15550100002',
  number_pattern: '*',
  agent_kind: 'builtin',
  agent_target: 'demo',
  created_at: createdAt,
  gateway_id: 'test',
  dtmf_count: 0,
  barge_ins: 0,
  turns: 0,
});

const upsertCall: Applier = async (trx, data) => {
  const row = callRow(Number((data as { i: number }).i), (data as { at?: number }).at);
  await trx.insertInto('calls').values(row).onConflict((oc) => oc.column('id').doUpdateSet({ status: row.status })).execute();
};

/** Appends (call 'order', seq i) with the order of application: a commit counter. */
function orderApplier(): Applier {
  let counter = 0;
  return async (trx, data) => {
    const i = (data as { i: number }).i;
    await trx.insertInto('call_events').values({ call_id: 'order', seq: i, at: ++counter, type: 't', data_json: '{}' }).onConflict((oc) => oc.columns(['call_id', 'seq']).doNothing()).execute();
  };
}

async function count(store: Store, table: 'calls' | 'call_events'): Promise<number> {
  const r = await store.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(r.n);
}

async function expectInOrder(store: Store, n: number): Promise<void> {
  const rows = await store.db.selectFrom('call_events').select(['seq', 'at']).where('call_id', '=', 'order').orderBy('seq').execute();
  expect(rows.length).toBe(n);
  for (let k = 1; k < rows.length; k++) expect(rows[k]!.at).toBeGreaterThan(rows[k - 1]!.at);
}

const backends = storeBackends();
afterAll(async () => {
  for (const [, b] of backends) await b.cleanup();
}, 30_000);

describe.each(backends)('store on %s', (engine, backend) => {
  it('migrates at open, again as a no-op at the next open, and closes cleanly (twice)', async () => {
    const config = await backend.config();
    const store = await openStore(config, { logger, baseDir: '/', retention: false });
    expect(store.dialect).toBe(engine);
    const migrations = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(store.db);
    expect(migrations.rows.map((r) => r.name)).toEqual(['0001-init', '0002-calls-id-byte-order']);
    for (const table of ['calls', 'call_events', 'call_transcripts', 'numbers', 'webhook_deliveries', 'webhook_attempts'] as const) {
      await expect(sql`select count(*) from ${sql.table(table)}`.execute(store.db)).resolves.toBeDefined();
    }
    await store.close();
    await store.close();
    const again = await openStore(config, { logger, baseDir: '/', retention: false });
    expect((await sql<{ name: string }>`select name from kysely_migration`.execute(again.db)).rows).toHaveLength(2);
    await again.close();
  });

  it('applies queued writes in order, in batches; the same op twice is one row; epoch ms come back as numbers', async () => {
    const store = await openStore(await backend.config({ queue: { batchOps: 50 } }), { logger, baseDir: '/', retention: false });
    store.writer.register('test.order', orderApplier());
    store.writer.register('test.call', upsertCall);
    for (let i = 0; i < 1000; i++) store.writer.enqueue({ kind: 'test.order', data: { i } });
    for (let i = 0; i < 10; i++) store.writer.enqueue({ kind: 'test.call', data: { i: i % 5 } });
    await store.flush();
    await expectInOrder(store, 1000);
    expect(await count(store, 'calls')).toBe(5);
    const row = await store.db.selectFrom('calls').select('created_at').where('id', '=', 'call-1').executeTakeFirstOrThrow();
    expect(row.created_at).toBe(1_700_000_000_001);
    expect(store.stats()).toMatchObject({ queued: 0, spilled: 0, applied: 1010, dropped: 0, databaseUp: true });
    await store.close();
  });

  it('spills past the memory bound and applies every op, in order', async () => {
    const store = await openStore(await backend.config({ queue: { maxOps: 100, batchOps: 200 } }), { logger, baseDir: '/', retention: false });
    store.writer.register('test.order', orderApplier());
    for (let i = 0; i < 5000; i++) store.writer.enqueue({ kind: 'test.order', data: { i } });
    expect(store.stats()).toMatchObject({ queued: 100, spilled: 4900, dropped: 0 });
    await store.flush();
    await expectInOrder(store, 5000);
    expect(store.stats()).toMatchObject({ queued: 0, spilled: 0, applied: 5000 });
    await store.close();
  });

  it('keeps what close() could not apply in the spill file and replays it at the next open', async () => {
    const config = await backend.config({ queue: { maxOps: 1000 } });
    const first = await openStore(config, { logger, baseDir: '/', retention: false, queue: { closeTimeoutMs: 0 } });
    first.writer.register('test.order', orderApplier());
    for (let i = 0; i < 3000; i++) first.writer.enqueue({ kind: 'test.order', data: { i } });
    await first.close();
    const spilled = readFileSync(join(config.dataDir, SPILL_FILE), 'utf8').split('\n').filter((l) => l !== '').length;
    expect(spilled).toBeGreaterThan(0);
    const second = await openStore(config, { logger, baseDir: '/', retention: false });
    expect(second.stats().spilled).toBe(spilled);
    second.writer.register('test.order', orderApplier());
    await second.flush();
    const rows = await second.db.selectFrom('call_events').select('seq').where('call_id', '=', 'order').orderBy('seq').execute();
    expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: 3000 }, (_, i) => i));
    expect(second.stats()).toMatchObject({ spilled: 0, dropped: 0 });
    expect(readFileSync(join(config.dataDir, SPILL_FILE), 'utf8')).toBe('');
    await second.close();
  });

  it('counts drops (never silent) when the memory queue and the spill file are both full', async () => {
    const lines: string[] = [];
    const recording = pino({ level: 'error' }, { write: (l: string) => void lines.push(l) });
    const store = await openStore(await backend.config({ queue: { maxOps: 10, maxSpillBytes: 2_000 } }), { logger: recording, baseDir: '/', retention: false });
    store.writer.register('test.order', orderApplier());
    for (let i = 0; i < 500; i++) store.writer.enqueue({ kind: 'test.order', data: { i } });
    const { dropped, queued, spilled } = store.stats();
    expect(queued).toBe(10);
    expect(spilled).toBeGreaterThan(0);
    expect(dropped).toBe(500 - 10 - spilled);
    expect(lines.some((l) => l.includes('writes dropped'))).toBe(true);
    await store.flush();
    expect(await count(store, 'call_events')).toBe(10 + spilled);
    await store.close();
  });

  it('a bad op is rejected after its attempts, and the ops behind it are applied', async () => {
    const store = await openStore(await backend.config(), { logger: pino({ level: process.env['DBG'] ?? 'silent' }), baseDir: '/', retention: false, queue: { retryMinMs: 1, retryMaxMs: 5, maxOpAttempts: 2 } });
    store.writer.register('test.order', orderApplier());
    store.writer.register('test.bad', async (trx) => void (await sql`insert into no_such_table values (1)`.execute(trx)));
    store.writer.enqueue({ kind: 'test.order', data: { i: 0 } });
    store.writer.enqueue({ kind: 'test.bad', data: {} });
    store.writer.enqueue({ kind: 'test.order', data: { i: 1 } });
    for (let k = 0; k < 20 && store.stats().rejected === 0; k++) await store.flush();
    await store.flush();
    expect(store.stats()).toMatchObject({ rejected: 1, applied: 2, databaseUp: true });
    expect(await count(store, 'call_events')).toBe(2);
    await store.close();
  });

  it('purges calls, timelines, transcripts and finished deliveries past retention, in batches', async () => {
    const store = await openStore(await backend.config(), { logger, baseDir: '/', retention: false });
    const now = 1_800_000_000_000;
    const old = now - 91 * DAY;
    const recent = now - 89 * DAY;
    await store.db.insertInto('calls').values(Array.from({ length: 25 }, (_, i) => callRow(i, i < 20 ? old : recent))).execute();
    await store.db.insertInto('call_events').values([{ call_id: 'call-0', seq: 0, at: old, type: 't', data_json: '{}' }, { call_id: 'call-24', seq: 0, at: recent, type: 't', data_json: '{}' }]).execute();
    await store.db.insertInto('call_transcripts').values([{ call_id: 'call-1', seq: 0, at: old, role: 'caller', text: 'hi', final: 1 }]).execute();
    const delivery = (id: string, status: string, at: number) => ({ id, event_type: 'call.ended', endpoint: 'e', url: 'http://127.0.0.1/', call_id: null, payload_json: '{}', status, attempts: 1, created_at: at, next_attempt_at: at });
    await store.db.insertInto('webhook_deliveries').values([delivery('d1', 'delivered', old), delivery('d2', 'failed', old), delivery('d3', 'pending', old), delivery('d4', 'delivered', recent)]).execute();
    await store.db.insertInto('webhook_attempts').values([{ delivery_id: 'd1', attempt: 1, at: old, duration_ms: 3, status_code: 200, error: null }]).execute();
    expect(await purgeExpired(store.db, 90, now, 7)).toEqual({ calls: 20, webhookDeliveries: 2 });
    expect((await store.db.selectFrom('calls').select('id').orderBy('id').execute()).map((r) => r.id)).toEqual(['call-20', 'call-21', 'call-22', 'call-23', 'call-24']);
    expect((await store.db.selectFrom('call_events').select('call_id').execute()).map((r) => r.call_id)).toEqual(['call-24']);
    expect(await store.db.selectFrom('call_transcripts').selectAll().execute()).toEqual([]);
    expect((await store.db.selectFrom('webhook_deliveries').select('id').orderBy('id').execute()).map((r) => r.id)).toEqual(['d3', 'd4']);
    expect(await store.db.selectFrom('webhook_attempts').selectAll().execute()).toEqual([]);
    expect(await purgeExpired(store.db, 0, now)).toEqual({ calls: 0, webhookDeliveries: 0 });
    await store.close();
  });
});
