import { describe, expect, it } from 'vitest';
import { BargeInTracker, emptyBargeInCounts, type BargeInCounts } from '../src/load/barge-in-tracker.js';

const CYCLE = 100;
const ONSET = 50;
const SEND0 = 1_000;
/** The caller sent packet i at SEND0 + 20 i, for `sentPackets` packets. */
const sentUpTo = (sentPackets: number) => (i: number): number | undefined => (i < sentPackets ? SEND0 + i * 20 : undefined);
const onsetMs = (cycle: number): number => SEND0 + (cycle * CYCLE + ONSET) * 20;

/**
 * Feed agent packets arriving every 20 ms (offset 7 ms from the caller's sends) from `fromMs` to `toMs`; `talking(t)`
 * says whether the agent's packet arriving at t is speech.
 */
function run(talking: (arrivalMs: number) => boolean, toMs: number, sentPackets = 10 * CYCLE): { timed: number[]; counts: BargeInCounts } {
  const timed: number[] = [];
  const counts = emptyBargeInCounts();
  const tracker = new BargeInTracker({ cyclePackets: CYCLE, onsetPacket: ONSET, silentPeak: 100, gapPackets: 3 }, sentUpTo(sentPackets), counts, (ms) => timed.push(ms));
  for (let t = SEND0 + 7; t < toMs; t += 20) tracker.push(talking(t) ? 3_000 : 0, t);
  return { timed, counts };
}

describe('BargeInTracker', () => {
  it('times onset sent → last agent packet before the gap, once per cycle', () => {
    // The agent stops 90 ms after each onset and restarts 500 ms later.
    const talking = (t: number): boolean => {
      for (let k = 0; k < 10; k++) if (t >= onsetMs(k) + 90 && t < onsetMs(k) + 590) return false;
      return true;
    };
    const { timed, counts } = run(talking, onsetMs(3) - 100);
    // Packets arrive at ...+7 ms: the last one before +90 is at +87.
    expect(timed).toEqual([87, 87, 87]);
    expect(counts).toEqual({ timed: 3, agentSilent: 0, notStopped: 0 });
  });

  it('does not end the barge-in on one or two silent packets', () => {
    const talking = (t: number): boolean => !(t >= onsetMs(0) + 20 && t < onsetMs(0) + 60) && !(t >= onsetMs(0) + 200 && t < onsetMs(0) + 400);
    const { timed } = run(talking, onsetMs(0) + 1000);
    expect(timed).toEqual([187]);
  });

  it('counts onsets when the agent was silent, and onsets it never stopped for', () => {
    const silentAtFirst = run((t) => t >= onsetMs(0) + 300 && t < onsetMs(1) + 60, onsetMs(1) + 400);
    expect(silentAtFirst.timed).toEqual([47]);
    expect(silentAtFirst.counts).toEqual({ timed: 1, agentSilent: 1, notStopped: 0 });
    const neverStops = run(() => true, onsetMs(2) + 10);
    expect(neverStops.timed).toEqual([]);
    expect(neverStops.counts).toEqual({ timed: 0, agentSilent: 0, notStopped: 2 });
  });

  it('waits for the onset to be sent before judging anything', () => {
    const { timed, counts } = run(() => false, onsetMs(0) + 200, ONSET);
    expect(timed).toEqual([]);
    expect(counts).toEqual({ timed: 0, agentSilent: 0, notStopped: 0 });
  });
});
