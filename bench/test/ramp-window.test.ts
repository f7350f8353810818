import { describe, expect, it } from 'vitest';
import type { Agent, AgentContext } from '@patchbay/agents';
import { countingAgent, type SentCounts } from '../src/agents/sent-counter.js';
import type { LoadSnapshot } from '../src/load/load-generator.js';
import { parseBusyTicks } from '../src/ramp/machine-cpu.js';
import { windowMeasures, type WindowFigures } from '../src/ramp/run-ramp.js';
import type { Distribution } from '../src/report/types.js';

const dist = (p99: number, count: number): Distribution => ({ count, p50: p99 / 2, p95: p99 * 0.9, p99, max: p99, mean: p99 / 2 });

function snap(over: { received?: number; expected?: number; echo?: number; notStopped?: number; failed?: number }): LoadSnapshot {
  return {
    atMs: 0,
    counters: { packetsSent: 0, packetsReceived: over.received ?? 0, packetsExpected: over.expected ?? 0, activeCalls: 100, srtpRefused: 0, markersDue: 0, markersBack: 0 },
    echoPacketsReceived: over.echo ?? 0,
    roundTrips: 0, turns: 0, bargeIns: 0, jitterSamples: 0,
    bargeInCounts: { timed: 0, agentSilent: 0, notStopped: over.notStopped ?? 0 },
    failed: over.failed ?? 0,
    endedByFarEnd: 0,
  };
}

function figures(over: Partial<WindowFigures> = {}): WindowFigures {
  return {
    start: { load: snap({ received: 1_000, expected: 1_000, echo: 900, notStopped: 1 }), lateTicks: 4, stalls: 1, echoSamplesSent: 480 * 1_000 },
    end: { load: snap({ received: 51_000, expected: 51_010, echo: 45_900, notStopped: 3 }), lateTicks: 9, stalls: 3, echoSamplesSent: 480 * 46_000 },
    failedCalls: 0,
    endedByGateway: 0,
    hops: { downlinkMs: dist(41.5, 44_000), uplinkProcessingMs: dist(0.8, 45_000) },
    samples: { roundTrip: [80, 90, 100], turn: [400], bargeIn: [60, 70], jitter: [0.5, 1, 1.5, 2] },
    coreShare: { gateway: 0.61234, agents: 0.2, loadGenerator: 0.3, machine: 1.5 },
    loadGeneratorLoopDelayP99Ms: 3.3,
    ...over,
  };
}

describe('windowMeasures', () => {
  it('diffs the two ends: delivered = echo packets received ÷ echo 20 ms frames sent, loss from sequence numbers, late ticks and missed barge-ins', () => {
    const m = windowMeasures(figures());
    expect(m.downlinkFramesSent).toBe(45_000);
    expect(m.downlinkPacketsReceived).toBe(45_000);
    expect(m.downlinkDeliveredPct).toBe(100);
    expect(m.lossPct).toBe(0.02); // 10 of 50,010
    expect(m.clockLateTicks).toBe(5);
    expect(m.clockStalls).toBe(2);
    expect(m.bargeInMissed).toBe(2);
    expect(m).toMatchObject({ downlinkP99Ms: 41.5, downlinkSamples: 44_000, uplinkProcessingP99Ms: 0.8, roundTripP99Ms: 100, roundTrips: 3, turns: 1, bargeIns: 2, jitterP99Ms: 2, jitterSamples: 4, gatewayCoreShare: 0.612 });
    expect(m.otherCores).toBe(0.388); // 1.5 busy cores less the gateway's, the agents' and the load generator's
  });

  it('shows a gateway that skips ticks as undelivered while RTP loss stays 0', () => {
    const m = windowMeasures(figures({
      start: { load: snap({ received: 0, expected: 0, echo: 0 }), lateTicks: 0, stalls: 0, echoSamplesSent: 0 },
      end: { load: snap({ received: 20_000, expected: 20_000, echo: 20_000 }), lateTicks: 0, stalls: 0, echoSamplesSent: 480 * 25_000 },
    }));
    expect(m.lossPct).toBe(0);
    expect(m.downlinkDeliveredPct).toBe(80);
  });

  it('leaves what it could not read as not measured (null), never as a passing 0', () => {
    const m = windowMeasures(figures({
      start: { load: snap({}), lateTicks: undefined, stalls: undefined, echoSamplesSent: undefined },
      hops: undefined,
      samples: { roundTrip: [], turn: [], bargeIn: [], jitter: [] },
    }));
    expect(m).toMatchObject({ clockLateTicks: null, clockStalls: null, downlinkDeliveredPct: null, downlinkP99Ms: null, downlinkSamples: 0, uplinkProcessingP99Ms: null, roundTripP99Ms: null, bargeInP95Ms: null, turnP50Ms: null, jitterP99Ms: null });
  });
});

describe('parseBusyTicks', () => {
  it('adds user, nice, system and steal of the machine\'s cpu line; idle, iowait and interrupts are not busy', () => {
    expect(parseBusyTicks('cpu  3073879 17127 1022332 3061780 14815 0 69083 5 0 0\ncpu0 1 2 3 4 5 6 7 8 9 10\n')).toBe(3073879 + 17127 + 1022332 + 5);
    expect(parseBusyTicks('intr 1 2 3\n')).toBe(0);
  });
});

describe('countingAgent', () => {
  it('adds every sample the agent sends to its count, passes it on, and stops counting once the call has ended', () => {
    const counts: SentCounts = {};
    const inner: Agent = { name: 'x', create: (ctx) => ({ onAudio: (f) => ctx.sendAudio(f.slice()), onMessage() {}, close() {} }) };
    const agent = countingAgent('echo', inner, counts);
    expect(counts).toEqual({ echo: 0 });
    const passed: number[] = [];
    const abort = new AbortController();
    const ctx = { start: {} as AgentContext['start'], signal: abort.signal, send() {}, sendAudio: (pcm: Int16Array) => passed.push(pcm.length) } satisfies AgentContext;
    const session = agent.create(ctx);
    session.onAudio(new Int16Array(480));
    session.onAudio(new Int16Array(480));
    expect(counts['echo']).toBe(960);
    expect(passed).toEqual([480, 480]);
    abort.abort();
    session.onAudio(new Int16Array(480));
    expect(counts['echo']).toBe(960);
  });
});
