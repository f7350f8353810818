/** The store: open it (openStore), its interface (types.ts), its tables (schema.ts), its errors (errors.ts). */
export { openStore, dataDirOf, describeDatabase, SQLITE_FILE, SPILL_FILE, type OpenStoreOptions } from './open-store.js';
export { StoreError, STORE_ERRORS, type StoreErrorCode } from './errors.js';
export { purgeExpired } from './retention.js';
export type { Applier, Store, StoreWriter, WriteOp, WriteQueueStats } from './types.js';
export type { Database } from './schema.js';
