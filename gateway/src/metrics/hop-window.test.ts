import { describe, expect, it } from 'vitest';
import { HopMetrics } from './hop-metrics.js';
import { HopWindow, subtractHistogram } from './hop-window.js';
import { LatencyHistogram } from './latency-histogram.js';

/** What GET /stats?reset=1 does to a plane's histograms and the gateway's window, in the same order. */
function statsRead(plane: HopMetrics, window: HopWindow, reset: boolean): ReturnType<HopMetrics['snapshot']> {
  const state = plane.state();
  if (reset) plane.resetPeaks();
  const view = window.view(state);
  if (reset) window.reset(state);
  return HopMetrics.from(view).snapshot();
}

describe('HopWindow: measurement windows over histograms that never reset', () => {
  it('a reset starts a new window for /stats while the histograms keep counting for Prometheus', () => {
    const plane = new HopMetrics();
    const window = new HopWindow();
    for (const ms of [1, 2, 3, 50]) plane.uplinkMs.record(ms);
    plane.setupMs.record(10);

    const first = statsRead(plane, window, true);
    expect(first.uplinkMs).toMatchObject({ count: 4, max: 50 });
    expect(first.uplinkMs.mean).toBeCloseTo(14, 9);
    expect(first.setupMs.count).toBe(1);

    for (const ms of [4, 5]) plane.uplinkMs.record(ms);
    const second = statsRead(plane, window, false);
    // Only the window's samples: not the 50 ms outlier of the previous one, neither in the max nor the percentiles.
    expect(second.uplinkMs).toMatchObject({ count: 2, max: 5 });
    expect(second.uplinkMs.mean).toBeCloseTo(4.5, 9);
    expect(second.uplinkMs.p99).toBeLessThanOrEqual(5);
    expect(second.setupMs).toMatchObject({ count: 0, max: 0, mean: 0 });

    // Prometheus' view: monotonic since start.
    const all = plane.state().uplinkMs;
    expect(all.total).toBe(6);
    expect(all.sum).toBeCloseTo(65, 9);
    expect(all.counts.reduce((s, c) => s + c, 0)).toBe(6);

    // A read without reset does not move the window; the next reset does.
    expect(statsRead(plane, window, true).uplinkMs.count).toBe(2);
    expect(statsRead(plane, window, false).uplinkMs.count).toBe(0);
    expect(plane.state().uplinkMs.total).toBe(6);
  });

  it('before the first reset the window is everything', () => {
    const plane = new HopMetrics();
    plane.turnMs.record(700);
    const window = new HopWindow();
    expect(HopMetrics.from(window.view(plane.state())).snapshot().turnMs).toMatchObject({ count: 1, max: 700 });
  });

  it('never goes below zero when a source lost samples (a media worker replaced after a crash)', () => {
    const before = new LatencyHistogram();
    for (const ms of [1, 1, 2]) before.record(ms);
    const after = new LatencyHistogram();
    after.record(2);
    const d = subtractHistogram(after.state(), before.state());
    expect(d.counts.every((c) => c >= 0)).toBe(true);
    expect(d).toMatchObject({ total: 0, sum: 0, max: 0 });
    expect(() => subtractHistogram({ counts: [1], total: 1, sum: 1, max: 1 }, before.state())).toThrow(/shape/);
  });
});
