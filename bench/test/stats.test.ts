import { describe, expect, it } from 'vitest';
import { distribution, parseDistribution, quantileSorted, Samples } from '../src/stats.js';

describe('distribution', () => {
  it('uses nearest-rank quantiles over 1..100', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i);
    const d = distribution(values);
    expect(d).toEqual({ count: 100, p50: 50, p95: 95, p99: 99, max: 100, mean: 50.5 });
  });

  it('is all zeros with count 0 for no samples', () => {
    expect(distribution([])).toEqual({ count: 0, p50: 0, p95: 0, p99: 0, max: 0, mean: 0 });
  });

  it('takes the single value for every quantile of one sample', () => {
    expect(quantileSorted([7], 0.99)).toBe(7);
    expect(quantileSorted([1, 2], 0.5)).toBe(1);
  });

  it('grows Samples past the initial capacity and reads back by index', () => {
    const s = new Samples(16);
    for (let i = 0; i < 1000; i++) s.push(i);
    expect(s.length).toBe(1000);
    expect(s.at(999)).toBe(999);
    expect(s.at(1000)).toBeUndefined();
    expect(s.since(998)).toEqual(Float64Array.from([998, 999]));
  });

  it('reads a Distribution from JSON and rejects other shapes', () => {
    expect(parseDistribution({ count: 1, p50: 1, p95: 1, p99: 1, max: 1, mean: 1, extra: 'x' })).toEqual({ count: 1, p50: 1, p95: 1, p99: 1, max: 1, mean: 1 });
    expect(parseDistribution({ count: 1 })).toBeUndefined();
    expect(parseDistribution(null)).toBeUndefined();
  });
});
