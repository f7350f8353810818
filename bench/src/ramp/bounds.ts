/**
 * The ramp's verdict (pure): one typed table of the bounds a step must meet for the CALLER's experience to hold,
 * each measured over the step's own window, and the processes whose saturation makes a step "not measurable".
 * Documented in docs/bench-ramp.md; keep the two in step.
 *
 * A step is
 * - `not-measurable` when the agents process or the load generator used `SATURATED_CORE_SHARE` of a core or more,
 *   or the load generator's event loop ran late (`MAX_LOAD_GENERATOR_LOOP_DELAY_P99_MS`), or other processes used
 *   `MAX_OTHER_CORES` of the machine: what was measured is the bench's or the neighbours' lateness, not the
 *   gateway's, so the step can neither hold nor fail;
 * - `failed` when any bound fails (every failing bound is listed); a bounded figure with no sample in the window
 *   fails too: a step cannot hold on what it did not measure;
 * - `held` otherwise.
 */
import type { RampCheck, RampMeasures, RampVerdict } from '../report/types.js';

/** Relative bounds: a step's p99 may exceed the FIRST step's by at most this much. */
export const FIRST_STEP_MARGIN_MS = 20;
/** Caller-side inter-arrival jitter p99, ms. */
export const JITTER_P99_LIMIT_MS = 10;
/**
 * Media-clock stalls (`/stats` media.clockStalls: wake-ups at least a packet time, 20 ms, late) allowed in a step's
 * window: "no late media-clock ticks beyond a small count". A stall delays every call's next packet by a packet
 * time or more. The clock's late-tick count (≥ 2 ticks of 2 ms, i.e. ≥ 4 ms: inside a packet, not heard;
 * measured 28 in a 10 s window at 50 calls with the event loop never past 16.5 ms late and callers' jitter p99
 * 5.6 ms) is reported beside the bounds, not judged.
 */
export const MAX_CLOCK_STALLS = 2;
/** Downlink delivered: echo callers' packets received ÷ the echo agent's 20 ms frames sent, %. */
export const MIN_DOWNLINK_DELIVERED_PCT = 99;
/** The bench's existing barge-in target (caller onset → agent audio stops, at the caller), p95 ms. */
export const BARGE_IN_P95_LIMIT_MS = 120;
/** The gateway's uplink processing p99 (decode, resample, speech detection; no jitter-buffer wait), ms. */
export const UPLINK_PROCESSING_P99_LIMIT_MS = 5;
/** A measuring process (agents, load generator) at or above this share of one core is saturated. */
export const SATURATED_CORE_SHARE = 0.85;
/**
 * The load generator's own event-loop delay p99 (5 ms resolution) above this: it is starved of CPU (a shared
 * machine) even below `SATURATED_CORE_SHARE`, and its arrival times, so its jitter and round trips, are its own
 * lateness. Quiet runs show 6–13 ms at 100–200 calls.
 */
export const MAX_LOAD_GENERATOR_LOOP_DELAY_P99_MS = 30;
/**
 * Other processes on the machine (not the gateway, the agents or the load generator) using this many cores or more
 * over the window: the gateway was competing with them, and what the step measured is the neighbours' load.
 */
export const MAX_OTHER_CORES = 0.3;

export type RampBoundId =
  | 'failedCalls'
  | 'endedByGateway'
  | 'loss'
  | 'uplinkProcessingP99'
  | 'downlinkDelivered'
  | 'downlinkP99'
  | 'roundTripP99'
  | 'jitterP99'
  | 'bargeInP95'
  | 'bargeInMissed'
  | 'clockStalls';

export interface RampBound {
  readonly id: RampBoundId;
  /** For people: what is measured. */
  readonly label: string;
  readonly unit: '' | 'ms' | '%' | 'calls' | 'ticks' | 'onsets';
  /** `max`: the figure must be ≤ the limit; `min`: ≥ the limit. */
  readonly sense: 'max' | 'min';
  readonly measure: (m: RampMeasures) => number | null;
  /** The step's limit; relative bounds take it from the first step's measures (null: the first step had none). */
  readonly limit: (first: RampMeasures) => number | null;
  /** How the limit is set, for the report. */
  readonly rule: string;
}

