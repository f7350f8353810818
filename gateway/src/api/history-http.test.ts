/** The call history over real HTTP: live calls (FakeCallControl) merged with records in a real in-memory SQLite store. */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../test/helpers/api-server.js';
import { insertRecords, missedRecord, T0, testRecord, turns, withDetail } from '../../test/helpers/call-records.js';
import { historyOf } from '../records/query.js';
import { closeTestStores, HISTORY_ENGINES } from '../../test/helpers/history-engines.js';
import type { Store } from '../store/types.js';
import { csvField, CSV_COLUMNS } from './export-format.js';
import type { ApiCallDetail, ApiCallRecord } from './history-schemas.js';

afterAll(closeTestStores, 20_000);

describe.each(HISTORY_ENGINES)('$name', ({ open }) => {
  let server: TestServer | undefined;
  let store: Store | undefined;
  afterEach(async () => {
    await server?.close();
    await store?.close().catch(() => undefined);
    server = undefined;
    store = undefined;
  });

  const at = (s: number): string => new Date(T0 + s * 1000).toISOString();
  interface Page {
    calls: ApiCallRecord[];
    next: string | null;
  }

  async function start(options: Parameters<typeof startTestServer>[0] = {}): Promise<{ s: TestServer; st: Store }> {
    store = await open();
    server = await startTestServer({ history: historyOf(store), ...options });
    return { s: server, st: store };
  }

  async function page(s: TestServer, q: string): Promise<Page & { link: string | null }> {
    const res = await s.call(`/v1/calls${q}`);
    expect(res.status, q).toBe(200);
    return { ...((await res.json()) as Page), link: res.headers.get('link') };
  }

  /** Follows `next` until null, at most 50 pages. */
  async function all(s: TestServer, q: string): Promise<string[]> {
    const out: string[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 50; i++) {
      const sep = q === '' ? '?' : '&';
      const p: Page = await page(s, cursor === null ? q : `${q}${sep}cursor=${cursor}`);
      out.push(...p.calls.map((c) => c.id));
      cursor = p.next;
      if (cursor === null) return out;
    }
    throw new Error('more than 50 pages');
  }

  describe('GET /v1/calls: the history', () => {
    it('merges live and ended calls newest first; a live call wins over a stored row with its id', async () => {
      const { s, st } = await start();
      await insertRecords(st.db, [testRecord({ id: 'old', createdAt: at(0) }), testRecord({ id: 'mid', createdAt: at(20) }), testRecord({ id: 'dup', createdAt: at(25), status: 'completed' })]);
      s.control.add({ id: 'live1', createdAt: at(10), status: 'answered', number: '+1555*' });
      s.control.add({ id: 'live2', createdAt: at(30), status: 'ringing' });
      s.control.add({ id: 'dup', createdAt: at(25), status: 'answered' });
      const p = await page(s, '');
      expect(p.calls.map((c) => [c.id, c.live, c.status])).toEqual([
        ['live2', true, 'ringing'],
        ['dup', true, 'answered'],
        ['mid', false, 'completed'],
        ['live1', true, 'answered'],
        ['old', false, 'completed'],
      ]);
      expect(p.next).toBeNull();
      expect(p.link).toBeNull();
      expect(p.calls[2]).toMatchObject({ talkMs: 60_000, quality: { mos: 4.2 }, agent: { kind: 'url', target: 'ws://127.0.0.1:9/agent' }, routing: { source: 'config' } });
      expect((await page(s, '?status=answered')).calls.map((c) => c.id)).toEqual(['dup', 'live1']);
      expect((await page(s, '?status=completed')).calls.map((c) => c.id)).toEqual(['mid', 'old']);
    });

    it('pages by cursor across live and stored calls with equal createdAt, with a Link header; same filters on both', async () => {
      const { s, st } = await start();
      await insertRecords(st.db, ['s1', 's2', 's3', 's4', 's5'].map((id) => testRecord({ id, createdAt: at(5) })));
      await insertRecords(st.db, [testRecord({ id: 'uk', createdAt: at(5), number: '+44*' }), missedRecord({ id: 'miss', createdAt: at(1) })]);
      s.control.add({ id: 's35', createdAt: at(5), number: '+1555*' });
      s.control.add({ id: 'z-live', createdAt: at(5), number: '+44*' });
      const first = await page(s, '?limit=3&number=%2B1555*');
      expect(first.calls.map((c) => c.id)).toEqual(['s5', 's4', 's35']);
      expect(first.link).toBe(`</v1/calls?limit=3&number=%2B1555*&cursor=${first.next}>; rel="next"`);
      expect(await all(s, '?limit=3&number=%2B1555*')).toEqual(['s5', 's4', 's35', 's3', 's2', 's1', 'miss']);
      expect(await all(s, '?limit=2')).toEqual(['z-live', 'uk', 's5', 's4', 's35', 's3', 's2', 's1', 'miss']);
      expect(await all(s, `?limit=2&createdFrom=${encodeURIComponent(at(2))}&createdTo=${encodeURIComponent(at(6))}&number=%2B44*`)).toEqual(['z-live', 'uk']);
      expect(await all(s, '?disposition=no-answer')).toEqual(['miss']);
    });

    it('pages live and stored calls whose ids sort differently under en-US and byte order: none skipped or repeated', async () => {
      const { s, st } = await start();
      // Bytes: A1 Z _z a0 b m-1 m1 m_2 (the merge's and the cursor's order); en-US would put _z first and Z last.
      await insertRecords(st.db, ['A1', '_z', 'b', 'm1'].map((id) => testRecord({ id, createdAt: at(5) })));
      for (const id of ['Z', 'a0', 'm-1', 'm_2']) s.control.add({ id, createdAt: at(5) });
      const newestFirst = ['m_2', 'm1', 'm-1', 'b', 'a0', '_z', 'Z', 'A1'];
      expect((await page(s, '')).calls.map((c) => c.id)).toEqual(newestFirst);
      for (const limit of [1, 2, 3]) expect(await all(s, `?limit=${limit}`), `limit ${limit}`).toEqual(newestFirst);
    });

    it('a call that ends between two pages (live → stored, same key) is neither repeated nor skipped', async () => {
      const { s, st } = await start();
      await insertRecords(st.db, [testRecord({ id: 'a', createdAt: at(1) }), testRecord({ id: 'c', createdAt: at(3) })]);
      s.control.add({ id: 'b', createdAt: at(2) });
      s.control.add({ id: 'd', createdAt: at(4) });
      const first = await page(s, '?limit=2');
      expect(first.calls.map((c) => c.id)).toEqual(['d', 'c']);
      s.control.calls.delete('b'); // b ends; its record is written
      await insertRecords(st.db, [testRecord({ id: 'b', createdAt: at(2) })]);
      const second = await page(s, `?limit=2&cursor=${first.next}`);
      expect(second.calls.map((c) => [c.id, c.live])).toEqual([['b', false], ['a', false]]);
    });

    it('a call that just ended is listed from its summary until its record is stored, then once, by its record; same filters and cursor', async () => {
      const { s, st } = await start();
      await insertRecords(st.db, [testRecord({ id: 'a', createdAt: at(1) }), testRecord({ id: 'c', createdAt: at(3) })]);
      s.control.add({ id: 'b', createdAt: at(2), number: '+44*' });
      s.control.add({ id: 'd', createdAt: at(4) });
      s.control.add({ id: 'e', createdAt: at(5) });
      const first = await page(s, '?limit=1');
      s.control.end('b', { status: 'completed', disposition: 'completed', endReason: 'remote-bye', endedAt: at(9) });
      s.control.end('e', { status: 'failed', disposition: 'failed', endReason: 'error', endedAt: at(9) }); // shown already: not again
      expect((await page(s, '')).calls.map((c) => [c.id, c.live])).toEqual([['e', false], ['d', true], ['c', false], ['b', false], ['a', false]]);
      const rest: string[] = [];
      for (let cursor = first.next, i = 0; cursor !== null && i < 10; i++) {
        const p = await page(s, `?limit=1&cursor=${cursor}`);
        rest.push(...p.calls.map((c) => c.id));
        cursor = p.next;
      }
      expect(rest).toEqual(['d', 'c', 'b', 'a']);
      expect(await all(s, '?limit=2&number=%2B44*&status=completed')).toEqual(['b']);
      expect(await all(s, '?disposition=failed')).toEqual(['e']);
      expect(await all(s, `?createdTo=${encodeURIComponent(at(2))}`)).toEqual(['a']);
      // The record is stored: the same call, once, now with what only the record has.
      await insertRecords(st.db, [testRecord({ id: 'b', createdAt: at(2), number: '+44*' })]);
      for (const limit of [1, 2, 5]) expect(await all(s, `?limit=${limit}`)).toEqual(['e', 'd', 'c', 'b', 'a']);
      expect((await page(s, '?number=%2B44*')).calls).toMatchObject([{ id: 'b', live: false, talkMs: 60_000 }]);
    });

    it('bad cursors are 400 CURSOR_INVALID; contradicting ranges 400 FILTER_INVALID; bad limits VALIDATION_FAILED', async () => {
      const { s } = await start();
      for (const cursor of ['nope!', 'abc', Buffer.from('["v1","x","y"]').toString('base64url')]) {
        const res = await s.call(`/v1/calls?cursor=${encodeURIComponent(cursor)}`);
        expect(res.status).toBe(400);
        expect(await res.json()).toMatchObject({ code: 'CURSOR_INVALID' });
      }
      const range = await s.call(`/v1/calls?createdFrom=${encodeURIComponent(at(5))}&createdTo=${encodeURIComponent(at(5))}`);
      expect(await range.json()).toMatchObject({ status: 400, code: 'FILTER_INVALID' });
      for (const q of ['limit=0', 'limit=501', 'limit=x', 'format=xml', 'disposition=answered', 'createdFrom=yesterday', 'color=red']) {
        const res = await s.call(`/v1/calls?${q}`);
        expect(res.status, q).toBe(400);
        expect(await res.json(), q).toMatchObject({ code: 'VALIDATION_FAILED' });
      }
    });

    it('without a store it lists live and recently ended calls', async () => {
      server = await startTestServer();
      server.control.add({ id: 'l1', createdAt: at(1) });
      server.control.add({ id: 'l2', createdAt: at(2) });
      server.control.end('l2', { status: 'completed', disposition: 'completed', endedAt: at(3) });
      expect((await page(server, '')).calls.map((c) => [c.id, c.live])).toEqual([['l2', false], ['l1', true]]);
      expect((await server.call('/v1/analytics')).status).toBe(503);
    });

    it('a store that cannot be read is 503 STORE_UNAVAILABLE, and the log line carries no phone number', async () => {
      const lines: string[] = [];
      const logger = pino({ level: 'debug' }, new Writable({ write: (chunk: Buffer, _e, done) => (lines.push(chunk.toString()), done()) }));
      const { s, st } = await start({ logger });
      await st.db.destroy();
      const res = await s.call('/v1/calls?from=%2B15550100001&to=%2B15550100002');
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ code: 'STORE_UNAVAILABLE' });
      const csv = await s.call('/v1/calls?format=csv&from=%2B15550100001');
      expect(csv.status).toBe(503); // the first batch is read before the answer starts
      expect(lines.some((l) => l.includes('call history: store read failed'))).toBe(true);
      expect(lines.join('')).not.toMatch(/555010000/);
    });
  });

  describe('GET /v1/calls: exports', () => {
    it('CSV: a header row, RFC 4180 quoting, every matching call across batches (no page limit), live ones too', async () => {
      const { s, st } = await start();
      const many = Array.from({ length: 1203 }, (_, i) => testRecord({ id: `r${String(i).padStart(4, '0')}`, createdAt: at(i) }));
      await insertRecords(st.db, [...many, testRecord({ id: 'quoted', createdAt: at(5000), agent: { kind: 'openai-realtime', target: 'say "hi", then\nbye' } })]);
      s.control.add({ id: 'live', createdAt: at(6000), from: '+15550100009' });
      const res = await s.call('/v1/calls?format=csv&limit=1');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
      expect(res.headers.get('content-disposition')).toBe('attachment; filename="calls.csv"');
      const text = await res.text();
      const rows = parseCsv(text);
      expect(rows[0]).toEqual(CSV_COLUMNS.map(([n]) => n));
      expect(rows.length).toBe(1 + 1 + 1 + 1203);
      const col = (name: string): number => CSV_COLUMNS.findIndex(([n]) => n === name);
      expect(rows[1]?.[col('id')]).toBe('live');
      expect(rows[1]?.[col('from')]).toBe('+15550100009');
      expect(rows[1]?.[col('talk_ms')]).toBe('');
      expect(rows[2]?.[col('agent_target')]).toBe('say "hi", then\nbye');
      expect(rows[2]?.[col('agent_kind')]).toBe('adapter');
      expect(text).toContain('"say ""hi"", then\nbye"');
      expect(rows[3]?.[col('id')]).toBe('r1202');
      expect(rows.at(-1)?.[col('id')]).toBe('r0000');
      expect(rows.at(-1)?.[col('mos')]).toBe('4.2');
      expect(text.endsWith('\r\n')).toBe(true);
    });

    it('NDJSON by format or Accept: one record per line, filtered; Accept: application/json stays the page', async () => {
      const { s, st } = await start();
      await insertRecords(st.db, [testRecord({ id: 'a', createdAt: at(1) }), testRecord({ id: 'b', createdAt: at(2), number: '+44*' }), testRecord({ id: 'c', createdAt: at(3) })]);
      for (const init of [{ q: '?format=ndjson&number=%2B1555*', accept: undefined }, { q: '?number=%2B1555*', accept: 'application/x-ndjson' }]) {
        const res = await s.call(`/v1/calls${init.q}`, init.accept === undefined ? {} : { headers: { accept: init.accept } });
        expect(res.headers.get('content-type')).toBe('application/x-ndjson');
        const lines = (await res.text()).split('\n');
        expect(lines.pop()).toBe('');
        expect(lines.map((l) => (JSON.parse(l) as ApiCallRecord).id)).toEqual(['c', 'a']);
      }
      const csv = await s.call('/v1/calls', { headers: { accept: 'text/csv;q=0.9, application/x-ndjson;q=0.5' } });
      expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
      const json = await s.call('/v1/calls', { headers: { accept: 'application/json, text/csv' } });
      expect(((await json.json()) as Page).calls.length).toBe(3);
    });
  });

  describe('GET /v1/calls/{id}', () => {
    it('a live call: its summary; an ended one: the stored record with timeline and transcript; else the recently ended summary; else 404', async () => {
      const { s, st } = await start();
      const detail = withDetail(testRecord({ id: 'ended', turns: 2, turnLatencyMs: { p50: 500, p95: 700 } }), [{ at: at(0), type: 'created', data: {} }, ...turns(T0 + 2000, [500, 700])], [
        { at: at(3), role: 'agent', text: 'Hello!', final: true },
        { at: at(4), role: 'caller', text: 'Hi', final: false },
      ]);
      await insertRecords(st.db, [detail]);
      s.control.add({ id: 'up', status: 'answered' });
      s.control.add({ id: 'ended', status: 'completed', endedAt: at(61) }); // the registry's recent entry: the store wins
      s.control.add({ id: 'just-ended', status: 'completed', endedAt: at(61), disposition: 'completed' });

      const up = (await (await s.call('/v1/calls/up')).json()) as ApiCallDetail;
      expect(up).toMatchObject({ id: 'up', live: true, status: 'answered' });
      expect(up.timeline).toBeUndefined();

      const ended = (await (await s.call('/v1/calls/ended')).json()) as ApiCallDetail;
      expect(ended).toMatchObject({ id: 'ended', live: false, talkMs: 60_000, turnLatencyMs: { p50: 500, p95: 700 } });
      expect(ended.timeline?.map((e) => [e.type, e.data['latencyMs']])).toEqual([['created', undefined], ['turn', 500], ['turn', 700]]);
      expect(ended.transcript).toEqual(detail.transcript);

      const recent = (await (await s.call('/v1/calls/just-ended')).json()) as ApiCallDetail;
      expect(recent).toMatchObject({ id: 'just-ended', live: false, disposition: 'completed' });
      expect(recent.timeline).toBeUndefined();

      const missing = await s.call('/v1/calls/never');
      expect(missing.status).toBe(404);
      expect(await missing.json()).toMatchObject({ code: 'CALL_NOT_FOUND' });
    });
  });

  describe('GET /v1/analytics', () => {
    it('per number and period over HTTP, ISO bucket starts; FILTER_INVALID for a bad range', async () => {
      const { s, st } = await start();
      await insertRecords(st.db, [testRecord({ id: 'a', createdAt: at(0) }), missedRecord({ id: 'b', createdAt: at(60) }), testRecord({ id: 'c', createdAt: at(0), number: '+44*' })]);
      const res = await s.call(`/v1/analytics?number=%2B1555*&from=2026-03-02T00:00:00Z&to=2026-03-03T00:00:00Z&interval=day`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { from: string; interval: string; periods: Record<string, unknown>[] };
      expect(body).toMatchObject({ from: '2026-03-02T00:00:00.000Z', to: '2026-03-03T00:00:00.000Z', interval: 'day' });
      expect(body.periods).toEqual([
        expect.objectContaining({ number: '+1555*', start: '2026-03-02T00:00:00.000Z', calls: 2, answered: 1, answerRate: 0.5, talkMs: { avg: 60_000, p95: 60_000 }, mosAvg: 4.2 }),
      ]);
      const bad = await s.call('/v1/analytics?from=2026-03-03T00:00:00Z&to=2026-03-02T00:00:00Z');
      expect(await bad.json()).toMatchObject({ status: 400, code: 'FILTER_INVALID' });
      const tooMany = await s.call('/v1/analytics?from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z&interval=hour');
      expect(await tooMany.json()).toMatchObject({ status: 400, code: 'FILTER_INVALID' });
    });
  });

  describe('csvField', () => {
    it('quotes only what needs it', () => {
      expect([csvField('+15550100001'), csvField('a,b'), csvField('say "x"'), csvField('a\r\nb'), csvField(null), csvField(4.5), csvField(false)]).toEqual([
        '+15550100001',
        '"a,b"',
        '"say ""x"""',
        '"a\r\nb"',
        '',
        '4.5',
        'false',
      ]);
    });
  });

  /** A small RFC 4180 reader for the test (quoted fields may hold commas, quotes and line breaks). */
  function parseCsv(text: string): string[][] {
    const rows: string[][] = [];
    let row: string[] = [];
    let field = '';
    let quoted = false;
    for (let i = 0; i < text.length; i++) {
      const ch = text[i];
      if (quoted) {
        if (ch === '"' && text[i + 1] === '"') (field += '"'), i++;
        else if (ch === '"') quoted = false;
        else field += ch;
      } else if (ch === '"') quoted = true;
      else if (ch === ',') row.push(field), (field = '');
      else if (ch === '\r' && text[i + 1] === '\n') {
        row.push(field);
        rows.push(row);
        row = [];
        field = '';
        i++;
      } else field += ch;
    }
    return rows;
  }
});
