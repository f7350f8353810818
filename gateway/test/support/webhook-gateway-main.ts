/**
 * The gateway as a process with a store on disk, for the webhook crash test (test/e2e/webhooks-crash.test.ts):
 * `loadConfig` from PATCHBAY_CONFIG, the store opened in PATCHBAY_TEST_DATA_DIR, `startGateway` with it.
 *
 * The seam: until the production store (store/'s `openStore`: SQLite file + write queue + spill) and records/
 * are merged, this opens the store as `openFileStore` below (the real schema, Kysely, node:sqlite on a WAL file)
 * (records/ are the real ones). Once the store lands, replace it with `openStore`;
 * the test itself does not change.
 */
import { join } from 'node:path';
import { Kysely, SqliteDialect } from 'kysely';
import { Migrator } from 'kysely/migration';
import { loadConfig } from '../../src/config.js';
import { startGateway } from '../../src/gateway.js';
import { createLogger } from '../../src/logger.js';
import { migrationProvider } from '../../src/store/migrations/index.js';
import { openNodeSqlite } from '../../src/store/node-sqlite.js';
import type { Database } from '../../src/store/schema.js';
import type { Applier, Store, WriteOp } from '../../src/store/types.js';

async function openFileStore(path: string): Promise<Store> {
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: openNodeSqlite(path) }) });
  const { error } = await new Migrator({ db, provider: migrationProvider }).migrateToLatest();
  if (error !== undefined) throw error;
  const appliers = new Map<string, Applier>();
  let chain: Promise<void> = Promise.resolve();
  let applied = 0;
  const apply = async (op: WriteOp): Promise<void> => {
    const applier = appliers.get(op.kind);
    if (applier === undefined) throw new Error(`no applier for '${op.kind}'`);
    await db.transaction().execute((trx) => applier(trx, op.data));
    applied++;
  };
  return {
    db,
    dialect: 'sqlite',
    writer: {
      register: (kind, applier) => void appliers.set(kind, applier),
      enqueue: (op) => void (chain = chain.then(() => apply(op)).catch((err: unknown) => console.error('store write failed', err))),
    },
    stats: () => ({ queued: 0, spilled: 0, applied, failures: 0, dropped: 0, databaseUp: true }),
    flush: () => chain,
    close: async () => {
      await chain;
      await db.destroy();
    },
  };
}

const dataDir = process.env['PATCHBAY_TEST_DATA_DIR'];
if (dataDir === undefined) throw new Error('PATCHBAY_TEST_DATA_DIR is not set');
const config = loadConfig({ env: process.env });
const logger = createLogger({ level: config.log.level });
const store = await openFileStore(join(dataDir, 'patchbay.db'));
const gateway = await startGateway(config, { logger, env: process.env, store });
const stop = (): void => {
  void gateway.close().then(() => store.close()).then(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
