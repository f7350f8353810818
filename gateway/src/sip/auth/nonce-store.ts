/**
 * Digest nonces that validate themselves, and a bounded record of how far each nonce has been used.
 *
 * A nonce is `base64url(ts ‖ random ‖ mac)`: ts is the issue time in ms (8 bytes, big-endian), random is 12 bytes,
 * mac is the first 16 bytes of HMAC-SHA256(secret, ts ‖ random).
 * Authenticity and age need no state; only replay protection does, and that state is a bounded LRU.
 */

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

const TS_BYTES = 8;
const RANDOM_BYTES = 12;
const MAC_BYTES = 16;
const NONCE_BYTES = TS_BYTES + RANDOM_BYTES + MAC_BYTES;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

function mac(secret: Buffer, payload: Buffer): Buffer {
  return createHmac('sha256', secret).update(payload).digest().subarray(0, MAC_BYTES);
}

/** Issues a nonce stamped with `nowMs`. `random` is injectable for tests. */
export function mintNonce(secret: Buffer, nowMs: number, random: Buffer = randomBytes(RANDOM_BYTES)): string {
  if (random.length !== RANDOM_BYTES) throw new RangeError(`nonce random part must be ${RANDOM_BYTES} bytes`);
  const payload = Buffer.alloc(TS_BYTES + RANDOM_BYTES);
  payload.writeBigUInt64BE(BigInt(Math.max(0, Math.floor(nowMs))), 0);
  random.copy(payload, TS_BYTES);
  return Buffer.concat([payload, mac(secret, payload)]).toString('base64url');
}

/** The issue time of a nonce we minted with this secret, or undefined if it is not ours (forged, altered, junk). */
export function nonceIssuedAt(secret: Buffer, nonce: string): number | undefined {
  if (!BASE64URL.test(nonce)) return undefined;
  const raw = Buffer.from(nonce, 'base64url');
  if (raw.length !== NONCE_BYTES) return undefined;
  const payload = raw.subarray(0, TS_BYTES + RANDOM_BYTES);
  if (!timingSafeEqual(raw.subarray(TS_BYTES + RANDOM_BYTES), mac(secret, payload))) return undefined;
  return Number(payload.readBigUInt64BE(0));
}

/** `once` marks a use without qop (RFC 2069 style), which consumes the nonce. */
export type NonceUse = number | 'once';

/**
 * - `ok`: first use of this nonce count; recorded.
 * - `replay`: the count is not above the highest seen, or a once-only nonce was used again.
 * - `unknown`: a count above 1 on a nonce we have no record of (evicted, or seen by another instance); the caller
 *   should re-challenge with stale=true rather than accept a count it cannot check.
 */
export type NonceUseResult = 'ok' | 'replay' | 'unknown';

const CONSUMED = Number.POSITIVE_INFINITY;

/** Highest nonce count seen per nonce, bounded by least-recent use. */
export class NonceUseTracker {
  private readonly entries = new Map<string, { nc: number; expiresMs: number }>();

  constructor(private readonly maxEntries: number) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError('maxEntries must be a positive integer');
  }

  get size(): number {
    return this.entries.size;
  }

  /** Records a use of `nonce` (already verified authentic and fresh), expiring at `expiresMs`. */
  use(nonce: string, use: NonceUse, expiresMs: number, nowMs: number): NonceUseResult {
    const seen = this.entries.get(nonce);
    const nc = use === 'once' ? CONSUMED : use;
    if (seen === undefined) {
      if (use !== 'once' && use > 1) return 'unknown';
      this.entries.set(nonce, { nc, expiresMs });
      this.prune(nowMs);
      return 'ok';
    }
    if (use === 'once' || seen.nc >= nc) return 'replay';
    // Re-insert to move the nonce to the most-recently-used end.
    this.entries.delete(nonce);
    this.entries.set(nonce, { nc, expiresMs });
    return 'ok';
  }

  private prune(nowMs: number): void {
    for (const [key, entry] of this.entries) {
      if (this.entries.size <= this.maxEntries && entry.expiresMs > nowMs) break;
      this.entries.delete(key);
    }
  }
}

/**
 * Failed responses per nonce, bounded by least-recent failure. A nonce that has met `limit` wrong responses is
 * spent: the client gets a fresh challenge instead of another check, so one nonce cannot carry a guessing run.
 */
export class NonceFailureCounter {
  private readonly entries = new Map<string, number>();

  constructor(
    private readonly limit: number,
    private readonly maxEntries: number,
  ) {
    if (!Number.isInteger(limit) || limit < 0) throw new RangeError('limit must be a non-negative integer (0 = no limit)');
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError('maxEntries must be a positive integer');
  }

  get size(): number {
    return this.entries.size;
  }

  /** Whether `nonce` has had `limit` failures already (never, with limit 0). */
  spent(nonce: string): boolean {
    return this.limit > 0 && (this.entries.get(nonce) ?? 0) >= this.limit;
  }

  fail(nonce: string): void {
    if (this.limit === 0) return;
    const count = (this.entries.get(nonce) ?? 0) + 1;
    this.entries.delete(nonce);
    this.entries.set(nonce, count);
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
  }
}
