import { describe, expect, it } from 'vitest';
import {
  BARGE_IN_P95_LIMIT_MS, describeCheck, describeVerdict, FIRST_STEP_MARGIN_MS, JITTER_P99_LIMIT_MS, judgeStep,
  MAX_CLOCK_STALLS, MAX_LOAD_GENERATOR_LOOP_DELAY_P99_MS, MAX_OTHER_CORES, MIN_DOWNLINK_DELIVERED_PCT, RAMP_BOUNDS, SATURATED_CORE_SHARE, UPLINK_PROCESSING_P99_LIMIT_MS, type RampBoundId,
} from '../src/ramp/bounds.js';
import { rampCapacity } from '../src/ramp/capacity.js';
import type { RampMeasures } from '../src/report/types.js';
import { healthy, step } from './ramp-fixture.js';

const first = healthy();

/** For every bound: a figure just inside it and one just outside, with the first step above as the baseline. */
const EDGES: Record<RampBoundId, { readonly inside: Partial<RampMeasures>; readonly outside: Partial<RampMeasures> }> = {
  failedCalls: { inside: { failedCalls: 0 }, outside: { failedCalls: 1 } },
  endedByGateway: { inside: { endedByGateway: 0 }, outside: { endedByGateway: 2 } },
  loss: { inside: { lossPct: 0 }, outside: { lossPct: 0.001 } },
  uplinkProcessingP99: { inside: { uplinkProcessingP99Ms: UPLINK_PROCESSING_P99_LIMIT_MS }, outside: { uplinkProcessingP99Ms: UPLINK_PROCESSING_P99_LIMIT_MS + 0.01 } },
  downlinkDelivered: { inside: { downlinkDeliveredPct: MIN_DOWNLINK_DELIVERED_PCT }, outside: { downlinkDeliveredPct: MIN_DOWNLINK_DELIVERED_PCT - 0.01 } },
  downlinkP99: { inside: { downlinkP99Ms: 42 + FIRST_STEP_MARGIN_MS }, outside: { downlinkP99Ms: 42 + FIRST_STEP_MARGIN_MS + 0.1 } },
  roundTripP99: { inside: { roundTripP99Ms: 95 + FIRST_STEP_MARGIN_MS }, outside: { roundTripP99Ms: 95 + FIRST_STEP_MARGIN_MS + 0.1 } },
  jitterP99: { inside: { jitterP99Ms: JITTER_P99_LIMIT_MS }, outside: { jitterP99Ms: JITTER_P99_LIMIT_MS + 0.01 } },
  bargeInP95: { inside: { bargeInP95Ms: BARGE_IN_P95_LIMIT_MS }, outside: { bargeInP95Ms: BARGE_IN_P95_LIMIT_MS + 0.1 } },
  bargeInMissed: { inside: { bargeInMissed: 0 }, outside: { bargeInMissed: 1 } },
  clockStalls: { inside: { clockStalls: MAX_CLOCK_STALLS }, outside: { clockStalls: MAX_CLOCK_STALLS + 1 } },
};

