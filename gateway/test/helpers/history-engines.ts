/**
 * The stores the call history's tests run against (records/query.test.ts, records/analytics.test.ts,
 * api/history-http.test.ts): a fresh store with the real schema per test. SQLite in memory today; the PostgreSQL
 * harness (test/support/postgres.ts, the store's part) adds its entry here and every history test runs on both.
 */
import { openMemoryStore } from '../../src/store/testing.js';
import type { Store } from '../../src/store/types.js';

export interface HistoryEngine {
  name: 'sqlite' | 'postgres';
  open(): Promise<Store>;
}

export const HISTORY_ENGINES: HistoryEngine[] = [{ name: 'sqlite', open: openMemoryStore }];
