import { describe, expect, it } from 'vitest';
import { ObservabilityError } from './errors.js';
import { HOP_LATENCY_BUCKETS, logBucketUpperMs, toPrometheusBuckets } from './log-buckets.js';
import { SyntheticLogHistogram } from './test-support/log-bucket-state.js';

const le = (bound: number): number => HOP_LATENCY_BUCKETS.indexOf(bound);

describe('log buckets → Prometheus buckets', () => {
  it('puts every Prometheus bound on a log-bucket edge, rounded up by less than 0.01 %', () => {
    for (const bound of HOP_LATENCY_BUCKETS) {
      const k = Math.round(Math.log10(bound * 1e6) * 20); // edge index: 10^(k/20) µs
      const edgeSeconds = logBucketUpperMs(k) / 1000;
      expect(bound).toBeGreaterThanOrEqual(edgeSeconds);
      expect((bound - edgeSeconds) / edgeSeconds).toBeLessThan(1e-4);
    }
    expect([...HOP_LATENCY_BUCKETS].sort((a, b) => a - b)).toEqual(HOP_LATENCY_BUCKETS);
  });

  it('gives cumulative counts, count and sum in seconds for 1,000 samples at 0.3 ms and 10 at 20 ms', () => {
    const h = new SyntheticLogHistogram().record(0.3, 1000).record(20, 10);
    const p = toPrometheusBuckets(h.state());
    expect(p.count).toBe(1010);
    expect(p.sumSeconds).toBeCloseTo(0.5, 12);
    const expected = HOP_LATENCY_BUCKETS.map((b) => (b < 0.0003 ? 0 : b < 0.02 ? 1000 : 1010));
    expect(p.cumulative).toEqual(expected);
    expect(p.cumulative[le(0.0002512)]).toBe(0);
    expect(p.cumulative[le(0.0005012)]).toBe(1000);
    expect(p.cumulative[le(0.01)]).toBe(1000);
    expect(p.cumulative[le(0.02512)]).toBe(1010);
  });

  it('assigns a sample exactly on a bound to the next bucket (log buckets are lower-inclusive): conservative', () => {
    const onEdge = toPrometheusBuckets(new SyntheticLogHistogram().record(1).state());
    expect(onEdge.cumulative[le(0.001)]).toBe(0);
    expect(onEdge.cumulative[le(0.002512)]).toBe(1);
    const below = toPrometheusBuckets(new SyntheticLogHistogram().record(0.99).state());
    expect(below.cumulative[le(0.001)]).toBe(1);
    expect(below.cumulative[le(0.0005012)]).toBe(0);
  });

  it('counts underflow in the first bucket and overflow (≥ 100 s) only in +Inf', () => {
    const p = toPrometheusBuckets(new SyntheticLogHistogram().record(0.0001).record(150_000).state());
    expect(p.cumulative[0]).toBe(1);
    expect(p.cumulative.at(-1)).toBe(1);
    expect(p.count).toBe(2);
  });

  it('refuses a state of another shape with OBS_HISTOGRAM_SHAPE', () => {
    const bad = { counts: [1, 2, 3], total: 6, sum: 1, max: 1 };
    expect(() => toPrometheusBuckets(bad)).toThrow(ObservabilityError);
    try {
      toPrometheusBuckets(bad);
    } catch (err) {
      expect((err as ObservabilityError).code).toBe('OBS_HISTOGRAM_SHAPE');
    }
    const negative = new SyntheticLogHistogram().record(1).state();
    expect(() => toPrometheusBuckets({ ...negative, counts: negative.counts.map((c, i) => (i === 5 ? -1 : c)) })).toThrow(/negative/);
  });
});
