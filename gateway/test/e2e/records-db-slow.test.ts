/**
 * A slow database must not delay or fail a call (issue 13, "Storage"), and how long a record lives only in memory.
 *
 * A trigger on `calls` sends a NOTIFY for every row written; PostgreSQL delivers it when the transaction commits, so
 * the time from a record being queued (its `onRecord`, told in the same tick as the enqueue) to the notification is
 * the time it sat only in the gateway's memory: what a SIGKILL then would lose (docs/store.md).
 *
 * 1. Healthy database, 50 calls ending together: that window, p50/p99.
 * 2. Another connection holds an ACCESS EXCLUSIVE lock on `calls` for 5 s while 25 calls are set up and all 50
 *    end: calls are answered as fast and hear their echo throughout, nothing is committed while the lock holds (the
 *    store is slow, not down), and every record lands once the lock goes.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CALL_RECORD_WRITE } from '../../src/records/applier.js';
import type { CallDetail } from '../../src/records/record.js';
import { startTestGateway, waitFor, type TestGateway, storeOf } from '../helpers/gateway.js';
import { audioFlow, percentile, placeCalls, type LiveCall } from '../helpers/live-calls.js';
import { sine } from '../helpers/tones.js';
import { startPostgres, type TestPostgres } from '../support/postgres.js';

const NUMBER = '+15550100043';
const CALLS = 50;
const STAGGER_MS = 40;
const LOCK_MS = 5_000;
/** See records-db-down.test.ts: the shared machine's own stalls stay well under this. */
const MAX_GAP_MS = 1_000;

let server: TestPostgres;
const gateways: TestGateway[] = [];
const clients: pg.Client[] = [];

beforeAll(async () => {
  server = await startPostgres('records_slow');
}, 60_000);

afterAll(async () => {
  for (const c of clients) await c.end().catch(() => undefined);
  for (const g of gateways) await g.close().catch(() => undefined);
  await server.stop();
});

async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  clients.push(client);
  return client;
}

interface Rig {
  gw: TestGateway;
  /** Call id → when its record was queued / when its row was committed (`performance.now()`). */
  queuedAt: Map<string, number>;
  committedAt: Map<string, number>;
  records: CallDetail[];
  url: string;
}

async function rig(database: string): Promise<Rig> {
  const url = await server.createDatabase(database);
  const gw = await startTestGateway({ numbers: { [NUMBER]: { agent: 'echo' } }, database: { url } });
  gateways.push(gw);
  const admin = await connect(url);
  await admin.query(`create function notify_landed() returns trigger language plpgsql as $$
    begin perform pg_notify('landed', new.id); return new; end $$`);
  await admin.query('create trigger landed after insert or update on calls for each row execute function notify_landed()');
  const listener = await connect(url);
  const committedAt = new Map<string, number>();
  listener.on('notification', (n) => {
    if (n.payload !== undefined && !committedAt.has(n.payload)) committedAt.set(n.payload, performance.now());
  });
  await listener.query('listen landed');
  const queuedAt = new Map<string, number>();
  const records: CallDetail[] = [];
  gw.gateway.records.onRecord((r) => {
    queuedAt.set(r.id, performance.now());
    records.push(r);
  });
  return { gw, queuedAt, committedAt, records, url };
}

function expectNormalCalls(calls: readonly LiveCall[], holdMs: number, byes: readonly number[]): void {
  expect(byes.every((s) => s === 200)).toBe(true);
  for (const c of calls) {
    expect(c.caller.byeAtMs, `${c.from}: the gateway ended it`).toBe(0);
    const flow = audioFlow(c.caller, c.caller.answeredMs + 500, c.caller.answeredMs + holdMs - 200);
    expect(flow.packets, `${c.from} received`).toBeGreaterThan(((holdMs - 700) / 20) * 0.6);
    expect(flow.maxGapMs, `${c.from} longest gap`).toBeLessThan(MAX_GAP_MS);
    expect(flow.echoed, `${c.from} echoed share`).toBeGreaterThan(0.9);
  }
}

async function endAll(calls: readonly LiveCall[]): Promise<number[]> {
  await Promise.all(calls.map((c) => c.sending));
  const byes = await Promise.all(calls.map((c) => c.caller.bye(5_000)));
  for (const c of calls) c.caller.close();
  return byes;
}

function figures(values: readonly number[]): string {
  return `p50 ${percentile(values, 50).toFixed(1)} ms, p99 ${percentile(values, 99).toFixed(1)} ms, max ${Math.max(...values).toFixed(1)} ms`;
}

