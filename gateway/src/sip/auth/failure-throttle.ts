/**
 * Per-source authentication failure throttling (fail2ban inside the process): `maxFailures` failed digests from one
 * source within `windowMs` lock that source out for `lockoutMs`. Pure and synchronous; the clock is injected.
 *
 * Memory is bounded whatever the sources: at most `maxSources` sources with recent failures (least recently failing
 * evicted first) and, separately, at most `maxSources` locked sources (soonest to expire evicted first). Keeping the
 * two apart means a flood of single failures from spoofed addresses can evict only other sources' partial counts,
 * never a lockout: evicting one would take `maxFailures` failures from each of `maxSources` new addresses.
 */

export interface FailureThrottleOptions {
  /** Failures within the window that lock a source out; 0 disables throttling. */
  maxFailures: number;
  /** The sliding window failures are counted over, ms. */
  windowMs: number;
  /** How long a lockout lasts, ms. Failures during a lockout neither count nor extend it. */
  lockoutMs: number;
  /** Bound on sources tracked, for each of the two tables (failing, locked). */
  maxSources: number;
  /** Monotonic clock in ms. Default performance.now. */
  now?: () => number;
}

export class FailureThrottleConfigError extends Error {
  readonly code = 'AUTH_THROTTLE_CONFIG';
  constructor(message: string) {
    super(message);
    this.name = 'FailureThrottleConfigError';
  }
}

/** What one failure did: counted towards the limit, or began a lockout. */
export type FailureOutcome = 'counted' | 'locked';

export class FailureThrottle {
  private readonly maxFailures: number;
  private readonly windowMs: number;
  private readonly lockoutMs: number;
  private readonly maxSources: number;
  private readonly now: () => number;
  /** Source → times of its failures in the window, oldest first; Map order = least recently failing first. */
  private readonly failing = new Map<string, number[]>();
  /** Source → end of its lockout; Map order = lockout start order = expiry order (lockoutMs is constant). */
  private readonly locked = new Map<string, number>();

  constructor(options: FailureThrottleOptions) {
    this.maxFailures = options.maxFailures;
    this.windowMs = options.windowMs;
    this.lockoutMs = options.lockoutMs;
    this.maxSources = options.maxSources;
    this.now = options.now ?? (() => performance.now());
    if (!Number.isInteger(this.maxFailures) || this.maxFailures < 0) {
      throw new FailureThrottleConfigError('maxFailures must be a non-negative integer');
    }
    if (!(this.windowMs > 0)) throw new FailureThrottleConfigError('windowMs must be positive');
    if (!(this.lockoutMs > 0)) throw new FailureThrottleConfigError('lockoutMs must be positive');
    if (!Number.isInteger(this.maxSources) || this.maxSources < 1) {
      throw new FailureThrottleConfigError('maxSources must be a positive integer');
    }
  }

  /** Sources tracked now: with failures in the window, and locked out (expired lockouts may linger until pruned). */
  get size(): { failing: number; locked: number } {
    return { failing: this.failing.size, locked: this.locked.size };
  }

  /** Whether `source` is locked out now. */
  isLocked(source: string): boolean {
    const until = this.locked.get(source);
    if (until === undefined) return false;
    if (this.now() < until) return true;
    this.locked.delete(source);
    return false;
  }

  /** Records one failed authentication from `source`. A source already locked out stays as it is. */
  fail(source: string): FailureOutcome {
    if (this.maxFailures === 0 || this.isLocked(source)) return 'counted';
    const now = this.now();
    const since = now - this.windowMs;
    const times = (this.failing.get(source) ?? []).filter((t) => t > since);
    times.push(now);
    this.failing.delete(source); // re-inserted below at the most-recent end, or moved to `locked`
    if (times.length >= this.maxFailures) {
      this.lock(source, now);
      return 'locked';
    }
    this.failing.set(source, times);
    if (this.failing.size > this.maxSources) this.evictFirst(this.failing);
    return 'counted';
  }

  private lock(source: string, now: number): void {
    this.locked.set(source, now + this.lockoutMs);
    for (const [key, until] of this.locked) {
      if (until > now && this.locked.size <= this.maxSources) break;
      this.locked.delete(key); // expired, or the soonest to expire of a full table
    }
  }

  private evictFirst(map: Map<string, unknown>): void {
    const first = map.keys().next();
    if (first.done !== true) map.delete(first.value);
  }
}