const relative = (pick: (m: RampMeasures) => number | null) => (first: RampMeasures): number | null => {
  const base = pick(first);
  return base === null ? null : base + FIRST_STEP_MARGIN_MS;
};

/** Every bound a step must meet, in the order the report lists them. */
export const RAMP_BOUNDS: readonly RampBound[] = [
  { id: 'failedCalls', label: 'failed calls', unit: 'calls', sense: 'max', measure: (m) => m.failedCalls, limit: () => 0, rule: '0' },
  { id: 'endedByGateway', label: 'calls ended by the gateway', unit: 'calls', sense: 'max', measure: (m) => m.endedByGateway, limit: () => 0, rule: '0' },
  { id: 'loss', label: 'downlink RTP loss', unit: '%', sense: 'max', measure: (m) => m.lossPct, limit: () => 0, rule: '0' },
  {
    id: 'uplinkProcessingP99', label: 'uplink processing p99', unit: 'ms', sense: 'max',
    measure: (m) => m.uplinkProcessingP99Ms, limit: () => UPLINK_PROCESSING_P99_LIMIT_MS, rule: `≤ ${UPLINK_PROCESSING_P99_LIMIT_MS} ms`,
  },
  {
    id: 'downlinkDelivered', label: 'downlink delivered', unit: '%', sense: 'min',
    measure: (m) => m.downlinkDeliveredPct, limit: () => MIN_DOWNLINK_DELIVERED_PCT, rule: `≥ ${MIN_DOWNLINK_DELIVERED_PCT} %`,
  },
  {
    id: 'downlinkP99', label: 'downlink whole-hop p99', unit: 'ms', sense: 'max',
    measure: (m) => m.downlinkP99Ms, limit: relative((m) => m.downlinkP99Ms), rule: `≤ first step + ${FIRST_STEP_MARGIN_MS} ms`,
  },
  {
    id: 'roundTripP99', label: 'echo round trip p99', unit: 'ms', sense: 'max',
    measure: (m) => m.roundTripP99Ms, limit: relative((m) => m.roundTripP99Ms), rule: `≤ first step + ${FIRST_STEP_MARGIN_MS} ms`,
  },
  {
    id: 'jitterP99', label: 'caller jitter p99', unit: 'ms', sense: 'max',
    measure: (m) => m.jitterP99Ms, limit: () => JITTER_P99_LIMIT_MS, rule: `≤ ${JITTER_P99_LIMIT_MS} ms`,
  },
  {
    id: 'bargeInP95', label: 'barge-in p95', unit: 'ms', sense: 'max',
    measure: (m) => m.bargeInP95Ms, limit: () => BARGE_IN_P95_LIMIT_MS, rule: `≤ ${BARGE_IN_P95_LIMIT_MS} ms`,
  },
  { id: 'bargeInMissed', label: 'barge-ins missed', unit: 'onsets', sense: 'max', measure: (m) => m.bargeInMissed, limit: () => 0, rule: '0' },
  {
    id: 'clockStalls', label: 'media-clock stalls (≥ 20 ms late)', unit: 'ticks', sense: 'max',
    measure: (m) => m.clockStalls, limit: () => MAX_CLOCK_STALLS, rule: `≤ ${MAX_CLOCK_STALLS}`,
  },
];

export type MeasuringProcess = 'agents' | 'load-generator' | 'other-processes';

export type MeasurabilityId = 'agentsCpu' | 'loadGeneratorCpu' | 'loadGeneratorLoopDelay' | 'otherProcessesCpu';

