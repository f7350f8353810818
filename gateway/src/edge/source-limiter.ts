/**
 * Per-source rate limit and ban list (pike-like), before any parsing. Pure and synchronous; the clock is injected.
 *
 * Each source (see source-key.ts) has a token bucket: `burst` tokens, refilled at `ratePerSecond`; a message takes
 * one. A message that finds the bucket empty bans the source for `banMs`: while banned every message is dropped
 * without touching the bucket, and the bucket refills meanwhile, so a source that has calmed down starts afresh. A
 * source banned again within `maxBanMs` of its previous ban's end is banned twice as long as last time, up to
 * `maxBanMs` (a flooder that keeps flooding is let through `burst` messages per ban, then banned longer each time).
 *
 * O(1) per message. Memory is bounded: at most `maxSources` sources; when a new one arrives at the bound, the one
 * touched least recently is forgotten, banned sources last (the table's order is refreshed at most once per second
 * per source, so a busy source costs no reordering per message). `sweep()` (a timer's job, not a message's) forgets sources that
 * carry no information: not banned, bucket full, no recent offence.
 */
import { EdgeConfigError } from './types.js';

export interface SourceLimiterOptions {
  /** Sustained messages per second per source. */
  readonly ratePerSecond: number;
  /** Bucket size: messages a quiet source may send at once. */
  readonly burst: number;
  /** First ban, ms. */
  readonly banMs: number;
  /** Longest ban, and how long an offence is remembered after its ban ends, ms. */
  readonly maxBanMs: number;
  /** Sources tracked at most. */
  readonly maxSources: number;
  /** Monotonic clock, ms. Default performance.now. */
  readonly now?: () => number;
}

/** What one message gets: through, dropped for going over the rate (ban begun), dropped while banned. */
export type LimitVerdict = 'pass' | 'rate' | 'banned';

interface SourceState {
  tokens: number;
  /** When `tokens` was last brought up to date. */
  lastMs: number;
  /** When the entry last moved to the end of the table (least recently touched first). */
  touchedMs: number;
  /** End of the current ban; 0 when not banned. */
  bannedUntilMs: number;
  /** Length of the last ban, ms (0: never banned or forgiven). */
  lastBanMs: number;
  /** When the last ban ended (or will end). */
  lastBanEndMs: number;
}

/** How stale an entry's place in the table may get before a message moves it to the end. */
const TOUCH_MS = 1_000;
/** Banned sources skipped at the front of the table before one is evicted anyway. */
const EVICTION_TRIES = 8;

export class SourceLimiter {
  private readonly sources = new Map<string, SourceState>();
  private readonly ratePerMs: number;
  private readonly now: () => number;
  private bans = 0;
  private evictions = 0;

  /** @throws EdgeConfigError for a rate, burst, ban or bound that is not a positive number. */
  constructor(private readonly options: SourceLimiterOptions) {
    for (const key of ['ratePerSecond', 'burst', 'banMs', 'maxBanMs', 'maxSources'] as const) {
      if (!(options[key] > 0)) throw new EdgeConfigError(`${key} must be a positive number, got ${options[key]}`);
    }
    this.ratePerMs = options.ratePerSecond / 1000;
    this.now = options.now ?? (() => performance.now());
  }

  /** Counts one message from `key`. */
  take(key: string): LimitVerdict {
    const now = this.now();
    const s = this.entry(key, now);
    if (s.bannedUntilMs > now) return 'banned';
    if (s.bannedUntilMs !== 0) s.bannedUntilMs = 0; // the ban has ended
    s.tokens = Math.min(this.options.burst, s.tokens + (now - s.lastMs) * this.ratePerMs);
    s.lastMs = now;
    if (s.tokens >= 1) {
      s.tokens -= 1;
      return 'pass';
    }
    this.banState(s, now);
    return 'rate';
  }

  /** Bans `key` now (e.g. a scanner seen), as a rate offence would; a banned source stays as it is. */
  ban(key: string): void {
    const now = this.now();
    const s = this.entry(key, now);
    if (s.bannedUntilMs <= now) this.banState(s, now);
  }

  /** Whether `key` is banned now; counts nothing and tracks nothing new. */
  isBanned(key: string): boolean {
    const s = this.sources.get(key);
    return s !== undefined && s.bannedUntilMs > this.now();
  }

  /** Forgets sources that carry no information; call from a timer (O(sources)). */
  sweep(): void {
    const now = this.now();
    for (const [key, s] of this.sources) {
      if (s.bannedUntilMs > now) continue;
      const full = s.tokens + (now - s.lastMs) * this.ratePerMs >= this.options.burst;
      const remembered = s.lastBanMs > 0 && now - s.lastBanEndMs <= this.options.maxBanMs;
      if (full && !remembered) this.sources.delete(key);
    }
  }

  /** Bans begun since start. */
  get bansTotal(): number {
    return this.bans;
  }

  /** Sources banned now (O(sources): for a stats read, not per message). */
  get bansActive(): number {
    const now = this.now();
    let n = 0;
    for (const s of this.sources.values()) if (s.bannedUntilMs > now) n++;
    return n;
  }

  get size(): number {
    return this.sources.size;
  }

  /** Sources forgotten because the table was full. */
  get evicted(): number {
    return this.evictions;
  }

  /** When `key`'s ban ends (monotonic ms), or undefined when not banned: for tests and logs. */
  bannedUntil(key: string): number | undefined {
    const s = this.sources.get(key);
    return s !== undefined && s.bannedUntilMs > this.now() ? s.bannedUntilMs : undefined;
  }

  private entry(key: string, now: number): SourceState {
    const s = this.sources.get(key);
    if (s !== undefined) {
      if (now - s.touchedMs >= TOUCH_MS) {
        this.sources.delete(key); // to the end: most recently touched
        this.sources.set(key, s);
        s.touchedMs = now;
      }
      return s;
    }
    if (this.sources.size >= this.options.maxSources) this.evictStalest(now);
    const fresh: SourceState = { tokens: this.options.burst, lastMs: now, touchedMs: now, bannedUntilMs: 0, lastBanMs: 0, lastBanEndMs: 0 };
    this.sources.set(key, fresh);
    return fresh;
  }

  /**
   * Forgets the least recently touched source. A banned one at the front is moved to the back instead (a flood of
   * new, spoofed sources must not lift a ban), at most EVICTION_TRIES times: then the front goes whatever it is.
   */
  private evictStalest(now: number): void {
    for (let tries = 0; ; tries++) {
      const stalest = this.sources.entries().next();
      if (stalest.done === true) return;
      const [key, s] = stalest.value;
      this.sources.delete(key);
      if (s.bannedUntilMs > now && tries < EVICTION_TRIES) {
        this.sources.set(key, s);
        continue;
      }
      this.evictions++;
      return;
    }
  }

  private banState(s: SourceState, now: number): void {
    const { banMs, maxBanMs } = this.options;
    const repeat = s.lastBanMs > 0 && now - s.lastBanEndMs <= maxBanMs;
    const length = repeat ? Math.min(maxBanMs, s.lastBanMs * 2) : Math.min(maxBanMs, banMs);
    s.bannedUntilMs = now + length;
    s.lastBanMs = length;
    s.lastBanEndMs = now + length;
    s.tokens = 0;
    s.lastMs = now; // refills during the ban: a source that stops flooding comes back to a full bucket
    this.bans++;
  }
}
