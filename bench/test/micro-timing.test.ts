import { describe, expect, it } from 'vitest';
import { cycle, medianUsPerCall } from '../src/micro/timing.js';

describe('medianUsPerCall', () => {
  it('runs one warm-up round plus the timed rounds, counting calls across rounds', () => {
    const seen: number[] = [];
    const us = medianUsPerCall({ rounds: 3, callsPerRound: 5 }, (i) => seen.push(i));
    expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(us).toBeGreaterThanOrEqual(0);
  });
});

describe('cycle', () => {
  it('wraps around its list and refuses an empty one', () => {
    expect(cycle(['a', 'b'], 5)).toBe('b');
    expect(() => cycle([], 0)).toThrow(RangeError);
  });
});
