import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MediaClock } from './media-clock.js';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('MediaClock', () => {
  it('ticks on an absolute schedule and stops when the last subscriber leaves', () => {
    const clock = new MediaClock({ tickMs: 10, now: () => Date.now() });
    const seen: number[] = [];
    const t0 = Date.now();
    const off = clock.subscribe((now) => seen.push(now - t0));
    vi.advanceTimersByTime(100);
    expect(seen).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
    off();
    vi.advanceTimersByTime(100);
    expect(seen).toHaveLength(10);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('keeps other subscribers running when one throws', () => {
    const errors: unknown[] = [];
    const clock = new MediaClock({ tickMs: 10, now: () => Date.now(), onError: (e) => errors.push(e) });
    let good = 0;
    clock.subscribe(() => {
      throw new Error('bad call');
    });
    clock.subscribe(() => good++);
    vi.advanceTimersByTime(30);
    expect(good).toBe(3);
    expect(errors).toHaveLength(3);
    clock.close();
  });

  it('re-anchors after a stall instead of firing a burst of catch-up ticks', () => {
    let now = 0;
    const clock = new MediaClock({ tickMs: 10, now: () => now });
    const calls: number[] = [];
    clock.subscribe((t) => calls.push(t));
    now = 10;
    vi.advanceTimersByTime(10);
    now = 500; // the event loop was blocked for ~490 ms
    vi.advanceTimersByTime(10);
    expect(calls).toEqual([10, 500]);
    expect(clock.lateTicks).toBe(1);
    expect(clock.stalls).toBe(1);
    expect(clock.nextTickMs()).toBe(510);
    clock.close();
  });

  it('counts a wake-up a packet time (stallMs) late as a stall, a few ticks late only as a late tick', () => {
    let now = 0;
    const clock = new MediaClock({ tickMs: 2, now: () => now });
    clock.subscribe(() => undefined);
    now = 2; // on time
    vi.advanceTimersToNextTimer();
    now = 4 + 5; // due at 4, 5 ms late: a late tick, not a stall
    vi.advanceTimersToNextTimer();
    expect([clock.lateTicks, clock.stalls]).toEqual([1, 0]);
    now = 10 + 19.9; // due at 10 (the schedule re-anchored after the late tick): 19.9 ms late
    vi.advanceTimersToNextTimer();
    expect([clock.lateTicks, clock.stalls]).toEqual([2, 0]);
    now = 30 + 20; // due at 30: exactly one packet time late
    vi.advanceTimersToNextTimer();
    expect([clock.lateTicks, clock.stalls]).toEqual([3, 1]);
    clock.close();
  });
});
