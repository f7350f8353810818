/**
 * Opens the production store from `database:` (config-store.ts): SQLite in `<dataDir>/patchbay.db` on a worker
 * thread (the default), or PostgreSQL when a URL is set; runs the migrations (under Kysely's migration lock: several
 * gateways may share one PostgreSQL); opens the spill file and the write queue (which replays what a previous run
 * left in the spill file); schedules the retention purge. A database that cannot be opened or migrated is a
 * StoreError naming the file or the URL (password redacted).
 */
import { mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { Kysely, type Dialect } from 'kysely';
import { Migrator } from 'kysely/migration';
import type { Logger } from 'pino';
import type { DatabaseConfig } from '../config-store.js';
import { StoreError } from './errors.js';
import { migrationProvider } from './migrations/index.js';
import { createPostgresDialect } from './postgres-dialect.js';
import { redactUrl } from './redact.js';
import { scheduleRetention } from './retention.js';
import type { Database } from './schema.js';
import { SpillFile } from './spill-file.js';
import { WorkerSqliteDialect } from './sqlite-worker-dialect.js';
import type { Store } from './types.js';
import { WriteQueue, type WriteQueueOptions } from './write-queue.js';

export const SQLITE_FILE = 'patchbay.db';
export const SPILL_FILE = join('spill', 'queue.ndjson');

export interface OpenStoreOptions {
  logger: Logger;
  /** Where a relative `dataDir` is read from: the configuration file's folder (or the working directory). */
  baseDir: string;
  /** Default `database.gatewayId`, else the host name. */
  gatewayId?: string;
  /** Queue timings (tests shorten them). */
  queue?: Pick<WriteQueueOptions, 'retryMinMs' | 'retryMaxMs' | 'maxOpAttempts' | 'logIntervalMs' | 'closeTimeoutMs'>;
  /** Purge at start and daily (default true). */
  retention?: boolean;
}

/** The resolved data folder of `config` (absolute). */
export function dataDirOf(config: DatabaseConfig, baseDir: string): string {
  return isAbsolute(config.dataDir) ? config.dataDir : resolve(baseDir, config.dataDir);
}

/** Where the database is, for messages: the SQLite file, or the URL without its password. */
export function describeDatabase(config: DatabaseConfig, baseDir: string): string {
  return config.url !== undefined ? redactUrl(config.url) : join(dataDirOf(config, baseDir), SQLITE_FILE);
}

export async function openStore(config: DatabaseConfig, options: OpenStoreOptions): Promise<Store> {
  const logger = options.logger.child({ layer: 'store' });
  const dataDir = dataDirOf(config, options.baseDir);
  const where = describeDatabase(config, options.baseDir);
  try {
    await mkdir(dataDir, { recursive: true });
  } catch (err) {
    throw new StoreError('STORE_OPEN_FAILED', `cannot create the data folder ${dataDir} (database.dataDir): ${messageOf(err)}`, { cause: err });
  }
  let dialect: Dialect;
  const engine: Store['dialect'] = config.url !== undefined ? 'postgres' : 'sqlite';
  if (config.url !== undefined) {
    dialect = createPostgresDialect({ url: config.url, poolSize: config.poolSize, logger }).dialect;
  } else {
    dialect = new WorkerSqliteDialect({ path: join(dataDir, SQLITE_FILE) });
  }
  const db = new Kysely<Database>({ dialect });
  try {
    await migrate(db, where);
  } catch (err) {
    await db.destroy().catch(() => undefined);
    throw err;
  }
  const spill = new SpillFile(join(dataDir, SPILL_FILE), config.queue.maxSpillBytes, (err) =>
    logger.error({ err: { message: messageOf(err) } }, 'store: spill file write failed'),
  );
  try {
    await spill.open();
  } catch (err) {
    await db.destroy().catch(() => undefined);
    throw new StoreError('STORE_SPILL_FAILED', `cannot open the spill file ${spill.path}: ${messageOf(err)}`, { cause: err });
  }
  if (spill.count > 0) logger.info({ ops: spill.count, file: spill.path }, 'store: replaying writes spilled by the previous run');
  const writer = new WriteQueue({ db, logger, maxOps: config.queue.maxOps, batchOps: config.queue.batchOps, spill, ...options.queue });
  const retention = options.retention === false ? { stop: async () => undefined } : scheduleRetention(db, config.retentionDays, logger);
  logger.info({ database: where, engine, retentionDays: config.retentionDays }, 'store open');
  let closing: Promise<void> | undefined;
  return {
    db,
    dialect: engine,
    gatewayId: config.gatewayId ?? options.gatewayId ?? hostname(),
    writer,
    stats: () => writer.stats(),
    flush: () => writer.flush(),
    close: () =>
      (closing ??= (async () => {
        await retention.stop();
        await writer.close();
        await db.destroy();
      })()),
  };
}

async function migrate(db: Kysely<Database>, where: string): Promise<void> {
  let result;
  try {
    result = await new Migrator({ db, provider: migrationProvider }).migrateToLatest();
  } catch (err) {
    if (err instanceof StoreError) throw err;
    throw new StoreError('STORE_OPEN_FAILED', `cannot open the database ${where}: ${messageOf(err)}`, { cause: err });
  }
  if (result.error !== undefined) {
    const failed = result.results?.find((r) => r.status === 'Error')?.migrationName;
    // Connection problems surface here too: no migration ran at all.
    const code = failed === undefined ? 'STORE_OPEN_FAILED' : 'STORE_MIGRATION_FAILED';
    const what = failed === undefined ? `cannot open the database ${where}` : `migration ${failed} failed on ${where}`;
    throw new StoreError(code, `${what}: ${messageOf(result.error)}`, { cause: result.error });
  }
}

function messageOf(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) return err.errors.map(messageOf).join('; ');
  return err instanceof Error ? err.message || err.name : String(err);
}
