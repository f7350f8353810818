/**
 * PostgreSQL through Kysely's PostgresDialect and a `pg` Pool. On this pool only (not pg's global type table),
 * int8 (our epoch-ms columns, and `count(*)`) is read as a JavaScript number: every value we store fits in 2^53.
 * An idle connection the server drops (restart, failover) is logged, never an uncaught error.
 */
import { PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Logger } from 'pino';
import { redactUrl } from './redact.js';

const INT8_OID = 20;

export interface PostgresOptions {
  url: string;
  poolSize: number;
  logger: Logger;
  /** How long a new connection may take (a black-holed server must not hang the write queue). */
  connectTimeoutMs?: number;
  /** A query's bound, client side. */
  queryTimeoutMs?: number;
}

export function createPostgresDialect(options: PostgresOptions): { dialect: PostgresDialect; pool: pg.Pool } {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
    query_timeout: options.queryTimeoutMs ?? 30_000,
    idleTimeoutMillis: 30_000,
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID && format !== 'binary' ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
    },
  });
  const where = redactUrl(options.url);
  pool.on('error', (err) => options.logger.warn({ err: { message: err.message }, database: where }, 'PostgreSQL connection lost (the store reconnects)'));
  return { dialect: new PostgresDialect({ pool }), pool };
}
