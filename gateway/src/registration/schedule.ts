/**
 * When a registration is sent again (RFC 3261 §10.2.4 refresh, and retries after a failure). Pure: times in ms,
 * randomness passed in, so the schedule unit-tests exactly.
 */

/** Backoff after failed attempts: doubling from `baseMs`, capped at `maxMs`, with jitter. */
export interface BackoffOptions {
  readonly baseMs: number;
  readonly maxMs: number;
}

/** 5 s after the first failure, then 10 s, 20 s … up to 10 minutes: a registrar refusing us is not hammered. */
export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 5_000, maxMs: 600_000 };

/** No refresh sooner than this after a success, whatever a registrar grants (an `expires=1` would spin). */
export const MIN_REFRESH_MS = 1_000;

/**
 * How long after a successful REGISTER to refresh it: the earlier of half the granted lifetime and 30 s before it
 * runs out, but never sooner than half of it or MIN_REFRESH_MS (a short grant leaves no room for 30 s). Half the
 * lifetime leaves room for a few retries with backoff before the binding lapses.
 */
export function refreshDelayMs(grantedS: number): number {
  const lifetimeMs = grantedS * 1000;
  const half = lifetimeMs / 2;
  const margin = lifetimeMs - 30_000;
  const delay = margin > half / 2 ? Math.min(half, margin) : half;
  return Math.max(MIN_REFRESH_MS, Math.round(delay));
}

/**
 * Delay before retry number `failures` (1 = after the first failure): `baseMs · 2^(failures-1)` capped at `maxMs`,
 * then "equal jitter" (between half and all of it) so that many gateways restarted together do not retry in step.
 * A `Retry-After` from the registrar (seconds) is a floor.
 */
export function backoffDelayMs(failures: number, random: number, options: BackoffOptions = DEFAULT_BACKOFF, retryAfterS?: number): number {
  const exp = Math.min(options.maxMs, options.baseMs * 2 ** Math.max(0, Math.min(failures - 1, 30)));
  const jittered = Math.round(exp / 2 + (exp / 2) * Math.min(1, Math.max(0, random)));
  return Math.max(jittered, (retryAfterS ?? 0) * 1000);
}
