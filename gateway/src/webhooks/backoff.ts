/**
 * When a failed delivery is tried next: exponential backoff with full jitter. After its n-th failed attempt a
 * delivery waits a uniform draw in [initialDelayMs, min(maxDelayMs, initialDelayMs·2^(n-1))] (defaults: ~5 s, then up
 * to 10 s, 20 s, … 1 h), so receivers coming back from an outage are not hit by every gateway at once. Past
 * `giveUpAfterMs` from the event it fails; the last try is placed at that mark. Pure: `random` is injected.
 */
export interface RetrySchedule {
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly giveUpAfterMs: number;
}

export type NextStep = { readonly kind: 'retry'; readonly atMs: number } | { readonly kind: 'give-up' };

/** The wait after the `attempts`-th failed attempt (1-based). */
export function backoffDelayMs(schedule: RetrySchedule, attempts: number, random: () => number = Math.random): number {
  const exponent = Math.min(Math.max(attempts - 1, 0), 40); // 2^40 × anything is past any maxDelayMs
  const cap = Math.min(schedule.maxDelayMs, schedule.initialDelayMs * 2 ** exponent);
  return schedule.initialDelayMs + Math.floor(random() * (cap - schedule.initialDelayMs));
}

/** After a failed attempt at `nowMs` (the delivery's `attempts`-th), for an event created at `createdAtMs`. */
export function nextStep(schedule: RetrySchedule, attempts: number, createdAtMs: number, nowMs: number, random: () => number = Math.random): NextStep {
  const deadline = createdAtMs + schedule.giveUpAfterMs;
  if (nowMs >= deadline) return { kind: 'give-up' };
  return { kind: 'retry', atMs: Math.min(nowMs + backoffDelayMs(schedule, attempts, random), deadline) };
}