describe('judgeStep', () => {
  it('reports the media clock\'s late ticks but does not judge on them (2 ms ticks: sub-packet lateness); judges stalls', () => {
    expect(RAMP_BOUNDS.map((b) => b.id)).not.toContain('clockLateTicks');
    expect(judgeStep(healthy({ clockLateTicks: 500 }), first).verdict).toEqual({ kind: 'held' });
  });

  it('holds a step that meets every bound, and lists every bound in table order', () => {
    const j = judgeStep(first, first);
    expect(j.verdict).toEqual({ kind: 'held' });
    expect(j.checks.map((c) => c.bound)).toEqual(RAMP_BOUNDS.map((b) => b.id));
    expect(j.checks.every((c) => c.pass)).toBe(true);
  });

  it('has an edge case for every bound in the table', () => {
    expect(Object.keys(EDGES).sort()).toEqual(RAMP_BOUNDS.map((b) => b.id).sort());
  });

  for (const [id, edge] of Object.entries(EDGES) as [RampBoundId, (typeof EDGES)[RampBoundId]][]) {
    it(`${id}: holds at its limit, fails just past it (that bound alone)`, () => {
      expect(judgeStep(healthy(edge.inside), first).verdict).toEqual({ kind: 'held' });
      const j = judgeStep(healthy(edge.outside), first);
      expect(j.verdict).toEqual({ kind: 'failed', failed: [id] });
      expect(j.checks.find((c) => c.bound === id)?.pass).toBe(false);
    });
  }

  it('lists every failing bound, not only the first', () => {
    const bad = healthy({ downlinkDeliveredPct: 40, downlinkP99Ms: 1_078, jitterP99Ms: 30, clockLateTicks: 57, bargeInP95Ms: 528 });
    expect(judgeStep(bad, first).verdict).toEqual({ kind: 'failed', failed: ['downlinkDelivered', 'downlinkP99', 'jitterP99', 'bargeInP95'] });
  });

  it('bounds downlink and round-trip p99 by the FIRST step\'s, not by a fixed figure', () => {
    const slowFirst = healthy({ downlinkP99Ms: 200, roundTripP99Ms: 300 });
    expect(judgeStep(healthy({ downlinkP99Ms: 215, roundTripP99Ms: 310 }), slowFirst).verdict.kind).toBe('held');
    const j = judgeStep(healthy({ downlinkP99Ms: 215, roundTripP99Ms: 310 }), first);
    expect(j.verdict).toEqual({ kind: 'failed', failed: ['downlinkP99', 'roundTripP99'] });
    expect(j.checks.find((c) => c.bound === 'downlinkP99')?.limit).toBe(42 + FIRST_STEP_MARGIN_MS);
  });

  it('fails a bounded figure that was not measured in the window (no sample, no first-step baseline)', () => {
    const none = healthy({ roundTripP99Ms: null, bargeInP95Ms: null, clockLateTicks: null, clockStalls: null, downlinkDeliveredPct: null, uplinkProcessingP99Ms: null });
    expect(judgeStep(none, first).verdict).toEqual({ kind: 'failed', failed: ['uplinkProcessingP99', 'downlinkDelivered', 'roundTripP99', 'bargeInP95', 'clockStalls'] });
    // The first step had no downlink figure: later steps have no limit, and fail rather than hold unbounded.
    expect(judgeStep(healthy(), healthy({ downlinkP99Ms: null })).verdict).toEqual({ kind: 'failed', failed: ['downlinkP99'] });
  });

  it('is not measurable when the agents or the load generator saturate, never held, whatever the bounds say', () => {
    expect(judgeStep(healthy({ agentsCoreShare: SATURATED_CORE_SHARE }), first).verdict).toEqual({ kind: 'not-measurable', saturated: ['agents'], causes: ['agentsCpu'] });
    expect(judgeStep(healthy({ loadGeneratorCoreShare: 0.97 }), first).verdict).toEqual({ kind: 'not-measurable', saturated: ['load-generator'], causes: ['loadGeneratorCpu'] });
    const both = judgeStep(healthy({ agentsCoreShare: 0.9, loadGeneratorCoreShare: 0.9, jitterP99Ms: 50 }), first);
    expect(both.verdict).toEqual({ kind: 'not-measurable', saturated: ['agents', 'load-generator'], causes: ['agentsCpu', 'loadGeneratorCpu'] });
    expect(both.checks.find((c) => c.bound === 'jitterP99')?.pass).toBe(false); // still reported
    expect(judgeStep(healthy({ agentsCoreShare: SATURATED_CORE_SHARE - 0.001 }), first).verdict.kind).toBe('held');
    // Starved below a full core (a shared machine): the load generator's own timer runs late.
    expect(judgeStep(healthy({ loadGeneratorLoopDelayP99Ms: MAX_LOAD_GENERATOR_LOOP_DELAY_P99_MS, jitterP99Ms: 153 }), first).verdict)
      .toEqual({ kind: 'not-measurable', saturated: ['load-generator'], causes: ['loadGeneratorLoopDelay'] });
    expect(judgeStep(healthy({ loadGeneratorLoopDelayP99Ms: MAX_LOAD_GENERATOR_LOOP_DELAY_P99_MS - 0.1 }), first).verdict.kind).toBe('held');
    // Neighbours on a shared machine: the gateway competed with them, so the step measured them.
    expect(judgeStep(healthy({ otherCores: MAX_OTHER_CORES, downlinkDeliveredPct: 21 }), first).verdict)
      .toEqual({ kind: 'not-measurable', saturated: ['other-processes'], causes: ['otherProcessesCpu'] });
    expect(judgeStep(healthy({ otherCores: MAX_OTHER_CORES - 0.01 }), first).verdict.kind).toBe('held');
    // The gateway's own CPU is what is measured, never a reason to call a step unmeasurable.
    expect(judgeStep(healthy({ gatewayCoreShare: 1.0 }), first).verdict.kind).toBe('held');
  });

  it('says which bound failed and by how much, and which process saturated', () => {
    const m = healthy({ downlinkP99Ms: 1_078, downlinkDeliveredPct: 5.5 });
    const j = judgeStep(m, first);
    const text = describeVerdict(j.verdict, j.checks, m);
    expect(text).toBe('failed: downlink delivered 5.50 % < 99 %; downlink whole-hop p99 1078 ms > 62 ms (first step + 20 ms)');
    const sat = healthy({ loadGeneratorCoreShare: 0.91 });
    const js = judgeStep(sat, first);
    expect(describeVerdict(js.verdict, js.checks, sat)).toBe('not measurable: load generator CPU 91 % of a core (≥ 85 % of a core)');
    const late = healthy({ loadGeneratorLoopDelayP99Ms: 58 });
    const jl = judgeStep(late, first);
    expect(describeVerdict(jl.verdict, jl.checks, late)).toBe('not measurable: load generator event-loop delay p99 58.0 ms (≥ 30.0 ms)');
    expect(describeCheck({ bound: 'roundTripP99', measured: null, limit: 115, pass: false })).toBe('echo round trip p99: not measured in the window');
    expect(describeCheck({ bound: 'jitterP99', measured: 14.2, limit: 10, pass: false })).toBe('caller jitter p99 14.20 ms > 10 ms');
  });
});

