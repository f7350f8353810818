import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CallEvents } from '../call/events.js';
import { silentLogger } from '../logger.js';
import { closeTestStores, testStoreEngines } from '../../test/support/test-stores.js';
import type { Store } from '../store/types.js';
import { CALL_RECORD_WRITE, applyCallRecord } from './applier.js';
import type { CallDetail } from './record.js';
import { rowsToTimeline, rowsToTranscript, rowToRecord } from './rows.js';
import { startRecords } from './start.js';
import { testCall } from '../call/testing.js';

const detail: CallDetail = {
  id: 'c-1',
  direction: 'inbound',
  status: 'completed',
  from: '+15550199999',
  to: '+15550100001',
  number: '+1555*',
  trunk: 'carrier',
  agent: { kind: 'websocket', target: 'ws://127.0.0.1:9000/agent' },
  codec: 'PCMU',
  createdAt: '2026-03-01T10:00:00.000Z',
  ringingAt: '2026-03-01T10:00:00.100Z',
  answeredAt: '2026-03-01T10:00:01.100Z',
  endedAt: '2026-03-01T10:00:11.100Z',
  ringMs: 1_000,
  talkMs: 10_000,
  disposition: 'completed',
  sipStatus: 200,
  endReason: 'remote-bye',
  transfer: { target: '+15550100999', outcome: 'failed' },
  dtmfCount: 2,
  bargeIns: 1,
  turns: 3,
  turnLatencyMs: { p50: 612.5, p95: 800 },
  quality: { packetsExpected: 500, packetsLost: 5, jitterMs: 3.1, mos: 4.25 },
  stages: { stt: 120, llm: 300, tts: 90.5, realtime: null },
  recording: null,
  routing: { source: 'webhook', url: 'https://route.example.com/voice', ms: 140, action: 'agent' },
  timeline: [
    { at: '2026-03-01T10:00:00.000Z', type: 'created', data: { direction: 'inbound' } },
    { at: '2026-03-01T10:00:01.100Z', type: 'answered', data: { codec: 'PCMU' } },
    { at: '2026-03-01T10:00:03.500Z', type: 'barge-in', data: { playedMs: 1_240, reactionMs: 62.5 } },
    { at: '2026-03-01T10:00:11.100Z', type: 'ended', data: { reason: 'remote-bye', disposition: 'completed', sipStatus: 200 } },
  ],
  transcript: [
    { at: '2026-03-01T10:00:02.100Z', role: 'caller', text: 'I need an appointment', final: true },
    { at: '2026-03-01T10:00:02.200Z', role: 'agent', text: 'Sure, which day?', final: false },
  ],
};

afterAll(closeTestStores, 20_000);

describe.each(testStoreEngines())('the call-record applier (against the real schema) on $name', ({ open }) => {
  let store: Store;
  beforeEach(async () => {
    store = await open();
  });
  afterEach(async () => {
    await store.close();
  });

  async function read(id: string) {
    const rows = await store.db.selectFrom('calls').selectAll().where('id', '=', id).execute();
    const events = await store.db.selectFrom('call_events').selectAll().where('call_id', '=', id).execute();
    const lines = await store.db.selectFrom('call_transcripts').selectAll().where('call_id', '=', id).execute();
    return { rows, events, lines };
  }

  it('writes the record, its timeline and transcript; the same record applied twice leaves one of each', async () => {
    store.writer.register(CALL_RECORD_WRITE, applyCallRecord);
    // Through JSON, as a spilled op would come back.
    const data = JSON.parse(JSON.stringify({ gatewayId: 'gw-a', record: detail })) as unknown;
    store.writer.enqueue({ kind: CALL_RECORD_WRITE, data });
    store.writer.enqueue({ kind: CALL_RECORD_WRITE, data });
    await store.flush();
    const { rows, events, lines } = await read('c-1');
    expect(rows).toHaveLength(1);
    expect(events).toHaveLength(4);
    expect(lines).toHaveLength(2);
    const row = rows[0];
    if (row === undefined) throw new Error('no row');
    expect(row.gateway_id).toBe('gw-a');
    const { timeline, transcript, ...record } = detail;
    expect(rowToRecord(row)).toEqual(record);
    expect(rowsToTimeline(events)).toEqual(timeline);
    expect(rowsToTranscript(lines)).toEqual(transcript);
    expect(store.stats()).toMatchObject({ applied: 2, failures: 0 });
  });

  it('a newer version of the record replaces the old one, rows past its length included', async () => {
    store.writer.register(CALL_RECORD_WRITE, applyCallRecord);
    store.writer.enqueue({ kind: CALL_RECORD_WRITE, data: { gatewayId: 'gw-a', record: detail } });
    const shorter: CallDetail = { ...detail, dtmfCount: 7, timeline: detail.timeline.slice(0, 2), transcript: [] };
    store.writer.enqueue({ kind: CALL_RECORD_WRITE, data: { gatewayId: 'gw-a', record: shorter } });
    await store.flush();
    const { rows, events, lines } = await read('c-1');
    expect(rows.map((r) => r.dtmf_count)).toEqual([7]);
    expect(rowsToTimeline(events)).toEqual(detail.timeline.slice(0, 2));
    expect(lines).toEqual([]);
  });

  it('refuses an op that is not a record (its code names why)', async () => {
    await expect(store.db.transaction().execute((trx) => applyCallRecord(trx, { gatewayId: 'gw-a', record: { id: 'x' } }))).rejects.toMatchObject({ code: 'RECORD_WRITE_INVALID' });
    await expect(store.db.transaction().execute((trx) => applyCallRecord(trx, 'nonsense'))).rejects.toMatchObject({ code: 'RECORD_WRITE_INVALID' });
  });

  it('startRecords queues each finished record on the store', async () => {
    const events = new CallEvents();
    const records = startRecords({ events, store, gatewayId: 'gw-b', logger: silentLogger });
    const heard: string[] = [];
    records.onRecord((d) => void heard.push(d.id));
    const call = testCall({ id: 'c-2' });
    events.emit({ type: 'created', call });
    call.times.endedAt = call.times.createdAt + 5;
    events.emit({ type: 'ended', call, reason: 'cancelled', sipStatus: 487, disposition: 'canceled', durations: { totalMs: 5, ringMs: undefined, talkMs: undefined } });
    await store.flush();
    const { rows, events: timeline } = await read('c-2');
    expect(heard).toEqual(['c-2']);
    expect(rows.map((r) => [r.status, r.sip_status, r.end_reason, r.gateway_id])).toEqual([['canceled', 487, 'cancelled', 'gw-b']]);
    expect(timeline.map((e) => e.type)).toEqual(['created', 'routed', 'ended']);
    records.close();
  });
});
