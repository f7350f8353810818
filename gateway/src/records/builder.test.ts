import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Call } from '../call/call.js';
import { CallEvents } from '../call/events.js';
import { testCall } from '../call/testing.js';
import type { BargeInStats } from '../media/barge-in.js';
import type { CallQuality } from '../media/call-quality.js';
import type { MediaTimelineEvent } from '../media/timeline.js';
import { silentLogger } from '../logger.js';
import { RecordBuilder } from './builder.js';
import { percentile } from './call-accumulator.js';
import type { CallDetail } from './record.js';

const T0 = Date.parse('2026-03-01T10:00:00.000Z');
const NO_BARGE_IN: BargeInStats = { onsets: 0, confirmedByConfirmer: 0, rejectedByConfirmer: 0, interruptions: 1, falseBargeIns: 0, reactionMs: [], staleDroppedMs: 0 };
const QUALITY: CallQuality = { codec: 'PCMU', durationMs: 10_000, packetsExpected: 500, packetsLost: 5, jitterMs: 3.14159, oneWayDelayMs: 120, jitterBufferDepthMs: 20 };

/** The records' clock for entries whose events carry no time (transfers, media-ended): set by each test. */
let clock = T0;

function setup(options: { mediaWaitMs?: number; limits?: { maxTimeline: number; maxTranscript: number } } = {}) {
  const events = new CallEvents((err) => {
    throw err;
  });
  const records: CallDetail[] = [];
  const builder = new RecordBuilder({ events, logger: silentLogger, sink: (d) => void records.push(d), now: () => clock, ...options });
  return { events, records, builder };
}

function answeredCall(id = 'call-1'): Call {
  const call = testCall({ id, rtpPort: 20_000 });
  return { ...call, times: { createdAt: T0, ringingAt: undefined, answeredAt: undefined, endedAt: undefined } };
}

/** A call through admission, agent, ringing and answer. */
function start(events: CallEvents, call: Call): void {
  events.emit({ type: 'created', call });
  events.emit({ type: 'agent-connect', call, report: { startMs: T0 + 10, endMs: T0 + 60, outcome: 'connected' } });
  call.times.ringingAt = T0 + 100;
  events.emit({ type: 'ringing', call });
  call.times.answeredAt = T0 + 1_100;
  call.sipStatus = 200;
  events.emit({ type: 'answered', call });
}

function media(events: CallEvents, call: Call, list: MediaTimelineEvent[]): void {
  for (const event of list) events.emit({ type: 'media-timeline', callId: call.id, event });
}

function end(events: CallEvents, call: Call, endedAt = T0 + 11_100): void {
  call.times.endedAt = endedAt;
  call.state = 'ended';
  call.endReason = 'remote-bye';
  const talkMs = call.times.answeredAt === undefined ? undefined : endedAt - call.times.answeredAt;
  events.emit({ type: 'ended', call, reason: 'remote-bye', sipStatus: call.sipStatus, disposition: 'completed', durations: { totalMs: endedAt - T0, ringMs: 1_000, talkMs } });
}

function mediaEnded(events: CallEvents, call: Call, quality: CallQuality | null = QUALITY): void {
  events.emit({ type: 'media-ended', callId: call.id, pattern: '*', bargeIn: NO_BARGE_IN, quality: quality ?? undefined });
}

afterEach(() => {
  vi.useRealTimers();
});

