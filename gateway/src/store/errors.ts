/**
 * The store's error codes, in one table with what each means (docs/store.md lists the same). A StoreError reaches
 * the start-up error (open, migrations) or an API's 5xx log; the write queue logs its codes, it never throws them
 * at the writers.
 */
export const STORE_ERRORS = {
  STORE_OPEN_FAILED: 'The database could not be opened (file, folder, URL, credentials or server): the gateway does not start.',
  STORE_MIGRATION_FAILED: 'A migration failed at start: the gateway does not start; the database is left at the last migration that held.',
  STORE_CLOSED: 'The store was used after close().',
  SQLITE_QUERY_FAILED: "SQLite refused a query (syntax, constraint, busy): the caller gets the error, the worker thread lives on.",
  SQLITE_WORKER_EXITED: 'The SQLite worker thread exited: queries fail until the store is reopened (the gateway restarted).',
  STORE_SPILL_FAILED: 'The spill file could not be written or read (disk full, permissions): ops that needed it are counted as dropped.',
} as const;

export type StoreErrorCode = keyof typeof STORE_ERRORS;

export class StoreError extends Error {
  override readonly name = 'StoreError';
  /** SQLite's own code (`ERR_SQLITE_ERROR`, …) for SQLITE_QUERY_FAILED. */
  readonly sqliteCode: string | undefined;

  constructor(
    readonly code: StoreErrorCode,
    message: string,
    options?: ErrorOptions & { sqliteCode?: string | undefined },
  ) {
    super(message, options);
    this.sqliteCode = options?.sqliteCode;
  }
}
