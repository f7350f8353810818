/**
 * Node's built-in SQLite (`node:sqlite`, no native add-on to build or download) shaped as the database Kysely's
 * SqliteDialect drives. The dialect's SQL, compiler and migrations are Kysely's; this only adapts the call shape
 * (node:sqlite takes parameters as arguments, and says whether a statement returns rows through `columns()`).
 */
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

/** Opens (creating it if missing) the SQLite file at `path`, or `:memory:`, with the settings a server wants. */
export function openNodeSqlite(path: string): SqliteDatabase & { readonly native: DatabaseSync } {
  const native = new DatabaseSync(path);
  // WAL: readers never wait for the writer; NORMAL: durable across a process crash (fsync at checkpoints).
  native.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;');
  return {
    native,
    close: () => native.close(),
    prepare: (sql) => statement(native.prepare(sql)),
  };
}

function statement(stmt: StatementSync): SqliteStatement {
  return {
    reader: stmt.columns().length > 0,
    all: (params) => stmt.all(...inputs(params)),
    run: (params) => stmt.run(...inputs(params)),
    iterate: (params) => stmt.iterate(...inputs(params)),
  };
}

function inputs(params: ReadonlyArray<unknown>): SQLInputValue[] {
  return params.map((p) => {
    if (p === undefined || p === null) return null;
    if (typeof p === 'boolean') return p ? 1 : 0;
    if (typeof p === 'number' || typeof p === 'bigint' || typeof p === 'string' || p instanceof Uint8Array) return p;
    throw new TypeError(`SQLite cannot store a ${typeof p} parameter`);
  });
}
