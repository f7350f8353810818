/**
 * `Idempotency-Key` for `POST /v1/calls`: the same key with the same body within `ttlMs` (24 h) gets the first
 * answer again, without placing another call; the same key with another body is refused (422); a request arriving
 * while the first with its key is still in progress is refused (409). Keys are scoped to the API key that sent them.
 *
 * In memory and bounded: at most `maxEntries` keys are remembered; beyond that the oldest are forgotten first (a
 * replay after that places a new call). Expired entries are dropped as new ones come. Nothing here does I/O.
 */
import { createHash } from 'node:crypto';

export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
export const IDEMPOTENCY_MAX_ENTRIES = 10_000;
/** Longest Idempotency-Key accepted (a UUID is 36). */
export const IDEMPOTENCY_KEY_MAX_CHARS = 255;

/** What a replay answers (a stored request succeeded: its status is the route's success status). */
export interface StoredResponse<T> {
  readonly body: T;
  readonly headers: Readonly<Record<string, string>>;
}

interface Entry<T> {
  readonly fingerprint: string;
  readonly atMs: number;
  response: StoredResponse<T> | undefined;
}

export type Claim<T> =
  /** First use: do the work, then `complete` (or `release` if nothing happened that must not be repeated). */
  | { kind: 'new' }
  | { kind: 'replay'; response: StoredResponse<T> }
  | { kind: 'mismatch' }
  | { kind: 'in-progress' };

export interface IdempotencyOptions {
  ttlMs?: number;
  maxEntries?: number;
  /** Monotonic clock, ms; default performance.now. */
  now?: () => number;
}

export class IdempotencyStore<T> {
  private readonly entries = new Map<string, Entry<T>>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(options: IdempotencyOptions = {}) {
    this.ttlMs = options.ttlMs ?? IDEMPOTENCY_TTL_MS;
    this.maxEntries = options.maxEntries ?? IDEMPOTENCY_MAX_ENTRIES;
    this.now = options.now ?? (() => performance.now());
  }

  get size(): number {
    return this.entries.size;
  }

  /** Looks `key` up for `body` (compared by a canonical JSON fingerprint) and, if unseen, reserves it. */
  claim(scope: string, key: string, body: unknown): Claim<T> {
    const now = this.now();
    this.expire(now);
    const id = `${scope}\u0000${key}`;
    const fingerprint = fingerprintOf(body);
    const seen = this.entries.get(id);
    if (seen !== undefined) {
      if (seen.fingerprint !== fingerprint) return { kind: 'mismatch' };
      return seen.response === undefined ? { kind: 'in-progress' } : { kind: 'replay', response: seen.response };
    }
    while (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done === true) break;
      this.entries.delete(oldest.value);
    }
    this.entries.set(id, { fingerprint, atMs: now, response: undefined });
    return { kind: 'new' };
  }

  /** True when `claim` would replay a stored answer (a replay is not counted against the rate limit). */
  isReplay(scope: string, key: string, body: unknown): boolean {
    const seen = this.entries.get(`${scope}\u0000${key}`);
    return seen?.response !== undefined && seen.fingerprint === fingerprintOf(body) && this.now() - seen.atMs < this.ttlMs;
  }

  /** The answer to replay for this key from now on. */
  complete(scope: string, key: string, response: StoredResponse<T>): void {
    const entry = this.entries.get(`${scope}\u0000${key}`);
    if (entry !== undefined) entry.response = response;
  }

  /** Forget a claim whose request did nothing (e.g. it failed before the call core saw it). */
  release(scope: string, key: string): void {
    const id = `${scope}\u0000${key}`;
    if (this.entries.get(id)?.response === undefined) this.entries.delete(id);
  }

  /** Insertion order is age order: drop from the front while expired. */
  private expire(now: number): void {
    for (const [id, entry] of this.entries) {
      if (now - entry.atMs < this.ttlMs) break;
      this.entries.delete(id);
    }
  }
}

/** SHA-256 of the body as JSON with object keys sorted (so key order does not matter). */
export function fingerprintOf(body: unknown): string {
  return createHash('sha256').update(canonicalJson(body)).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