describe('RecordBuilder', () => {
  it('builds every field of an answered call from its lifecycle and media timeline', () => {
    const { events, records, builder } = setup();
    const call = answeredCall();
    start(events, call);
    media(events, call, [
      { type: 'turn', atMs: T0 + 2_000, index: 1, latencyMs: 400 },
      { type: 'stage', atMs: T0 + 2_000, stage: 'llm', ms: 300 },
      { type: 'stage', atMs: T0 + 2_001, stage: 'llm', ms: 500 },
      { type: 'stage', atMs: T0 + 2_002, stage: 'tts', ms: 90 },
      { type: 'transcript', atMs: T0 + 2_100, role: 'caller', text: 'I need an appointment', final: true },
      { type: 'transcript', atMs: T0 + 2_200, role: 'agent', text: 'Sure, which day?', final: true },
      { type: 'mark', atMs: T0 + 3_000, name: 'greeting', played: true },
      { type: 'barge-in', atMs: T0 + 3_500, playedMs: 1_240, reactionMs: 62.5 },
      { type: 'mark', atMs: T0 + 3_501, name: 'reply', played: false },
      { type: 'turn', atMs: T0 + 5_000, index: 2, latencyMs: 600 },
      { type: 'turn', atMs: T0 + 7_000, index: 3, latencyMs: 800 },
      { type: 'dtmf', atMs: T0 + 8_000, digit: '4', direction: 'in' },
      { type: 'dtmf', atMs: T0 + 8_200, digit: '2', direction: 'in' },
      { type: 'dtmf', atMs: T0 + 8_400, digit: '9', direction: 'out' },
      { type: 'agent-error', atMs: T0 + 9_000, code: 'transfer_failed' },
    ]);
    clock = T0 + 9_500;
    events.emit({ type: 'transfer-requested', call, target: '+15550100999' });
    clock = T0 + 9_600;
    events.emit({ type: 'transfer-failed', call, target: '+15550100999', message: 'REFER answered 403 Forbidden' });
    end(events, call);
    expect(records, 'not before the media reported').toHaveLength(0);
    expect(builder.pending).toBe(1);
    clock = T0 + 11_200;
    mediaEnded(events, call);

    expect(records).toHaveLength(1);
    expect(builder.pending).toBe(0);
    const r = records[0];
    if (r === undefined) throw new Error('no record');
    expect(r).toMatchObject({
      id: 'call-1',
      direction: 'inbound',
      status: 'completed',
      from: '+15550199999',
      to: '+15550100001',
      number: '*',
      trunk: null,
      agent: { kind: 'echo', target: 'echo' },
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
      turnLatencyMs: { p50: 600, p95: 800 },
      stages: { stt: null, llm: 300, tts: 90, realtime: null },
      recording: null,
      routing: { source: 'config', action: 'agent' },
    });
    expect(r.quality?.packetsExpected).toBe(500);
    expect(r.quality?.packetsLost).toBe(5);
    expect(r.quality?.jitterMs).toBe(3.1);
    expect(r.quality?.mos).toBeGreaterThan(3.5);
    expect(r.quality?.mos).toBeLessThanOrEqual(4.5);
    expect(r.transcript).toEqual([
      { at: '2026-03-01T10:00:02.100Z', role: 'caller', text: 'I need an appointment', final: true },
      { at: '2026-03-01T10:00:02.200Z', role: 'agent', text: 'Sure, which day?', final: true },
    ]);
    expect(r.timeline.map((e) => e.type)).toEqual([
      'created', 'routed', 'agent-connected', 'ringing', 'answered', 'turn', 'transcript', 'transcript', 'mark', 'barge-in', 'mark', 'turn', 'turn',
      'dtmf', 'dtmf', 'dtmf', 'agent-error', 'transfer', 'transfer', 'ended', 'media-ended',
    ]);
    const byType = (type: string) => r.timeline.filter((e) => e.type === type).map((e) => e.data);
    expect(byType('barge-in')).toEqual([{ playedMs: 1_240, reactionMs: 62.5 }]);
    expect(byType('mark')).toEqual([{ name: 'greeting', played: true }, { name: 'reply', played: false }]);
    expect(byType('transcript')).toEqual([{ role: 'caller', final: true, line: 0 }, { role: 'agent', final: true, line: 1 }]);
    expect(byType('agent-connected')).toEqual([{ connectMs: 50 }]);
    expect(byType('transfer')).toEqual([
      { target: '+15550100999', outcome: 'requested' },
      { target: '+15550100999', outcome: 'failed', message: 'REFER answered 403 Forbidden' },
    ]);
    expect(byType('ended')).toEqual([{ reason: 'remote-bye', disposition: 'completed', sipStatus: 200 }]);
  });

  it('a transfer that succeeds is accepted; media-ended before ended (the local plane) completes the record at ended', () => {
    const { events, records } = setup();
    const call = answeredCall();
    start(events, call);
    events.emit({ type: 'transfer-requested', call, target: 'sip:desk@example.com' });
    mediaEnded(events, call);
    expect(records).toHaveLength(0);
    events.emit({ type: 'transferred', call });
    end(events, call);
    expect(records).toHaveLength(1);
    expect(records[0]?.transfer).toEqual({ target: 'sip:desk@example.com', outcome: 'accepted' });
    expect(records[0]?.quality?.packetsExpected).toBe(500);
  });

  it('a late media-ended within the wait is used; a missing one finishes the record without quality after the wait', () => {
    vi.useFakeTimers();
    const { events, records, builder } = setup({ mediaWaitMs: 5_000 });
    const late = answeredCall('late');
    const never = answeredCall('never');
    start(events, late);
    start(events, never);
    end(events, late);
    end(events, never);
    vi.advanceTimersByTime(4_000);
    mediaEnded(events, late);
    expect(records.map((r) => r.id)).toEqual(['late']);
    expect(records[0]?.quality).not.toBeNull();
    vi.advanceTimersByTime(999);
    expect(records).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(records.map((r) => r.id)).toEqual(['late', 'never']);
    expect(records[1]?.quality).toBeNull();
    expect(records[1]?.timeline.map((e) => e.type)).not.toContain('media-ended');
    expect(builder.stats).toMatchObject({ finished: 2, withoutMedia: 1 });
    // A report after the record was finished changes nothing and keeps nothing.
    mediaEnded(events, never);
    media(events, never, [{ type: 'turn', atMs: T0, index: 1, latencyMs: 1 }]);
    expect(records).toHaveLength(2);
    expect(builder.pending).toBe(0);
  });

  it('a call whose media never opened (no RTP port) finishes at ended; media that never started gives no quality', () => {
    const { events, records } = setup();
    const refused = testCall({ id: 'refused' });
    events.emit({ type: 'created', call: refused });
    refused.sipStatus = 503;
    events.emit({ type: 'agent-connect', call: refused, report: { startMs: T0, endMs: T0 + 2_000, outcome: 'unreachable', failure: { code: 'AGENT_TIMEOUT', message: 'timed out' } } });
    refused.times.endedAt = refused.times.createdAt + 2_000;
    events.emit({ type: 'ended', call: refused, reason: 'error', sipStatus: 503, disposition: 'failed', durations: { totalMs: 2_000, ringMs: undefined, talkMs: undefined } });
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ id: 'refused', status: 'failed', disposition: 'failed', sipStatus: 503, endReason: 'error', answeredAt: null, ringMs: null, talkMs: null, quality: null, turnLatencyMs: null, transfer: null });
    expect(records[0]?.timeline.find((e) => e.type === 'agent-failed')?.data).toEqual({ code: 'AGENT_TIMEOUT', outcome: 'unreachable', connectMs: 2_000 });

    const silent = answeredCall('silent');
    start(events, silent);
    end(events, silent);
    mediaEnded(events, silent, null);
    expect(records[1]).toMatchObject({ id: 'silent', quality: null });
  });

  it('caps the timeline and the transcript, counts what was cut and says so in the ended entry', () => {
    const { events, records } = setup({ limits: { maxTimeline: 6, maxTranscript: 2 } });
    const call = answeredCall();
    start(events, call); // created, routed (the plan's routing), agent-connected, ringing, answered: 5 entries
    const lines: MediaTimelineEvent[] = [];
    for (let i = 0; i < 5; i++) lines.push({ type: 'transcript', atMs: T0 + 2_000 + i, role: 'caller', text: `line ${i}`, final: true });
    for (let i = 0; i < 10; i++) lines.push({ type: 'turn', atMs: T0 + 3_000 + i, index: i + 1, latencyMs: 100 + i });
    media(events, call, lines);
    end(events, call);
    mediaEnded(events, call);
    const r = records[0];
    if (r === undefined) throw new Error('no record');
    expect(r.transcript.map((l) => l.text)).toEqual(['line 0', 'line 1']);
    // 5 + 1 transcript entry fill the cap; 4 more transcript entries and 10 turns are cut; ended and media-ended always stay.
    expect(r.timeline.map((e) => e.type)).toEqual(['created', 'routed', 'agent-connected', 'ringing', 'answered', 'transcript', 'ended', 'media-ended']);
    expect(r.timeline.find((e) => e.type === 'ended')?.data['cut']).toEqual({ timeline: 14, transcript: 3 });
    // Counters are not capped.
    expect(r.turns).toBe(10);
    expect(r.turnLatencyMs).toEqual({ p50: 104, p95: 109 });
  });

  it('tells every listener; one that throws is counted and the rest still hear; unsubscribed ones do not', () => {
    const { events, records, builder } = setup();
    const heard: string[] = [];
    builder.onRecord(() => {
      throw new Error('listener failed');
    });
    const off = builder.onRecord((d) => void heard.push(`b:${d.id}`));
    builder.onRecord((d) => void heard.push(`c:${d.id}`));
    const one = answeredCall('one');
    start(events, one);
    mediaEnded(events, one);
    end(events, one);
    off();
    const two = answeredCall('two');
    start(events, two);
    mediaEnded(events, two);
    end(events, two);
    expect(heard).toEqual(['b:one', 'c:one', 'c:two']);
    expect(records).toHaveLength(2);
    expect(builder.stats.listenerErrors).toBe(2);
  });

  it('close() finishes the calls waiting for their media and stops listening', () => {
    const { events, records, builder } = setup();
    const call = answeredCall();
    start(events, call);
    end(events, call);
    builder.close();
    expect(records.map((r) => r.id)).toEqual(['call-1']);
    const after = answeredCall('after');
    start(events, after);
    mediaEnded(events, after);
    end(events, after);
    expect(records).toHaveLength(1);
    expect(builder.pending).toBe(0);
  });
});

describe('percentile', () => {
  it('is the nearest rank, to 0.1 ms', () => {
    expect(percentile([5], 95)).toBe(5);
    expect(percentile([1, 2, 3, 4], 50)).toBe(2);
    expect(percentile([3, 1, 2, 4, 5, 6, 7, 8, 9, 10.04], 95)).toBe(10);
    expect(percentile(Array.from({ length: 100 }, (_, i) => i + 1), 95)).toBe(95);
  });
});
