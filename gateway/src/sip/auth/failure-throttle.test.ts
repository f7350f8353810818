import { describe, expect, it } from 'vitest';
import { FailureThrottle, FailureThrottleConfigError, type FailureThrottleOptions } from './failure-throttle.js';

function make(opts: Partial<FailureThrottleOptions> = {}): { throttle: FailureThrottle; clock: { t: number } } {
  const clock = { t: 1_000 };
  const throttle = new FailureThrottle({ maxFailures: 3, windowMs: 60_000, lockoutMs: 300_000, maxSources: 100, now: () => clock.t, ...opts });
  return { throttle, clock };
}

describe('FailureThrottle', () => {
  it('locks a source out at the maxFailures-th failure within the window, for exactly lockoutMs', () => {
    const { throttle, clock } = make();
    expect(throttle.fail('a')).toBe('counted');
    clock.t += 10_000;
    expect(throttle.fail('a')).toBe('counted');
    expect(throttle.isLocked('a')).toBe(false);
    clock.t += 10_000;
    expect(throttle.fail('a')).toBe('locked');
    expect(throttle.isLocked('a')).toBe(true);
    clock.t += 299_999;
    expect(throttle.isLocked('a')).toBe(true);
    clock.t += 1;
    expect(throttle.isLocked('a')).toBe(false);
    expect(throttle.size).toEqual({ failing: 0, locked: 0 });
  });

  it('counts over a sliding window: failures older than windowMs no longer count', () => {
    const { throttle, clock } = make();
    throttle.fail('a'); // t = 1,000
    clock.t += 30_000;
    throttle.fail('a'); // t = 31,000
    clock.t = 61_000; // the first failure is exactly windowMs old: out of the window
    expect(throttle.fail('a')).toBe('counted');
    clock.t = 61_001;
    expect(throttle.fail('a')).toBe('locked'); // 31,000, 61,000 and 61,001 are within 60 s
  });

  it('neither counts nor extends a lockout with failures made during it, and starts afresh after it', () => {
    const { throttle, clock } = make();
    for (let i = 0; i < 3; i++) throttle.fail('a');
    clock.t += 200_000;
    expect(throttle.fail('a')).toBe('counted');
    clock.t += 100_000;
    expect(throttle.isLocked('a')).toBe(false);
    expect(throttle.fail('a')).toBe('counted');
    expect(throttle.fail('a')).toBe('counted');
    expect(throttle.fail('a')).toBe('locked');
  });

  it('keeps sources apart', () => {
    const { throttle } = make();
    for (let i = 0; i < 3; i++) throttle.fail('a');
    expect(throttle.isLocked('a')).toBe(true);
    expect(throttle.isLocked('b')).toBe(false);
    expect(throttle.fail('b')).toBe('counted');
  });

  it('is off with maxFailures 0', () => {
    const { throttle } = make({ maxFailures: 0 });
    for (let i = 0; i < 100; i++) expect(throttle.fail('a')).toBe('counted');
    expect(throttle.isLocked('a')).toBe(false);
    expect(throttle.size).toEqual({ failing: 0, locked: 0 });
  });

  it('bounds the failing table, forgetting the least recently failing source', () => {
    const { throttle } = make({ maxSources: 2 });
    throttle.fail('a');
    throttle.fail('a');
    throttle.fail('b');
    throttle.fail('a'); // a's third failure: locked, and out of the failing table
    expect(throttle.isLocked('a')).toBe(true);
    throttle.fail('c');
    throttle.fail('c');
    throttle.fail('b'); // b moves past c
    throttle.fail('d'); // over the bound: c (least recent) is forgotten, b keeps its two failures
    expect(throttle.size).toEqual({ failing: 2, locked: 1 });
    expect(throttle.fail('b')).toBe('locked');
    expect(throttle.fail('c')).toBe('counted');
    expect(throttle.fail('c')).toBe('counted'); // two, not four: its earlier failures were forgotten
    expect(throttle.isLocked('c')).toBe(false);
  });

  it('cannot be made to forget a lockout by a flood of single failures from many sources', () => {
    const { throttle } = make({ maxSources: 10 });
    for (let i = 0; i < 3; i++) throttle.fail('attacker');
    for (let i = 0; i < 10_000; i++) throttle.fail(`spoofed-${i}`);
    expect(throttle.isLocked('attacker')).toBe(true);
    expect(throttle.size).toEqual({ failing: 10, locked: 1 });
  });

  it('bounds the locked table, dropping expired lockouts first, then the soonest to expire', () => {
    const { throttle, clock } = make({ maxFailures: 1, maxSources: 2, lockoutMs: 1_000 });
    throttle.fail('a');
    clock.t += 500;
    throttle.fail('b');
    clock.t += 600; // a has expired
    throttle.fail('c');
    expect(throttle.size.locked).toBe(2);
    expect(throttle.isLocked('b')).toBe(true);
    throttle.fail('d'); // full of live lockouts: b (the soonest to end) goes
    expect(throttle.size.locked).toBe(2);
    expect(throttle.isLocked('b')).toBe(false);
    expect(throttle.isLocked('c')).toBe(true);
    expect(throttle.isLocked('d')).toBe(true);
  });

  it('refuses nonsense options with a coded error', () => {
    for (const bad of [{ maxFailures: -1 }, { maxFailures: 1.5 }, { windowMs: 0 }, { lockoutMs: Number.NaN }, { maxSources: 0 }]) {
      expect(() => make(bad), JSON.stringify(bad)).toThrow(FailureThrottleConfigError);
    }
    expect(() => make({ windowMs: 0 })).toThrow(expect.objectContaining({ code: 'AUTH_THROTTLE_CONFIG' }));
  });
});
