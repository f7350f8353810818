/**
 * How long a write batch holds the main thread, and call-like insert throughput, per engine:
 *   npx tsx gateway/test/bench/store-main-thread.ts [batches=40] [rows=500]
 * "sqlite, main thread" is Kysely's SqliteDialect over node:sqlite on this thread (what the worker avoids);
 * "sqlite, worker" is the store's WorkerSqliteDialect; "postgres" a real PostgreSQL started here (Debian's).
 * Main-thread ms per batch = event-loop active time (performance.eventLoopUtilization) during the batch; the
 * longest stall is the largest gap seen by a 1 ms timer while batches run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kysely, SqliteDialect, type Dialect } from 'kysely';
import { Migrator } from 'kysely/migration';
import { pino } from 'pino';
import { migrationProvider } from '../../src/store/migrations/index.js';
import { openNodeSqlite } from '../../src/store/node-sqlite.js';
import { createPostgresDialect } from '../../src/store/postgres-dialect.js';
import type { Database } from '../../src/store/schema.js';
import { WorkerSqliteDialect } from '../../src/store/sqlite-worker-dialect.js';
import { startPostgres } from '../support/postgres.js';

const batches = Number(process.argv[2] ?? 40);
const rows = Number(process.argv[3] ?? 500);
const dir = mkdtempSync(join(tmpdir(), 'patchbay-bench-store-'));

function callRow(n: number) {
  return {
    id: `call-${n.toString(36)}-${'x'.repeat(12)}`, direction: 'inbound' as const, status: 'completed', from_number: '+15550100001', to_number: '+15550100002',
    number_pattern: '+15550100002', trunk: 'carrier-a', agent_kind: 'url', agent_target: 'wss://agent.example.com/v1', codec: 'PCMU',
    created_at: 1_700_000_000_000 + n, ringing_at: 1_700_000_000_100 + n, answered_at: 1_700_000_000_900 + n, ended_at: 1_700_000_060_000 + n,
    ring_ms: 800, talk_ms: 59_100, disposition: 'answered', sip_status: 200, end_reason: 'remote-bye', dtmf_count: 2, barge_ins: 1, turns: 9,
    turn_p50_ms: 640, turn_p95_ms: 1100, packets_expected: 2950, packets_lost: 3, jitter_ms: 2.5, mos: 4.3, stage_llm_ms: 320,
    routing_json: '{"source":"config"}', gateway_id: 'bench',
  };
}

async function measure(name: string, dialect: Dialect): Promise<void> {
  const db = new Kysely<Database>({ dialect });
  const { error } = await new Migrator({ db, provider: migrationProvider }).migrateToLatest();
  if (error !== undefined) throw error;
  let maxGap = 0;
  let last = performance.now();
  const ticker = setInterval(() => {
    const now = performance.now();
    maxGap = Math.max(maxGap, now - last);
    last = now;
  }, 1);
  let active = 0;
  let n = 0;
  const t0 = performance.now();
  for (let b = 0; b < batches; b++) {
    await new Promise((r) => setTimeout(r, 2)); // let the ticker run between batches
    last = performance.now();
    const elu = performance.eventLoopUtilization();
    await db.transaction().execute(async (trx) => {
      for (let i = 0; i < rows; i++) {
        const row = callRow(n++);
        await trx.insertInto('calls').values(row).onConflict((oc) => oc.column('id').doUpdateSet({ status: row.status, ended_at: row.ended_at })).execute();
      }
    });
    active += performance.eventLoopUtilization(elu).active;
  }
  const wall = performance.now() - t0 - batches * 2;
  clearInterval(ticker);
  console.log(`${name.padEnd(20)} main thread ${(active / batches).toFixed(1).padStart(6)} ms/batch of ${rows}   longest stall ${maxGap.toFixed(1).padStart(6)} ms   ${Math.round((batches * rows) / (wall / 1000)).toString().padStart(6)} rows/s`);
  await db.destroy();
}

try {
  console.log(`Node ${process.version}: ${batches} batches × ${rows} call rows (one upsert each, one transaction per batch)`);
  await measure('sqlite, main thread', new SqliteDialect({ database: openNodeSqlite(join(dir, 'main.db')) }));
  await measure('sqlite, worker', new WorkerSqliteDialect({ path: join(dir, 'worker.db') }));
  const pg = await startPostgres('bench');
  try {
    await measure('postgres', createPostgresDialect({ url: pg.url, poolSize: 4, logger: pino({ level: 'silent' }) }).dialect);
  } finally {
    await pg.stop();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
