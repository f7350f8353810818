/** The history's reads against a real (in-memory) SQLite store with the real schema. */
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { insertRecords, missedRecord, T0, testRecord, withDetail } from '../../test/helpers/call-records.js';
import type { Store } from '../store/types.js';
import { closeTestStores, HISTORY_ENGINES } from '../../test/helpers/history-engines.js';
import { compareKeys, CursorError, decodeCursor, encodeCursor, type CursorKey } from './cursor.js';
import { CallHistoryQuery, type HistoryFilter } from './query.js';

afterAll(closeTestStores, 20_000);

describe.each(HISTORY_ENGINES)('$name', ({ open }) => {
  let store: Store;
  let query: CallHistoryQuery;
  beforeEach(async () => {
    store = await open();
    query = new CallHistoryQuery(store.db);
  });
  afterEach(() => store.close());

  const at = (sOffset: number): string => new Date(T0 + sOffset * 1000).toISOString();

  async function ids(filter: HistoryFilter, limit = 100, after?: CursorKey): Promise<string[]> {
    return (await query.list(filter, limit, after)).records.map((r) => r.id);
  }

  describe('CallHistoryQuery.list', () => {
    beforeEach(async () => {
      await insertRecords(store.db, [
        testRecord({ id: 'a', createdAt: at(0) }),
        testRecord({ id: 'b', createdAt: at(10), direction: 'outbound', from: '+15550100009', to: '+447700900001', number: '+44*', trunk: 'uk' }),
        missedRecord({ id: 'c', createdAt: at(20) }),
        testRecord({ id: 'd', createdAt: at(30), status: 'failed', disposition: 'failed', trunk: null }),
        testRecord({ id: 'e', createdAt: at(40), to: '+15550100003' }),
      ]);
    });

    it('is newest first', async () => {
      expect(await ids({})).toEqual(['e', 'd', 'c', 'b', 'a']);
    });

    it('filters by number pattern, from, to, direction, disposition/status, trunk and time range, combined with AND', async () => {
      expect(await ids({ number: '+44*' })).toEqual(['b']);
      expect(await ids({ from: '+15550100009' })).toEqual(['b']);
      expect(await ids({ to: '+15550100003' })).toEqual(['e']);
      expect(await ids({ to: '+15550100002', number: '+1555*' })).toEqual(['d', 'c', 'a']);
      expect(await ids({ direction: 'outbound' })).toEqual(['b']);
      expect(await ids({ direction: 'inbound' })).toEqual(['e', 'd', 'c', 'a']);
      expect(await ids({ disposition: 'no-answer' })).toEqual(['c']);
      expect(await ids({ status: 'failed' })).toEqual(['d']);
      expect(await ids({ status: 'failed', disposition: 'completed' })).toEqual([]);
      expect(await ids({ status: 'answered' })).toEqual([]); // a live status: no stored (ended) call has it
      expect(await ids({ trunk: 'uk' })).toEqual(['b']);
      expect(await ids({ createdFrom: T0 + 10_000, createdTo: T0 + 30_000 })).toEqual(['c', 'b']); // from inclusive, to exclusive
      expect(await ids({ number: '+1555*', createdFrom: T0 + 20_000 })).toEqual(['e', 'd', 'c']);
    });

    it('pages across calls with equal created_at: every call once, in order, none skipped', async () => {
      await insertRecords(store.db, ['m1', 'm3', 'm2', 'm5', 'm4', 'm7', 'm6'].map((id) => testRecord({ id, createdAt: at(25) })));
      const seen: string[] = [];
      let after: CursorKey | undefined;
      for (let i = 0; i < 10; i++) {
        const page = await query.list({}, 3, after);
        seen.push(...page.records.map((r) => r.id));
        const last = page.records.at(-1);
        if (!page.more || last === undefined) break;
        after = decodeCursor(encodeCursor({ createdAt: Date.parse(last.createdAt), id: last.id }));
      }
      expect(seen).toEqual(['e', 'd', 'm7', 'm6', 'm5', 'm4', 'm3', 'm2', 'm1', 'c', 'b', 'a']);
    });

    it('orders ids of equal created_at as the cursor compares them in JS (bytes), whatever the database collation', async () => {
      // Under en-US (ICU or glibc) these sort _z a0 A1 k m_2 m-1 m1 Z; as bytes ("C", SQLite's BINARY, JS <) A1 Z _z a0 k m-1 m1 m_2.
      const odd = ['A1', 'a0', 'k', '_z', 'Z', 'm-1', 'm1', 'm_2'];
      await insertRecords(store.db, odd.map((id) => testRecord({ id, createdAt: at(25) })));
      const expected = ['e', 'd', ...odd.map((id) => ({ createdAt: T0 + 25_000, id })).sort(compareKeys).map((k) => k.id), 'c', 'b', 'a'];
      expect(expected.slice(2, 10)).toEqual(['m_2', 'm1', 'm-1', 'k', 'a0', '_z', 'Z', 'A1']);
      expect(await ids({})).toEqual(expected);
      const seen: string[] = [];
      let after: CursorKey | undefined;
      for (let i = 0; i < 20; i++) {
        const page = await query.list({}, 2, after);
        seen.push(...page.records.map((r) => r.id));
        const last = page.records.at(-1);
        if (!page.more || last === undefined) break;
        after = { createdAt: Date.parse(last.createdAt), id: last.id };
      }
      expect(seen).toEqual(expected);
    });

    it('says whether more match after the page', async () => {
      expect((await query.list({}, 5)).more).toBe(false);
      expect((await query.list({}, 4)).more).toBe(true);
      expect((await query.list({ number: '+1555*' }, 4)).more).toBe(false);
    });

    it('reads back every field the contract writes', async () => {
      const full = testRecord({ id: 'f', createdAt: at(50), transfer: { target: '+15550100077', outcome: 'accepted' }, turns: 4, turnLatencyMs: { p50: 700, p95: 900 }, bargeIns: 2, dtmfCount: 3, stages: { stt: 120, llm: 300, tts: 90, realtime: null } });
      await insertRecords(store.db, [full]);
      expect((await query.list({}, 1)).records[0]).toEqual(full);
    });
  });

  describe('CallHistoryQuery.detail', () => {
    it('the record with its timeline and transcript in order; undefined for an unknown id', async () => {
      const record = testRecord({ id: 'x1' });
      const detail = withDetail(
        record,
        [
          { at: at(0), type: 'created', data: {} },
          { at: at(1), type: 'answered', data: {} },
          { at: at(5), type: 'barge-in', data: { playedMs: 1200, reactionMs: 180 } },
          { at: at(61), type: 'ended', data: { reason: 'remote-bye' } },
        ],
        [
          { at: at(2), role: 'agent', text: 'Hello, how can I help?', final: true },
          { at: at(4), role: 'caller', text: 'I need "help", now', final: true },
        ],
      );
      await insertRecords(store.db, [detail]);
      expect(await query.detail('x1')).toEqual(detail);
      expect(await query.detail('nope')).toBeUndefined();
    });
  });

  describe('cursor', () => {
    it('round-trips, and anything else is a CursorError', () => {
      const key = { createdAt: T0, id: '6f1c1f9e-1111-4c1e-9d1e-000000000001' };
      const token = encodeCursor(key);
      expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(decodeCursor(token)).toEqual(key);
      const forged = Buffer.from(JSON.stringify(['v1', -1, 'x'])).toString('base64url');
      for (const bad of ['', 'not base64!', 'abc', forged, Buffer.from('{"t":1}').toString('base64url'), 'x'.repeat(500)]) {
        expect(() => decodeCursor(bad), bad).toThrow(CursorError);
      }
    });
  });
});
