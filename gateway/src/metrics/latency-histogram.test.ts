import { describe, expect, it } from 'vitest';
import { LatencyHistogram } from './latency-histogram.js';

describe('LatencyHistogram', () => {
  it('gives percentiles within the bucket resolution (±6%) across microseconds to seconds', () => {
    const h = new LatencyHistogram();
    for (let i = 1; i <= 10_000; i++) h.record(i * 0.01); // uniform 0.01 … 100 ms
    const s = h.snapshot();
    expect(s.count).toBe(10_000);
    expect(s.max).toBe(100);
    expect(s.mean).toBeCloseTo(50.005, 6);
    expect(s.p50).toBeGreaterThan(50 * 0.94);
    expect(s.p50).toBeLessThan(50 * 1.06);
    expect(s.p99).toBeGreaterThan(99 * 0.94);
    expect(s.p99).toBeLessThanOrEqual(100);
    const micro = new LatencyHistogram();
    for (let i = 0; i < 1000; i++) micro.record(0.004 + (i % 10) * 0.0001);
    expect(micro.snapshot().p50).toBeGreaterThan(0.0038);
    expect(micro.snapshot().p50).toBeLessThan(0.0052);
  });

  it('ignores garbage and reports an empty histogram as zeros', () => {
    const h = new LatencyHistogram();
    h.record(Number.NaN);
    h.record(-1);
    h.record(Number.POSITIVE_INFINITY);
    expect(h.snapshot()).toEqual({ count: 0, p50: 0, p95: 0, p99: 0, max: 0, mean: 0 });
  });

  it('exports cumulative buckets that end at the total', () => {
    const h = new LatencyHistogram();
    for (const v of [0.5, 1, 2, 1e6]) h.record(v);
    const c = h.cumulative();
    expect(c.at(-1)?.count).toBe(3); // the 1e6 ms outlier is past the last finite bucket
    expect(c.every((b, i) => i === 0 || b.count >= (c[i - 1]?.count ?? 0))).toBe(true);
  });
});