describe('records with a healthy and a slow database', () => {
  it('healthy: how long 50 records sit only in memory (queued → committed)', async () => {
    const r = await rig('healthy');
    const holdMs = 4_000;
    const calls = await placeCalls({ host: r.gw.host, port: r.gw.sipPort, to: NUMBER, count: CALLS, staggerMs: STAGGER_MS, audio: sine(8_000, 700, -16, holdMs) });
    expectNormalCalls(calls, holdMs, await endAll(calls));
    await waitFor(() => r.records.length === CALLS && r.records.every((d) => r.committedAt.has(d.id)), 15_000, () => `${r.committedAt.size} committed of ${r.records.length}`);
    const window = r.records.map((d) => (r.committedAt.get(d.id) ?? Number.NaN) - (r.queuedAt.get(d.id) ?? Number.NaN));
    console.log(`queued → committed, ${CALLS} calls ending together, healthy PostgreSQL: ${figures(window)}`);
    expect(window.every((ms) => ms >= 0)).toBe(true);

    // The same 50 records written again (idempotent upserts) with no call running: the database's share of it.
    r.committedAt.clear();
    const again = new Map<string, number>();
    for (const d of r.records) {
      again.set(d.id, performance.now());
      storeOf(r.gw.gateway).writer.enqueue({ kind: CALL_RECORD_WRITE, data: { gatewayId: storeOf(r.gw.gateway).gatewayId, record: d } });
    }
    await waitFor(() => r.records.every((d) => r.committedAt.has(d.id)), 15_000, () => `${r.committedAt.size} committed again`);
    const idle = r.records.map((d) => (r.committedAt.get(d.id) ?? Number.NaN) - (again.get(d.id) ?? Number.NaN));
    console.log(`the same 50 records enqueued at once with no call running: ${figures(idle)}`);
    expect(storeOf(r.gw.gateway).stats()).toMatchObject({ queued: 0, spilled: 0, rejected: 0, dropped: 0 });
  }, 60_000);

  it('slow: a 5 s lock on calls delays no call; the records land when it goes', async () => {
    const r = await rig('slow');
    const holdMs = 5_000;
    const tone = sine(8_000, 700, -16, holdMs);
    const before = await placeCalls({ host: r.gw.host, port: r.gw.sipPort, to: NUMBER, count: CALLS / 2, staggerMs: STAGGER_MS, audio: tone });
    const locker = await connect(r.url);
    await locker.query('begin');
    await locker.query('lock table calls in access exclusive mode');
    const lockedAtMs = performance.now();
    const during = await placeCalls({ host: r.gw.host, port: r.gw.sipPort, to: NUMBER, first: CALLS / 2, count: CALLS / 2, staggerMs: STAGGER_MS, audio: tone });
    const calls = [...before, ...during];
    expectNormalCalls(calls, holdMs, await endAll(calls));
    const setupBefore = before.map((c) => c.setupMs);
    const setupDuring = during.map((c) => c.setupMs);
    console.log(`INVITE→200 before the lock: ${figures(setupBefore)}; under it: ${figures(setupDuring)}`);
    expect(percentile(setupDuring, 95)).toBeLessThan(percentile(setupBefore, 95) + 200);

    // Every record queued; the writer is stuck behind the lock (slow, not down): nothing committed yet.
    await waitFor(() => r.records.length === CALLS, 10_000, () => `${r.records.length} records`);
    const stuck = storeOf(r.gw.gateway).stats();
    expect(stuck.queued).toBe(CALLS);
    expect(stuck.databaseUp).toBe(true);
    expect(r.committedAt.size).toBe(0);
    await waitFor(() => performance.now() - lockedAtMs >= LOCK_MS, LOCK_MS + 1_000);
    await locker.query('commit');
    const releasedAtMs = performance.now();

    await waitFor(() => r.records.every((d) => r.committedAt.has(d.id)), 15_000, () => `${r.committedAt.size} committed`);
    const last = Math.max(...r.committedAt.values());
    console.log(`lock held ${(releasedAtMs - lockedAtMs).toFixed(0)} ms; all ${CALLS} records committed ${(last - releasedAtMs).toFixed(0)} ms after it went`);
    expect(Math.min(...r.committedAt.values())).toBeGreaterThanOrEqual(releasedAtMs - 1);
    const count = await locker.query<{ n: string }>('select count(*) as n, count(distinct id) as d from calls');
    expect(count.rows[0]).toMatchObject({ n: String(CALLS), d: String(CALLS) });
    expect(storeOf(r.gw.gateway).stats()).toMatchObject({ queued: 0, spilled: 0, rejected: 0, dropped: 0 });
  }, 60_000);
});
