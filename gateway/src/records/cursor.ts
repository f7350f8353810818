/**
 * The call history's keyset cursor: the (created_at, id) of the last call of a page, as an opaque base64url token.
 * The order is newest first, ties broken by id (descending), so the next page is every call strictly before the key.
 * A call keeps its key from admission to its stored record, so a page boundary never skips or repeats a call that
 * ends between two requests.
 */

export interface CursorKey {
  /** created_at, epoch ms. */
  readonly createdAt: number;
  readonly id: string;
}

/** A cursor this module did not write (or one edited by hand). */
export class CursorError extends Error {
  override readonly name = 'CursorError';
  readonly code = 'CURSOR_INVALID';
}

const VERSION = 'v1';
const MAX_CURSOR_CHARS = 400;

export function encodeCursor(key: CursorKey): string {
  return Buffer.from(JSON.stringify([VERSION, key.createdAt, key.id]), 'utf8').toString('base64url');
}

/** @throws CursorError */
export function decodeCursor(token: string): CursorKey {
  if (token.length === 0 || token.length > MAX_CURSOR_CHARS || !/^[A-Za-z0-9_-]+$/.test(token)) throw new CursorError('the cursor is not a token this API gave');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw new CursorError('the cursor is not a token this API gave');
  }
  if (!Array.isArray(parsed) || parsed.length !== 3) throw new CursorError('the cursor is not a token this API gave');
  const [version, createdAt, id] = parsed as unknown[];
  if (version !== VERSION || typeof createdAt !== 'number' || !Number.isSafeInteger(createdAt) || createdAt < 0 || typeof id !== 'string' || id.length === 0 || id.length > 128) {
    throw new CursorError('the cursor is not a token this API gave');
  }
  return { createdAt, id };
}

/** Newest first: negative when `a` comes before `b` in the history's order. */
export function compareKeys(a: CursorKey, b: CursorKey): number {
  if (a.createdAt !== b.createdAt) return b.createdAt - a.createdAt;
  return a.id === b.id ? 0 : a.id < b.id ? 1 : -1;
}

/** Whether `key` comes after `cursor` in the history's order (strictly older, or as old with a smaller id). */
export function isAfter(key: CursorKey, cursor: CursorKey): boolean {
  return compareKeys(key, cursor) > 0;
}
