/**
 * A store per test on both engines, for the suites built on the store (records, history, webhooks, numbers):
 * `describe.each(testStoreEngines())('$name', ({ open }) => …)` and `afterAll(closeTestStores)`.
 *
 * - SQLite: openMemoryStore() (the real schema in memory; its writer applies each op at once).
 * - PostgreSQL: the production store (openStore: a pg pool, the write queue) on one database per test file, on one
 *   server per test file (store-backends.ts, started on first use), emptied by each `open()`: tests never see each
 *   other's rows, and pay a TRUNCATE rather than a CREATE DATABASE each. The database collates text under ICU
 *   en-US, as production databases often do (the harness's cluster is "C"), so order-sensitive code meets it.
 *
 * `share(store)` opens a second gateway's view of the same database (its own pool on PostgreSQL). An in-memory
 * SQLite database cannot be opened twice: there it is the same store (its close() left to the first).
 */
import { sql } from 'kysely';
import { pino } from 'pino';
import type { DatabaseConfig } from '../../src/config-store.js';
import { openStore } from '../../src/store/open-store.js';
import { openMemoryStore } from '../../src/store/testing.js';
import type { Store } from '../../src/store/types.js';
import { storeBackend } from './store-backends.js';

export interface TestStoreEngine {
  readonly name: 'sqlite' | 'postgres';
  /** A store on an empty database with the real schema. */
  open(): Promise<Store>;
  /** Another store on the database of the last `open()` (a second gateway sharing it). */
  share(store: Store): Promise<Store>;
}

/** The collation the PostgreSQL test databases use. */
export const TEST_ICU_LOCALE = 'en-US';

const TABLES = ['calls', 'call_events', 'call_transcripts', 'numbers', 'webhook_deliveries', 'webhook_attempts'] as const;
const logger = pino({ level: 'silent' });
const postgres = storeBackend('postgres');
let database: Promise<DatabaseConfig> | undefined;

const openPostgres = async (config: DatabaseConfig): Promise<Store> =>
  openStore(config, { logger, baseDir: '/', retention: false, gatewayId: 'test', queue: { retryMinMs: 20, retryMaxMs: 200 } });

const sqliteEngine: TestStoreEngine = {
  name: 'sqlite',
  open: openMemoryStore,
  share: async (store) => ({ ...store, close: async () => undefined }),
};

const postgresEngine: TestStoreEngine = {
  name: 'postgres',
  async open() {
    const config = await (database ??= postgres.config({}, { icuLocale: TEST_ICU_LOCALE }));
    const store = await openPostgres(config);
    await sql`TRUNCATE ${sql.join(TABLES.map((t) => sql.table(t)))}`.execute(store.db);
    return store;
  },
  async share() {
    if (database === undefined) throw new Error('share() before open()');
    return openPostgres(await database);
  },
};

/** Both engines, SQLite first. */
export function testStoreEngines(): TestStoreEngine[] {
  return [sqliteEngine, postgresEngine];
}

/** Stops the file's PostgreSQL server and removes its folders (afterAll). */
export async function closeTestStores(): Promise<void> {
  database = undefined;
  await postgres.cleanup();
}
