import { describe, expect, it } from 'vitest';
import { TurnTrace, type BargeInRecord, type MediaTraceEvent, type TurnRecord } from './turn-trace.js';

const epoch = (perf: number): number => performance.timeOrigin + perf;

function harness(): { trace: TurnTrace; events: MediaTraceEvent[]; turns: () => TurnRecord[] } {
  const events: MediaTraceEvent[] = [];
  return { trace: new TurnTrace((e) => events.push(e)), events, turns: () => events.filter((e): e is TurnRecord => e.kind === 'turn') };
}

describe('TurnTrace: one plain-data record per turn', () => {
  it('times the turn’s last caller packet, its first agent chunk and the stage reports in between, in epoch ms', () => {
    const { trace, turns } = harness();
    // Caller packets every 20 ms: arrival, then released, decoded and sent a little later.
    for (let i = 0; i < 40; i++) {
      const arrival = 1000 + 20 * i;
      trace.uplink([arrival], arrival + 0.1, arrival + 0.3, arrival + 0.4);
    }
    trace.stage('stt', 50, 1500); // before the caller stopped: an earlier utterance's
    // The detector decided at 1900 that speech ended with the packet that arrived at 1580.
    trace.speechEnded(1580);
    expect(trace.awaitingAnswer).toBe(true);
    trace.stage('stt', 120, 1950);
    trace.stage('llm', 300, 2250);
    trace.stage('tts', 80, 2340);
    trace.answered({ receivedMs: 2345, takenMs: 2385, encodedMs: 2385.2, sentMs: 2385.3 });
    expect(trace.awaitingAnswer).toBe(false);

    const [turn, ...rest] = turns();
    expect(rest).toEqual([]);
    expect(turn).toEqual({
      kind: 'turn',
      index: 1,
      startMs: epoch(1580),
      endMs: epoch(2385.3),
      uplink: { arrivalMs: epoch(1580), releasedMs: epoch(1580.1), decodedMs: epoch(1580.3), sentMs: epoch(1580.4) },
      downlink: { receivedMs: epoch(2345), takenMs: epoch(2385), encodedMs: epoch(2385.2), sentMs: epoch(2385.3) },
      stages: [
        { stage: 'stt', ms: 120, atMs: epoch(1950) },
        { stage: 'llm', ms: 300, atMs: epoch(2250) },
        { stage: 'tts', ms: 80, atMs: epoch(2340) },
      ],
    });
  });

  it('agent audio with no turn open makes no record; a newer end of speech replaces an unanswered one', () => {
    const { trace, turns } = harness();
    trace.answered({ receivedMs: 1, takenMs: 2, encodedMs: 3, sentMs: 4 });
    expect(turns()).toEqual([]);
    trace.uplink([100, 120], 121, 122, 123);
    trace.speechEnded(100);
    trace.speechEnded(120);
    trace.answered({ receivedMs: 500, takenMs: 540, encodedMs: 541, sentMs: 542 });
    trace.speechEnded(999); // its packet's passage was never seen (or left the ring): no uplink part
    trace.answered({ receivedMs: 1500, takenMs: 1540, encodedMs: 1541, sentMs: 1542 });
    const [first, second] = turns();
    expect(first).toMatchObject({ index: 1, startMs: epoch(120), uplink: { arrivalMs: epoch(120), sentMs: epoch(123) } });
    expect(second).toMatchObject({ index: 2, startMs: epoch(999), uplink: undefined, stages: [] });
  });

  it('remembers only the recent packets, and holds a bounded number of stage reports', () => {
    const { trace, turns } = harness();
    for (let i = 0; i < 1000; i++) trace.uplink([i], i, i, i);
    trace.speechEnded(5); // long gone from the ring
    for (let i = 0; i < 100; i++) trace.stage('llm', 1, 10 + i);
    trace.answered({ receivedMs: 200, takenMs: 200, encodedMs: 200, sentMs: 200 });
    const [turn] = turns();
    expect(turn?.uplink).toBeUndefined();
    expect(turn?.stages.length).toBe(16);
    expect(turn?.stages[0]?.atMs).toBe(epoch(10 + 84));
  });

  it('reports a barge-in with its reaction time and the turn whose answer it cut', () => {
    const { trace, events } = harness();
    trace.speechEnded(0);
    trace.answered({ receivedMs: 10, takenMs: 50, encodedMs: 51, sentMs: 52 });
    trace.bargeIn(3000, 3085.5);
    const barge = events.find((e): e is BargeInRecord => e.kind === 'barge-in');
    expect(barge).toEqual({ kind: 'barge-in', atMs: epoch(3000), reactionMs: 85.5, turnIndex: 1 });
  });
});