/** What makes a step not measurable: a measuring process saturated (its CPU) or starved (its event loop late). */
export const RAMP_MEASURABILITY: readonly {
  readonly id: MeasurabilityId;
  readonly process: MeasuringProcess;
  readonly label: string;
  readonly value: (m: RampMeasures) => number;
  /** Not measurable at or above this. */
  readonly limit: number;
  readonly format: (v: number) => string;
}[] = [
  { id: 'agentsCpu', process: 'agents', label: 'agents CPU', value: (m) => m.agentsCoreShare, limit: SATURATED_CORE_SHARE, format: (v) => `${(v * 100).toFixed(0)} % of a core` },
  { id: 'loadGeneratorCpu', process: 'load-generator', label: 'load generator CPU', value: (m) => m.loadGeneratorCoreShare, limit: SATURATED_CORE_SHARE, format: (v) => `${(v * 100).toFixed(0)} % of a core` },
  {
    id: 'loadGeneratorLoopDelay', process: 'load-generator', label: 'load generator event-loop delay p99',
    value: (m) => m.loadGeneratorLoopDelayP99Ms, limit: MAX_LOAD_GENERATOR_LOOP_DELAY_P99_MS, format: (v) => `${v.toFixed(1)} ms`,
  },
  { id: 'otherProcessesCpu', process: 'other-processes', label: 'other processes\' CPU', value: (m) => m.otherCores, limit: MAX_OTHER_CORES, format: (v) => `${v.toFixed(2)} cores` },
];

export interface StepJudgement {
  readonly checks: RampCheck[];
  readonly verdict: RampVerdict;
}

/** Judge one step against every bound; `first`: the first step's measures (the step's own for the first step). */
export function judgeStep(m: RampMeasures, first: RampMeasures): StepJudgement {
  const checks = RAMP_BOUNDS.map((b): RampCheck => {
    const measured = b.measure(m);
    const limit = b.limit(first);
    const pass = measured !== null && limit !== null && (b.sense === 'max' ? measured <= limit : measured >= limit);
    return { bound: b.id, measured, limit, pass };
  });
  const causes = RAMP_MEASURABILITY.filter((c) => c.value(m) >= c.limit);
  if (causes.length > 0) {
    const saturated = [...new Set(causes.map((c) => c.process))];
    return { checks, verdict: { kind: 'not-measurable', saturated, causes: causes.map((c) => c.id) } };
  }
  const failed = checks.filter((c) => !c.pass).map((c) => c.bound);
  return { checks, verdict: failed.length > 0 ? { kind: 'failed', failed } : { kind: 'held' } };
}

export function boundOf(id: string): RampBound | undefined {
  return RAMP_BOUNDS.find((b) => b.id === id);
}

const fmt = (v: number): string => (Number.isInteger(v) ? String(v) : v.toFixed(v >= 100 ? 0 : 2));

/** One check for people: "downlink whole-hop p99 1078 ms > 45.20 ms (first step + 20 ms)". */
export function describeCheck(c: RampCheck): string {
  const b = boundOf(c.bound);
  if (b === undefined) return c.bound;
  const unit = b.unit === 'ms' || b.unit === '%' ? ` ${b.unit}` : '';
  if (c.measured === null) return `${b.label}: not measured in the window`;
  if (c.limit === null) return `${b.label} ${fmt(c.measured)}${unit}: no first-step figure to bound it`;
  const op = c.pass ? (b.sense === 'max' ? '≤' : '≥') : b.sense === 'max' ? '>' : '<';
  return `${b.label} ${fmt(c.measured)}${unit} ${op} ${fmt(c.limit)}${unit}${b.rule.startsWith('≤ first') ? ` (first step + ${FIRST_STEP_MARGIN_MS} ms)` : ''}`;
}

/** The verdict in one line, every failing bound or saturated process named. */
export function describeVerdict(verdict: RampVerdict, checks: readonly RampCheck[], m: RampMeasures): string {
  switch (verdict.kind) {
    case 'held':
      return 'held';
    case 'failed':
      return `failed: ${checks.filter((c) => !c.pass).map(describeCheck).join('; ')}`;
    case 'not-measurable':
      return `not measurable: ${describeCauses(verdict.causes, m)}`;
  }
}

/** "load generator event-loop delay p99 58.0 ms (≥ 30.0 ms)", for each cause. */
export function describeCauses(causes: readonly string[], m: RampMeasures): string {
  return causes.map((id) => {
    const c = RAMP_MEASURABILITY.find((x) => x.id === id);
    return c === undefined ? id : `${c.label} ${c.format(c.value(m))} (≥ ${c.format(c.limit)})`;
  }).join(', ');
}
