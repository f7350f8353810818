/**
 * Messages between the main thread's WorkerSqliteDialect and the SQLite worker thread (sqlite-worker.ts). One
 * connection, one query at a time (Kysely's RuntimeDriver serialises a single-connection dialect), so replies come
 * back in order; each carries the request's id anyway.
 */

export interface SqliteWorkerData {
  /** The worker's module (bootstrap.mjs imports it; .ts from source registers tsx first). */
  readonly entry: string;
  /** The database file, or `:memory:`. */
  readonly path: string;
}

export interface QueryRequest {
  readonly type: 'query';
  readonly id: number;
  readonly sql: string;
  readonly parameters: readonly unknown[];
}

/**
 * Several statements in one message, run in order until one fails: a transaction's deferred writes with the read or
 * the commit that ends them. The reply is the last statement's result, or the first failure with its index.
 */
export interface BatchRequest {
  readonly type: 'batch';
  readonly id: number;
  readonly statements: readonly { readonly sql: string; readonly parameters: readonly unknown[] }[];
}

export interface CloseRequest {
  readonly type: 'close';
  readonly id: number;
}

export type ToSqliteWorker = QueryRequest | BatchRequest | CloseRequest;

/** The statement returned rows (`rows`) or changed some (`changes`, `lastInsertRowid`). */
export interface QueryReply {
  readonly type: 'result';
  readonly id: number;
  readonly rows: readonly Record<string, unknown>[];
  readonly changes?: number | bigint;
  readonly lastInsertRowid?: number | bigint;
}

/** A query failed: SQLite's message and code (e.g. `ERR_SQLITE_ERROR`); the worker and its connection live on. */
export interface QueryFailure {
  readonly type: 'error';
  readonly id: number;
  readonly message: string;
  readonly code: string | undefined;
  /** In a batch: the index of the statement that failed (the ones before it ran). */
  readonly index?: number;
}

export interface ClosedReply {
  readonly type: 'closed';
  readonly id: number;
}

/** Sent once: the file is open (`ready`) or could not be opened (`failed`). */
export type StartReply = { readonly type: 'ready' } | { readonly type: 'failed'; readonly message: string; readonly code: string | undefined };

export type FromSqliteWorker = QueryReply | QueryFailure | ClosedReply | StartReply;
