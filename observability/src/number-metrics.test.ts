import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { METRIC } from './names.js';
import { NumberMetrics, type NumberCallObservation } from './number-metrics.js';

const call = (number: string, o: Partial<NumberCallObservation> = {}): NumberCallObservation => ({
  number,
  disposition: 'completed',
  answered: true,
  talkMs: 30_000,
  turnLatenciesMs: [],
  bargeIns: 0,
  transfer: null,
  mos: null,
  ...o,
});

async function series(registry: Registry, name: string): Promise<{ labels: Record<string, string | number>; value: number }[]> {
  const m = (await registry.getMetricsAsJSON()).find((x) => x.name === name);
  return (m?.values ?? []).map((v) => ({ labels: v.labels as Record<string, string | number>, value: v.value }));
}

describe('NumberMetrics', () => {
  it('1000 distinct unconfigured numbers are one `other` series; configured patterns get their own', async () => {
    const registry = new Registry();
    const configured = new Set(['+1555*', 'sip:support@example.com']);
    const metrics = new NumberMetrics(registry, { isConfigured: (p) => configured.has(p) });
    for (let i = 0; i < 1000; i++) metrics.observe(call(`+1666${String(i).padStart(7, '0')}`));
    metrics.observe(call('+1555*'));
    metrics.observe(call('+1555*', { disposition: 'no-answer', answered: false, talkMs: null }));
    metrics.observe(call(''));
    const calls = await series(registry, METRIC.numberCallsTotal);
    expect(calls).toEqual([
      { labels: { number: 'other', disposition: 'completed' }, value: 1001 },
      { labels: { number: '+1555*', disposition: 'completed' }, value: 1 },
      { labels: { number: '+1555*', disposition: 'no-answer' }, value: 1 },
    ]);
    const talkCounts = (await series(registry, METRIC.numberTalkSeconds)).filter((s) => s.labels['le'] === '+Inf');
    expect(talkCounts.map((s) => [s.labels['number'], s.value])).toEqual([['other', 1001], ['+1555*', 1]]);
    expect((await registry.metrics()).match(/number="\+1666/g)).toBeNull();
  });

  it('answered, barge-in and transfer counters, turn latencies and MOS per number', async () => {
    const registry = new Registry();
    const metrics = new NumberMetrics(registry, { isConfigured: (p) => p === '+44*' });
    metrics.observe(call('+44*', { bargeIns: 2, transfer: 'accepted', turnLatenciesMs: [400, 900, 1_600], mos: 4.1 }));
    metrics.observe(call('+44*', { transfer: 'failed' }));
    metrics.observe(call('+44*', { answered: false, talkMs: null, disposition: 'busy', bargeIns: 1 })); // unanswered: no barge-in counted
    expect(await series(registry, METRIC.numberAnsweredCallsTotal)).toEqual([{ labels: { number: '+44*' }, value: 2 }]);
    expect(await series(registry, METRIC.numberBargedInCallsTotal)).toEqual([{ labels: { number: '+44*' }, value: 1 }]);
    expect(await series(registry, METRIC.numberTransfersTotal)).toEqual([
      { labels: { number: '+44*', outcome: 'accepted' }, value: 1 },
      { labels: { number: '+44*', outcome: 'failed' }, value: 1 },
    ]);
    const turns = await series(registry, METRIC.numberTurnLatency);
    const bucket = (le: number | string): number | undefined => turns.find((s) => s.labels['le'] === le)?.value;
    expect([bucket(0.5), bucket(1), bucket(2), bucket('+Inf')]).toEqual([1, 2, 3, 3]);
    expect((await series(registry, METRIC.numberCallMos)).find((s) => s.labels['le'] === '+Inf')?.value).toBe(1);
  });

  it('caps distinct configured numbers; the rest are `other`; the configured set may change at run time', async () => {
    const registry = new Registry();
    const metrics = new NumberMetrics(registry, { maxNumbers: 2 });
    metrics.observe(call('+1*'));
    metrics.setConfigured(() => true);
    for (const n of ['+1*', '+2*', '+3*', '+4*']) metrics.observe(call(n));
    const labels = (await series(registry, METRIC.numberCallsTotal)).map((s) => [s.labels['number'], s.value]);
    expect(labels).toEqual([['other', 3], ['+1*', 1], ['+2*', 1]]);
  });
});
