/**
 * A real PostgreSQL stopped under the write queue: 5,000 ops enqueued while it is down are all applied once it is
 * back (memory bound small, so the spill file carries most of them), and a store closed while it is down leaves
 * its ops in the spill file for the next start. The enqueuer never waits meanwhile.
 */
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../config.js';
import { startPostgres, type TestPostgres } from '../../test/support/postgres.js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, SPILL_FILE, type Store } from './index.js';
import type { Applier } from './types.js';

const logger = pino({ level: 'silent' });
const fast = { retryMinMs: 20, retryMaxMs: 200 };
let pg: TestPostgres;
const dirs: string[] = [];

beforeAll(async () => {
  pg = await startPostgres();
}, 60_000);
afterEach(async () => {
  await pg.startServer(); // a failed test may have left it stopped
});
afterAll(async () => {
  await pg.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function config(db: string, queue: Record<string, number>) {
  const dataDir = mkdtempSync(join(tmpdir(), 'patchbay-down-'));
  dirs.push(dataDir);
  return parseConfig({ database: { dataDir, url: await pg.createDatabase(db), queue } }).database;
}

const append: Applier = async (trx, data) => {
  const i = (data as { i: number }).i;
  await trx.insertInto('call_events').values({ call_id: 'down', seq: i, at: i, type: 't', data_json: '{}' }).onConflict((oc) => oc.columns(['call_id', 'seq']).doNothing()).execute();
};

async function seqs(store: Store): Promise<number[]> {
  return (await store.db.selectFrom('call_events').select('seq').where('call_id', '=', 'down').orderBy('seq').execute()).map((r) => r.seq);
}

const all = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

describe('store on postgres, database down', () => {
  it('loses none of 5,000 ops enqueued while the server is stopped; the spill carries them; all applied after restart', async () => {
    const store = await openStore(await config('down_live', { maxOps: 500, batchOps: 250 }), { logger, baseDir: '/', retention: false, queue: fast });
    store.writer.register('t.append', append);
    store.writer.enqueue({ kind: 't.append', data: { i: 0 } });
    await store.flush();
    await pg.stopServer();
    let slowest = 0;
    for (let i = 1; i < 5000; i++) {
      const t = performance.now();
      store.writer.enqueue({ kind: 't.append', data: { i } });
      slowest = Math.max(slowest, performance.now() - t);
    }
    await store.flush(); // an attempt that finds it down
    const down = store.stats();
    expect(down.databaseUp).toBe(false);
    expect(down.queued).toBeLessThanOrEqual(500);
    expect(down.spilled).toBeGreaterThanOrEqual(4499);
    expect(down.queued + down.spilled).toBe(4999);
    expect(down.failures).toBeGreaterThan(0);
    expect(slowest).toBeLessThan(50); // never waits on the database (a generous bound for a loaded CI machine)
    await pg.startServer();
    for (let k = 0; k < 100 && (store.stats().queued > 0 || store.stats().spilled > 0); k++) await store.flush();
    expect(await seqs(store)).toEqual(all(5000));
    expect(store.stats()).toMatchObject({ queued: 0, spilled: 0, dropped: 0, databaseUp: true });
    await store.close();
  }, 60_000);

  it('closed while the server is down: every queued op goes to the spill file and is applied at the next start', async () => {
    const cfg = await config('down_close', { maxOps: 1000 });
    const first = await openStore(cfg, { logger, baseDir: '/', retention: false, queue: { ...fast, closeTimeoutMs: 500 } });
    first.writer.register('t.append', append);
    await pg.stopServer();
    for (let i = 0; i < 2500; i++) first.writer.enqueue({ kind: 't.append', data: { i } });
    await first.close();
    expect(first.stats()).toMatchObject({ dropped: 0, applied: 0 });
    await pg.startServer();
    const second = await openStore(cfg, { logger, baseDir: '/', retention: false, queue: fast });
    expect(second.stats().spilled).toBe(2500);
    second.writer.register('t.append', append);
    await second.flush();
    expect(await seqs(second)).toEqual(all(2500));
    await second.close();
  }, 60_000);

  it('once the database is known down, new ops go to the spill file at once: on disk, not only in memory (a crash loses none)', async () => {
    const cfg = await config('down_durable', { maxOps: 10_000 });
    const store = await openStore(cfg, { logger, baseDir: '/', retention: false, queue: fast });
    store.writer.register('t.append', append);
    await pg.stopServer();
    store.writer.enqueue({ kind: 't.append', data: { i: 0 } });
    await store.flush(); // the attempt that finds it down
    expect(store.stats().databaseUp).toBe(false);
    for (let i = 1; i < 300; i++) store.writer.enqueue({ kind: 't.append', data: { i } });
    expect(store.stats()).toMatchObject({ queued: 1, spilled: 299 });
    // What a SIGKILL now would leave: the file, fsync'd within the spill's flush delay (the store is not closed).
    const file = join(cfg.dataDir, SPILL_FILE);
    const onDisk = (): number[] => readFileSync(file, 'utf8').split('\n').filter((l) => l !== '').map((l) => (JSON.parse(l) as { data: { i: number } }).data.i);
    await vi.waitFor(() => expect(onDisk()).toHaveLength(299), { timeout: 2_000, interval: 10 });
    expect(onDisk()).toEqual(all(300).slice(1));
    await pg.startServer();
    for (let k = 0; k < 100 && (store.stats().queued > 0 || store.stats().spilled > 0); k++) await store.flush();
    expect(await seqs(store)).toEqual(all(300));
    await store.close();
  }, 60_000);

  it('a database that cannot be reached at start is a clear error naming the URL without its password', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'patchbay-down-'));
    dirs.push(dataDir);
    const url = `postgres://patchbay:s3cret@127.0.0.1:${pg.port}/no_such_db`;
    const cfg = parseConfig({ database: { dataDir, url } }).database;
    const err = await openStore(cfg, { logger, baseDir: '/' }).then(() => undefined, (e: unknown) => e);
    expect(err).toMatchObject({ code: 'STORE_OPEN_FAILED' });
    expect(String((err as Error).message)).toContain(`postgres://patchbay:***@127.0.0.1:${pg.port}/no_such_db`);
    expect(String((err as Error).message)).not.toContain('s3cret');
  });
});
