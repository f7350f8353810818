/**
 * Whether a failed write may succeed later unchanged (the database is busy, locked, timing out, restarting or
 * unreachable) rather than being refused for what it is. The write queue never gives up on a transient failure — a
 * lock held for an hour delays records, it does not lose them — and rejects an op only after repeated definite
 * refusals (a constraint, a type, a syntax error).
 */

/** PostgreSQL SQLSTATE classes that say "not now": connection (08), resources (53), operator intervention (57: incl. query canceled 57014 and admin shutdown), transaction rollback (40: serialization failure, deadlock). */
const TRANSIENT_CLASSES = new Set(['08', '40', '53', '57', '58']);
/** And single codes outside those classes: lock not available. */
const TRANSIENT_CODES = new Set(['55P03', '55006']);
/** Node and driver errors that are about the connection, not the statement; SQLite's busy and locked. */
const TRANSIENT_TEXT = /timeout|timed out|ECONNRESET|ECONNREFUSED|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|Connection terminated|database is locked|SQLITE_BUSY|SQLITE_LOCKED/i;

export function isTransientWriteError(err: unknown): boolean {
  const code = typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
  if (code !== undefined && /^[0-9A-Z]{5}$/.test(code)) return TRANSIENT_CLASSES.has(code.slice(0, 2)) || TRANSIENT_CODES.has(code);
  if (code !== undefined && TRANSIENT_TEXT.test(code)) return true;
  return TRANSIENT_TEXT.test(err instanceof Error ? err.message : String(err));
}
