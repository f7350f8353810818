/**
 * Run one suite against both engines: `describe.each(storeBackends())('… on %s', (_name, backend) => …)`.
 * SQLite gets a fresh data folder per open; PostgreSQL one server per test file (started on first use) and a fresh
 * database per `config()` call, so tests never see each other's rows.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config.js';
import type { DatabaseConfig } from '../../src/config-store.js';
import { startPostgres, type TestPostgres } from './postgres.js';

export interface StoreBackend {
  readonly engine: 'sqlite' | 'postgres';
  /**
   * A `database:` config on a fresh temp data folder (and, for PostgreSQL, a fresh database; `icuLocale` gives it
   * that ICU collation instead of the cluster's "C").
   */
  config(overrides?: Record<string, unknown>, options?: { icuLocale?: string }): Promise<DatabaseConfig>;
  /** The PostgreSQL server (started on first use), for the "database down" tests; undefined for SQLite. */
  server(): Promise<TestPostgres | undefined>;
  /** Removes the temp folders and stops the server (afterAll). */
  cleanup(): Promise<void>;
}

let databases = 0;

/** One engine's backend (its own server for PostgreSQL, started on first use). */
export function storeBackend(engine: 'sqlite' | 'postgres'): StoreBackend {
  const dirs: string[] = [];
  let pg: Promise<TestPostgres> | undefined;
  const server = (): Promise<TestPostgres> => (pg ??= startPostgres());
  return {
    engine,
    async config(overrides = {}, options = {}) {
      const dataDir = mkdtempSync(join(tmpdir(), 'patchbay-store-'));
      dirs.push(dataDir);
      const url = engine === 'postgres' ? await (await server()).createDatabase(`t${process.pid}_${++databases}`, options) : undefined;
      return parseConfig({ database: { dataDir, ...(url === undefined ? {} : { url }), ...overrides } }).database;
    },
    server: async () => (engine === 'postgres' ? server() : undefined),
    async cleanup() {
      for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
      if (pg !== undefined) await (await pg).stop();
    },
  };
}

/** `[name, backend]` pairs for `describe.each`. */
export function storeBackends(): [string, StoreBackend][] {
  return [
    ['sqlite', storeBackend('sqlite')],
    ['postgres', storeBackend('postgres')],
  ];
}
