import { describe, expect, it } from 'vitest';
import { isTransientWriteError } from './transient.js';

const pgError = (code: string, message = 'x'): Error => Object.assign(new Error(message), { code });

describe('isTransientWriteError', () => {
  it('treats busy, locked, timed-out and unreachable databases as "not now"', () => {
    for (const code of ['57014', '55P03', '40001', '40P01', '08006', '53300', '57P01']) expect(isTransientWriteError(pgError(code)), code).toBe(true);
    expect(isTransientWriteError(new Error('Query read timeout'))).toBe(true);
    expect(isTransientWriteError(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isTransientWriteError(pgError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432'))).toBe(true);
    expect(isTransientWriteError(pgError('ERR_SQLITE_ERROR', 'database is locked'))).toBe(true);
  });

  it('treats what the database refuses for the statement itself as definite', () => {
    for (const code of ['23505', '23502', '22P02', '42P01', '42703']) expect(isTransientWriteError(pgError(code)), code).toBe(false);
    expect(isTransientWriteError(pgError('ERR_SQLITE_ERROR', 'NOT NULL constraint failed: calls.id'))).toBe(false);
    expect(isTransientWriteError(new TypeError('SQLite cannot store a object parameter'))).toBe(false);
  });
});