describe('rampCapacity', () => {
  it('is the last step held, limited by the failing bounds of the next step with the gateway\'s CPU named', () => {
    const steps = [
      step(50, first),
      step(100, healthy({ gatewayCoreShare: 0.7 }), first, 3.1),
      step(150, healthy({ gatewayCoreShare: 0.99, downlinkP99Ms: 400, jitterP99Ms: 14 }), first),
    ];
    const c = rampCapacity('PCMU', steps, 500);
    expect(c).toMatchObject({ codec: 'PCMU', maxHeld: 100, cpuMsPerCallSecondAtHeld: 3.1 });
    expect(c.limit).toBe('downlink whole-hop p99, caller jitter p99 at 150 calls; gateway CPU (99 % of a core)');
    expect(c.steps).toHaveLength(3);
  });

  it('names a saturated measuring process, and holds nothing past it', () => {
    const c = rampCapacity('opus', [step(50, first), step(100, healthy({ agentsCoreShare: 0.93 }), first)], 500);
    expect(c.maxHeld).toBe(50);
    expect(c.limit).toBe('not measurable at 100 calls: agents CPU 93 % of a core (≥ 85 % of a core)');
  });

  it('says when every step held, and when none did', () => {
    expect(rampCapacity('G722', [step(50, first), step(100, healthy({ gatewayCoreShare: 0.5 }), first)], 100).limit).toBe('none within --calls 100: every step held (gateway at 50 % of a core at 100 calls)');
    const none = rampCapacity('PCMA', [step(50, healthy({ failedCalls: 3, gatewayCoreShare: 0.4 }))], 100);
    expect(none).toMatchObject({ maxHeld: 0, cpuMsPerCallSecondAtHeld: null, limit: 'failed calls at 50 calls; gateway at 40 % of a core' });
    expect(rampCapacity('PCMU', [], 100).limit).toBe('no step measured');
  });
});
