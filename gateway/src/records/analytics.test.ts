/** Analytics in SQL against a real (in-memory) SQLite store, checked against figures computed by hand. */
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { insertRecords, missedRecord, T0, testRecord, turns, withDetail } from '../../test/helpers/call-records.js';
import type { Store } from '../store/types.js';
import { closeTestStores, HISTORY_ENGINES } from '../../test/helpers/history-engines.js';
import { analytics, AnalyticsError } from './analytics.js';

afterAll(closeTestStores, 20_000);

describe.each(HISTORY_ENGINES)('$name', ({ open }) => {
  let store: Store;
  beforeEach(async () => {
    store = await open();
  });
  afterEach(() => store.close());

  const DAY = 86_400_000;
  const iso = (ms: number): string => new Date(ms).toISOString();
  const DAY0 = Date.parse('2026-03-02T00:00:00.000Z');
  const q = (from: number, to: number, interval: 'hour' | 'day' | 'week' | 'total', number?: string) => analytics(store.db, store.dialect, { from, to, interval, ...(number === undefined ? {} : { number }) });

  describe('analytics', () => {
    it('per number and day: dispositions, answer rate, talk avg/p95, turn p50/p95, barge-in, transfer, MOS', async () => {
      await insertRecords(store.db, [
        withDetail(testRecord({ id: 'r1', talkMs: 60_000, bargeIns: 1, turns: 3 }), turns(T0 + 2000, [500, 700, 900])),
        withDetail(testRecord({ id: 'r2', createdAt: iso(T0 + 60_000), talkMs: 30_000, transfer: { target: '+15550100077', outcome: 'accepted' }, quality: { packetsExpected: 1, packetsLost: 0, jitterMs: 1, mos: 4.0 } }), turns(T0 + 62_000, [600])),
        testRecord({ id: 'r3', createdAt: iso(T0 + 120_000), talkMs: 120_000, quality: null, transfer: { target: '+15550100077', outcome: 'failed' } }),
        missedRecord({ id: 'r4', createdAt: iso(T0 + 180_000) }),
        missedRecord({ id: 'r5', createdAt: iso(T0 + 240_000), status: 'busy', disposition: 'busy', endReason: 'busy', sipStatus: 486 }),
        testRecord({ id: 'r6', number: '+44*', talkMs: 10_000, quality: { packetsExpected: 1, packetsLost: 0, jitterMs: 1, mos: 3.0 } }),
        testRecord({ id: 'r7', createdAt: iso(T0 + DAY), talkMs: 45_000 }),
        testRecord({ id: 'late', createdAt: iso(DAY0 + 2 * DAY) }), // outside the range
      ]);
      const periods = await q(DAY0, DAY0 + 2 * DAY, 'day');
      expect(periods.map((p) => [p.number, iso(p.start), p.calls])).toEqual([
        ['+1555*', '2026-03-02T00:00:00.000Z', 5],
        ['+1555*', '2026-03-03T00:00:00.000Z', 1],
        ['+44*', '2026-03-02T00:00:00.000Z', 1],
      ]);
      expect(periods[0]).toEqual({
        number: '+1555*',
        start: DAY0,
        calls: 5,
        byDisposition: { completed: 3, busy: 1, 'no-answer': 1, declined: 0, failed: 0, canceled: 0 },
        answered: 3,
        answerRate: 0.6,
        talkMs: { avg: 70_000, p95: 120_000 }, // (60+30+120)/3 s; nearest rank ⌈0.95·3⌉ = 3rd
        turnLatencyMs: { p50: 600, p95: 900 }, // 500 600 700 900: ⌈0.5·4⌉ = 2nd, ⌈0.95·4⌉ = 4th
        bargeInRate: 1 / 3,
        transferRate: 1 / 3, // r3's transfer failed
        mosAvg: 4.1, // r1 4.2, r2 4.0; r3 and the missed calls have none
      });
      expect(periods[1]).toMatchObject({ calls: 1, answered: 1, talkMs: { avg: 45_000, p95: 45_000 }, turnLatencyMs: null, bargeInRate: 0, transferRate: 0 });
      expect(await q(DAY0, DAY0 + 2 * DAY, 'day', '+44*')).toEqual([periods[2]]);
    });

    it('nearest-rank percentiles over 20 calls; a group without an answered call has null rates', async () => {
      await insertRecords(store.db, [
        ...Array.from({ length: 20 }, (_, i) => testRecord({ id: `t${String(i).padStart(2, '0')}`, createdAt: iso(T0 + i * 1000), talkMs: (20 - i) * 1000 })),
        missedRecord({ id: 'm1', number: '+33*' }),
      ]);
      const [us, fr] = await q(DAY0, DAY0 + DAY, 'total'); // sorted by number
      expect(us).toMatchObject({ number: '+1555*', start: DAY0, calls: 20, talkMs: { avg: 10_500, p95: 19_000 } });
      expect(fr).toMatchObject({ number: '+33*', calls: 1, answered: 0, answerRate: 0, talkMs: null, bargeInRate: null, transferRate: null, mosAvg: null });
    });

    it('buckets by UTC hour and by week from Monday', async () => {
      await insertRecords(store.db, [
        testRecord({ id: 'h1', createdAt: iso(T0) }),
        testRecord({ id: 'h2', createdAt: iso(T0 + 59 * 60_000) }),
        testRecord({ id: 'h3', createdAt: iso(T0 + 61 * 60_000) }),
        testRecord({ id: 'sun', createdAt: '2026-03-08T23:59:59.000Z' }),
        testRecord({ id: 'mon', createdAt: '2026-03-09T00:00:00.000Z' }),
      ]);
      const hours = await q(T0, T0 + 3 * 3_600_000, 'hour');
      expect(hours.map((p) => [iso(p.start), p.calls])).toEqual([['2026-03-02T10:00:00.000Z', 2], ['2026-03-02T11:00:00.000Z', 1]]);
      const weeks = await q(DAY0, DAY0 + 14 * DAY, 'week');
      expect(weeks.map((p) => [iso(p.start), p.calls])).toEqual([['2026-03-02T00:00:00.000Z', 4], ['2026-03-09T00:00:00.000Z', 1]]);
    });

    it('refuses an empty range and more than 1,000 buckets', async () => {
      await expect(q(T0, T0, 'day')).rejects.toThrow(AnalyticsError);
      await expect(q(T0, T0 + 60 * DAY, 'hour')).rejects.toThrow(/1440 hour buckets/);
      await expect(q(T0, T0 + 41 * DAY, 'hour')).resolves.toEqual([]);
    });
  });
});
