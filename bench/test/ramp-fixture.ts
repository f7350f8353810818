/** Ramp measures and steps for the ramp tests: a healthy step, and steps built from it. */
import { judgeStep } from '../src/ramp/bounds.js';
import type { RampMeasures, RampStep } from '../src/report/types.js';

export function healthy(over: Partial<RampMeasures> = {}): RampMeasures {
  return {
    failedCalls: 0,
    endedByGateway: 0,
    lossPct: 0,
    uplinkProcessingP99Ms: 0.4,
    downlinkFramesSent: 22_500,
    downlinkPacketsReceived: 22_490,
    downlinkDeliveredPct: 99.956,
    downlinkP99Ms: 42,
    downlinkSamples: 22_400,
    roundTripP99Ms: 95,
    roundTrips: 450,
    jitterP99Ms: 1.8,
    jitterSamples: 24_900,
    clockLateTicks: 0,
    clockStalls: 0,
    turnP50Ms: 390,
    turnP95Ms: 420,
    turns: 12,
    bargeInP50Ms: 70,
    bargeInP95Ms: 95,
    bargeIns: 9,
    bargeInMissed: 0,
    gatewayCoreShare: 0.35,
    agentsCoreShare: 0.2,
    loadGeneratorCoreShare: 0.3,
    loadGeneratorLoopDelayP99Ms: 2.1,
    otherCores: 0.05,
    ...over,
  };
}

/** A step judged against `first` (its own measures when absent). */
export function step(concurrency: number, m: RampMeasures, first: RampMeasures = m, cpuMsPerCallSecond = 3.2): RampStep {
  const judged = judgeStep(m, first);
  return { concurrency, lossPct: m.lossPct, uplinkP99Ms: m.uplinkProcessingP99Ms ?? -1, cpuMsPerCallSecond, codec: 'PCMU', windowS: 10, measures: m, checks: judged.checks, verdict: judged.verdict };
}
