/** For the call history's tests: call records written straight into a store with the contract's row mapping (records/rows.ts). */
import type { Kysely } from 'kysely';
import type { CallDetail, CallRecord, TimelineEntry, TranscriptLine } from '../../src/records/record.js';
import { recordToRow, timelineToRows, transcriptToRows } from '../../src/records/rows.js';
import type { Database } from '../../src/store/schema.js';

export const T0 = Date.parse('2026-03-02T10:00:00.000Z'); // a Monday

/** An answered inbound call of 60 s on `+1555*`, created at T0; override anything. */
export function testRecord(overrides: Partial<CallRecord> & Pick<CallRecord, 'id'>): CallRecord {
  const created = overrides.createdAt ?? new Date(T0).toISOString();
  const c = Date.parse(created);
  return {
    direction: 'inbound',
    status: 'completed',
    from: '+15550100001',
    to: '+15550100002',
    number: '+1555*',
    trunk: 'carrier',
    agent: { kind: 'websocket', target: 'ws://127.0.0.1:9/agent' },
    codec: 'PCMU',
    createdAt: created,
    ringingAt: new Date(c + 100).toISOString(),
    answeredAt: new Date(c + 1000).toISOString(),
    endedAt: new Date(c + 61_000).toISOString(),
    ringMs: 900,
    talkMs: 60_000,
    disposition: 'completed',
    sipStatus: 200,
    endReason: 'remote-bye',
    transfer: null,
    dtmfCount: 0,
    bargeIns: 0,
    turns: 0,
    turnLatencyMs: null,
    quality: { packetsExpected: 3000, packetsLost: 3, jitterMs: 1.5, mos: 4.2 },
    stages: { stt: null, llm: null, tts: null, realtime: null },
    recording: null,
    routing: { source: 'config', action: 'agent' },
    ...overrides,
  };
}

/** An unanswered call (no talk, no quality). */
export function missedRecord(overrides: Partial<CallRecord> & Pick<CallRecord, 'id'>): CallRecord {
  return testRecord({ status: 'no-answer', disposition: 'no-answer', answeredAt: null, talkMs: null, quality: null, sipStatus: 480, endReason: 'no-answer', ...overrides });
}

export async function insertRecords(db: Kysely<Database>, records: readonly (CallRecord | CallDetail)[]): Promise<void> {
  for (const r of records) {
    await db.insertInto('calls').values(recordToRow(stripDetail(r), 'gw-test')).execute();
    if ('timeline' in r && r.timeline.length > 0) await db.insertInto('call_events').values(timelineToRows(r.id, r.timeline)).execute();
    if ('transcript' in r && r.transcript.length > 0) await db.insertInto('call_transcripts').values(transcriptToRows(r.id, r.transcript)).execute();
  }
}

/** `turn` timeline entries with these latencies, one second apart from `at`. */
export function turns(at: number, latenciesMs: readonly number[]): TimelineEntry[] {
  return latenciesMs.map((latencyMs, i) => ({ at: new Date(at + i * 1000).toISOString(), type: 'turn', data: { index: i + 1, latencyMs } }));
}

export function withDetail(record: CallRecord, timeline: TimelineEntry[], transcript: TranscriptLine[] = []): CallDetail {
  return { ...record, timeline, transcript };
}

function stripDetail(r: CallRecord | CallDetail): CallRecord {
  if (!('timeline' in r)) return r;
  const { timeline: _t, transcript: _s, ...record } = r;
  return record;
}
