/**
 * The stores the call history's tests run against (records/query.test.ts, records/analytics.test.ts,
 * api/history-http.test.ts): a fresh store with the real schema per test, on SQLite (in memory) and on a real
 * PostgreSQL (test/support/test-stores.ts; each file stops its server with `afterAll(closeTestStores)`).
 */
import { testStoreEngines, type TestStoreEngine } from '../support/test-stores.js';

export { closeTestStores } from '../support/test-stores.js';

export type HistoryEngine = Pick<TestStoreEngine, 'name' | 'open'>;

export const HISTORY_ENGINES: HistoryEngine[] = testStoreEngines();
