/**
 * An in-memory SQLite store for unit tests of what builds on the store (records, webhooks, numbers): the real
 * schema (migrations), Kysely and node:sqlite, with a writer that applies each op at once, in order, in its own
 * transaction (the production queue's spill, retry and worker thread are store/'s own tests). `flush()` waits for
 * every op enqueued so far.
 */
import { Kysely, SqliteDialect } from 'kysely';
import { Migrator } from 'kysely/migration';
import { migrationProvider } from './migrations/index.js';
import { openNodeSqlite } from './node-sqlite.js';
import type { Database } from './schema.js';
import type { Applier, Store, WriteOp, WriteQueueStats } from './types.js';

export async function openMemoryStore(): Promise<Store> {
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: openNodeSqlite(':memory:') }) });
  const { error } = await new Migrator({ db, provider: migrationProvider }).migrateToLatest();
  if (error !== undefined) throw error;
  const appliers = new Map<string, Applier>();
  const stats: WriteQueueStats = { queued: 0, spilled: 0, applied: 0, failures: 0, dropped: 0, rejected: 0, databaseUp: true };
  let chain: Promise<void> = Promise.resolve();
  const apply = async (op: WriteOp): Promise<void> => {
    const applier = appliers.get(op.kind);
    if (applier === undefined) throw new Error(`no applier registered for write kind '${op.kind}'`);
    await db.transaction().execute((trx) => applier(trx, op.data));
    stats.applied++;
  };
  return {
    db,
    dialect: 'sqlite',
    gatewayId: 'memory',
    writer: {
      register: (kind, applier) => void appliers.set(kind, applier),
      enqueue: (op) => {
        stats.queued++;
        chain = chain.then(() => apply(op)).catch((err: unknown) => {
          stats.failures++;
          throw err;
        }).finally(() => void stats.queued--);
      },
    },
    stats: () => ({ ...stats }),
    flush: () => chain,
    close: async () => {
      await chain.catch(() => undefined);
      await db.destroy();
    },
  };
}
