/** SQLite on its worker thread: errors reach the caller and the worker lives on; Node's experimental warning stays quiet. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { Kysely, sql } from 'kysely';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { StoreError } from './errors.js';
import { dropSqliteExperimentalWarning } from './sqlite-warning.mjs';
import { WorkerSqliteDialect } from './sqlite-worker-dialect.js';

const dir = mkdtempSync(join(tmpdir(), 'patchbay-sqlite-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('WorkerSqliteDialect', () => {
  it('answers a bad query with its error and keeps serving, inside and outside transactions', async () => {
    const db = new Kysely<{ t: { a: number } }>({ dialect: new WorkerSqliteDialect({ path: join(dir, 'a.db') }) });
    await db.schema.createTable('t').addColumn('a', 'integer', (c) => c.primaryKey()).execute();
    const bad = await sql`select nope from nowhere`.execute(db).then(() => undefined, (e: unknown) => e);
    expect(bad).toBeInstanceOf(StoreError);
    expect(bad).toMatchObject({ code: 'SQLITE_QUERY_FAILED', message: expect.stringContaining('no such table: nowhere') });
    const dup = db.transaction().execute(async (trx) => {
      await trx.insertInto('t').values({ a: 1 }).execute();
      await trx.insertInto('t').values({ a: 1 }).execute(); // constraint: the transaction rolls back
    });
    await expect(dup).rejects.toMatchObject({ code: 'SQLITE_QUERY_FAILED' });
    expect(await db.selectFrom('t').selectAll().execute()).toEqual([]);
    await db.insertInto('t').values([{ a: 2 }, { a: 3 }]).execute();
    expect(await db.selectFrom('t').select('a').orderBy('a').execute()).toEqual([{ a: 2 }, { a: 3 }]);
    await db.destroy();
  });

  it("posts a transaction's writes in one message with the read or commit that ends them; a failing one fails it all", async () => {
    const db = new Kysely<{ t: { a: number } }>({ dialect: new WorkerSqliteDialect({ path: join(dir, 'b.db') }) });
    await db.schema.createTable('t').addColumn('a', 'integer', (c) => c.primaryKey()).execute();
    const posted = vi.spyOn(Worker.prototype, 'postMessage');
    try {
      // begin, 50 inserts, an update, a delete, commit: one message.
      await db.transaction().execute(async (trx) => {
        for (let a = 1; a <= 50; a++) await trx.insertInto('t').values({ a }).execute();
        await trx.updateTable('t').set({ a: 100 }).where('a', '=', 50).execute();
        await trx.deleteFrom('t').where('a', '=', 49).execute();
      });
      expect(posted).toHaveBeenCalledTimes(1);
      expect(await db.selectFrom('t').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst()).toEqual({ n: 49 });
      posted.mockClear();
      // A read sees the writes before it (they go with it), and RETURNING is never deferred: three messages.
      await db.transaction().execute(async (trx) => {
        await trx.insertInto('t').values({ a: 200 }).execute();
        expect(await trx.selectFrom('t').select('a').where('a', '>=', 100).orderBy('a').execute()).toEqual([{ a: 100 }, { a: 200 }]);
        expect(await trx.insertInto('t').values({ a: 201 }).returning('a').execute()).toEqual([{ a: 201 }]);
      });
      expect(posted).toHaveBeenCalledTimes(3);
      posted.mockClear();
      // A deferred write that fails (duplicate key) fails the commit it went with: nothing of the transaction stays.
      const dup = db.transaction().execute(async (trx) => {
        await trx.insertInto('t').values({ a: 300 }).execute();
        await trx.insertInto('t').values({ a: 1 }).execute();
      });
      await expect(dup).rejects.toMatchObject({ code: 'SQLITE_QUERY_FAILED', message: expect.stringContaining('UNIQUE') });
      expect(await db.selectFrom('t').select('a').where('a', '=', 300).execute()).toEqual([]);
      // An empty transaction rolled back posts nothing; the connection serves on.
      posted.mockClear();
      await expect(db.transaction().execute(async () => {
        throw new Error('changed my mind');
      })).rejects.toThrow('changed my mind');
      expect(posted).not.toHaveBeenCalled();
      expect(await db.selectFrom('t').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst()).toEqual({ n: 51 });
    } finally {
      posted.mockRestore();
      await db.destroy();
    }
  });

  it('fails to open a file it cannot create with STORE_OPEN_FAILED naming the path', async () => {
    const db = new Kysely<unknown>({ dialect: new WorkerSqliteDialect({ path: join(dir, 'missing-folder', 'x.db') }) });
    await expect(sql`select 1`.execute(db)).rejects.toMatchObject({ code: 'STORE_OPEN_FAILED', message: expect.stringContaining(join(dir, 'missing-folder', 'x.db')) });
    await db.destroy();
  });

  it("drops Node 22's SQLite ExperimentalWarning and no other warning", () => {
    const seen: unknown[][] = [];
    const proc = { emitWarning: (...args: unknown[]) => void seen.push(args) };
    dropSqliteExperimentalWarning(proc);
    proc.emitWarning('SQLite is an experimental feature and might change at any time', 'ExperimentalWarning');
    proc.emitWarning('SQLite is an experimental feature and might change at any time', { type: 'ExperimentalWarning' });
    proc.emitWarning('SQLite is an experimental feature', 'DeprecationWarning');
    proc.emitWarning('Fetch is an experimental feature', 'ExperimentalWarning');
    expect(seen.map((a) => a[0])).toEqual(['SQLite is an experimental feature', 'Fetch is an experimental feature']);
  });

  it('prints no SQLite warning from the worker, on whichever Node runs the tests', () => {
    const script = `
      import { Kysely, sql } from 'kysely';
      import { WorkerSqliteDialect } from './src/store/sqlite-worker-dialect.ts';
      const db = new Kysely({ dialect: new WorkerSqliteDialect({ path: ':memory:' }) });
      await sql\`select 1\`.execute(db);
      await db.destroy();
      process.emitWarning('another experiment', 'ExperimentalWarning');
      console.log('done');`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { cwd: join(import.meta.dirname, '..', '..'), encoding: 'utf8', timeout: 30_000 });
    expect(r.stdout).toContain('done');
    expect(r.stderr).not.toContain('SQLite is an experimental feature');
    expect(r.stderr).toContain('another experiment');
  });
});
