import { describe, expect, it } from 'vitest';
import { SourceLimiter, type SourceLimiterOptions } from './source-limiter.js';
import { EdgeConfigError } from './types.js';

function limiter(over: Partial<SourceLimiterOptions> = {}): { limiter: SourceLimiter; clock: { ms: number } } {
  const clock = { ms: 1_000 };
  const l = new SourceLimiter({ ratePerSecond: 10, burst: 5, banMs: 60_000, maxBanMs: 600_000, maxSources: 100, now: () => clock.ms, ...over });
  return { limiter: l, clock };
}

function takeN(l: SourceLimiter, key: string, n: number): string[] {
  return Array.from({ length: n }, () => l.take(key));
}

describe('SourceLimiter', () => {
  it('lets a burst through, then bans on the first message over it and drops everything while banned', () => {
    const { limiter: l } = limiter();
    expect(takeN(l, 'a', 5)).toEqual(['pass', 'pass', 'pass', 'pass', 'pass']);
    expect(l.take('a')).toBe('rate');
    expect(takeN(l, 'a', 3)).toEqual(['banned', 'banned', 'banned']);
    expect(l.bansTotal).toBe(1);
    expect(l.bansActive).toBe(1);
    expect(l.isBanned('a')).toBe(true);
    expect(l.isBanned('b')).toBe(false);
    expect(l.take('b')).toBe('pass'); // another source is untouched
  });

  it('sustains exactly the configured rate without a ban', () => {
    const { limiter: l, clock } = limiter();
    // 10/s = one message every 100 ms, forever: never banned, even after the burst is spent.
    takeN(l, 'a', 5);
    for (let i = 0; i < 100; i++) {
      clock.ms += 100;
      expect(l.take('a')).toBe('pass');
    }
    expect(l.bansTotal).toBe(0);
  });

  it('ends a ban after banSeconds with a full bucket (fake clock)', () => {
    const { limiter: l, clock } = limiter();
    takeN(l, 'a', 6);
    clock.ms += 59_999;
    expect(l.take('a')).toBe('banned');
    clock.ms += 1;
    expect(l.isBanned('a')).toBe(false);
    expect(l.bansActive).toBe(0);
    expect(takeN(l, 'a', 5)).toEqual(['pass', 'pass', 'pass', 'pass', 'pass']);
  });

  it('doubles the ban of a repeat offender within maxBan of the last ban end, up to maxBan', () => {
    const { limiter: l, clock } = limiter({ banMs: 60_000, maxBanMs: 200_000 });
    const lengths: number[] = [];
    for (let i = 0; i < 4; i++) {
      takeN(l, 'a', 6);
      const until = l.bannedUntil('a');
      if (until === undefined) throw new Error('not banned');
      lengths.push(until - clock.ms);
      clock.ms = until; // comes back the moment the ban ends, still flooding
    }
    expect(lengths).toEqual([60_000, 120_000, 200_000, 200_000]);
  });

  it('forgives an offence once maxBan has passed since the ban ended', () => {
    const { limiter: l, clock } = limiter({ banMs: 60_000, maxBanMs: 200_000 });
    takeN(l, 'a', 6);
    clock.ms += 60_000 + 200_001;
    takeN(l, 'a', 6);
    expect((l.bannedUntil('a') ?? 0) - clock.ms).toBe(60_000);
  });

  it('bounds memory: at most maxSources, the least recently touched evicted, a busy banned source kept', () => {
    const { limiter: l, clock } = limiter({ maxSources: 100 });
    takeN(l, 'flooder', 6); // banned
    for (let i = 0; i < 1_000; i++) {
      clock.ms += 5; // the flooder keeps sending: its place in the table is refreshed (at most once a second)
      l.take(`spoofed-${i}`);
      l.take('flooder');
    }
    expect(l.size).toBe(100);
    expect(l.evicted).toBe(901);
    expect(l.isBanned('flooder')).toBe(true);
    expect(l.isBanned('spoofed-0')).toBe(false);
  });

  it('sweep forgets quiet sources (full bucket, no ban, no recent offence) and keeps the rest', () => {
    const { limiter: l, clock } = limiter({ banMs: 1_000, maxBanMs: 10_000 });
    l.take('quiet');
    takeN(l, 'banned', 6);
    takeN(l, 'busy', 5);
    l.sweep();
    expect(l.size).toBe(3); // nobody's bucket is full yet
    clock.ms += 600; // the quiet one's bucket is full again (1 token at 10/s takes 100 ms); the busy one's too (5 at 10/s)
    l.sweep();
    expect(l.size).toBe(1); // the banned one stays
    clock.ms += 1_000 + 10_001; // ban over, and remembered no longer
    l.sweep();
    expect(l.size).toBe(0);
  });

  it('refuses a limit that is not a positive number', () => {
    expect(() => limiter({ ratePerSecond: 0 })).toThrow(EdgeConfigError);
    expect(() => limiter({ maxSources: -1 })).toThrow(/maxSources/);
  });
});
