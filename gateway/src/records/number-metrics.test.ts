import { createGatewayMetrics, METRIC } from '@patchbay/observability';
import { describe, expect, it } from 'vitest';
import { testRecord, T0, turns, withDetail } from '../../test/helpers/call-records.js';
import { observationOf, startNumberMetrics } from './number-metrics.js';
import type { CallDetail, CallRecordSource } from './record.js';

/** A CallRecordSource the test drives. */
class FakeRecords implements CallRecordSource {
  private readonly listeners = new Set<(d: CallDetail) => void>();
  onRecord(listener: (d: CallDetail) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }
  emit(d: CallDetail): void {
    for (const l of this.listeners) l(d);
  }
  get size(): number {
    return this.listeners.size;
  }
}

const detail = (id: string, number: string, from = '+15550100001'): CallDetail => withDetail(testRecord({ id, number, from }), turns(T0, [450, 800]));

describe('per-number metrics from finished records', () => {
  it('1000 calls from distinct unconfigured numbers: one `other` series; a configured pattern its own; no phone number in /metrics', async () => {
    const metrics = createGatewayMetrics({ defaultMetrics: false });
    const source = new FakeRecords();
    const configured = new Set(['+1555*']);
    const stop = startNumberMetrics({ source, metrics: metrics.numbers, isConfigured: (p) => configured.has(p) });
    for (let i = 0; i < 1000; i++) {
      const n = `+1666${String(i).padStart(7, '0')}`;
      source.emit(detail(`u${i}`, n, n));
    }
    source.emit(detail('c1', '+1555*'));
    const { body } = await metrics.render();
    const calls = body.split('\n').filter((l) => l.startsWith(`${METRIC.numberCallsTotal}{`));
    expect(calls).toEqual([`${METRIC.numberCallsTotal}{number="other",disposition="completed"} 1000`, `${METRIC.numberCallsTotal}{number="+1555*",disposition="completed"} 1`]);
    expect(body).toContain(`${METRIC.numberTurnLatency}_count{number="other"} 2000`);
    expect(body).not.toMatch(/1666\d{7}|15550100001/);
    stop();
    expect(source.size).toBe(0);
  });

  it('an observation carries the turn latencies from the timeline, the transfer outcome and MOS', () => {
    const d = withDetail(testRecord({ id: 'x', transfer: { target: '+15550100077', outcome: 'accepted' }, bargeIns: 1 }), [
      ...turns(T0, [300]),
      { at: new Date(T0).toISOString(), type: 'barge-in', data: { playedMs: 100 } },
      { at: new Date(T0).toISOString(), type: 'turn', data: { index: 2 } }, // no latency: not counted
    ]);
    expect(observationOf(d)).toEqual({ number: '+1555*', disposition: 'completed', answered: true, talkMs: 60_000, turnLatenciesMs: [300], bargeIns: 1, transfer: 'accepted', mos: 4.2 });
  });
});
