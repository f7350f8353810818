/**
 * The ramp in Markdown (pure): capacity per codec (largest concurrency held, the limiting bound or resource, the
 * gateway's CPU per call-second at that step), then per codec one table of every measure against its bound with a
 * column per step and the verdict of each step. The bounds come from `RAMP_BOUNDS` (bench/src/ramp/bounds.ts).
 */
import { MAX_LOAD_GENERATOR_LOOP_DELAY_P99_MS, MAX_OTHER_CORES, RAMP_BOUNDS, SATURATED_CORE_SHARE, type RampBound } from '../ramp/bounds.js';
import { DASH, escapeMarkdown, formatCount, formatFixed, formatMs } from './format.js';
import type { RampCapacity, RampMeasures, RampStep } from './types.js';

const FAIL = '✗';

function table(header: readonly string[], rows: readonly (readonly string[])[], align: readonly ('l' | 'r')[]): string {
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map((_, i) => (align[i] === 'r' ? '---:' : '---'))), ...rows.map(line)].join('\n');
}

const figure = (v: number | null, unit: RampBound['unit']): string => {
  if (v === null) return DASH;
  return unit === 'ms' ? formatMs(v) : unit === '%' ? formatFixed(v, v === 0 ? 0 : 2) : formatCount(v);
};
const corePct = (share: number): string => `${formatFixed(share * 100, 0)} %`;

/** A bounded measure's cell: the figure, the sample count where it has one, ✗ when it failed. */
function boundCell(step: RampStep, b: RampBound): string {
  const check = step.checks?.find((c) => c.bound === b.id);
  const m = step.measures;
  if (check === undefined || m === undefined) return DASH;
  const count = samplesOf(b.id, m);
  const text = `${figure(check.measured, b.unit)}${count === undefined ? '' : ` (${formatCount(count)})`}`;
  return check.pass ? text : `**${text} ${FAIL}**`;
}

function samplesOf(id: string, m: RampMeasures): number | undefined {
  switch (id) {
    case 'downlinkP99':
      return m.downlinkSamples;
    case 'roundTripP99':
      return m.roundTrips;
    case 'jitterP99':
      return m.jitterSamples;
    case 'bargeInP95':
      return m.bargeIns;
    default:
      return undefined;
  }
}

/** The bound as the table states it; a relative bound with the limit it gave (from the first step), in ms. */
function boundText(b: RampBound, steps: readonly RampStep[]): string {
  const limit = steps[0]?.checks?.find((c) => c.bound === b.id)?.limit;
  return b.rule.startsWith('≤ first') && limit !== undefined && limit !== null ? `${b.rule} (≤ ${formatMs(limit)} ms)` : b.rule;
}

interface ReportedRow {
  readonly label: string;
  readonly bound: string;
  readonly cell: (s: RampStep, m: RampMeasures) => string;
}

const saturated = (share: number): string => (share >= SATURATED_CORE_SHARE ? `**${corePct(share)} ${FAIL}**` : corePct(share));

/** Measured at every step and reported; the CPU of the measuring processes decides "not measurable". */
const REPORTED: readonly ReportedRow[] = [
  { label: 'downlink delivered: received / sent', bound: 'echo calls', cell: (_s, m) => `${formatCount(m.downlinkPacketsReceived)} / ${formatCount(m.downlinkFramesSent)}` },
  { label: 'turn p50 / p95 ms (turns)', bound: 'reported', cell: (_s, m) => (m.turns === 0 ? DASH : `${formatMs(m.turnP50Ms ?? Number.NaN)} / ${formatMs(m.turnP95Ms ?? Number.NaN)} (${m.turns})`) },
  { label: 'late media-clock ticks (≥ 2 ticks of 2 ms, inside a packet)', bound: 'reported', cell: (_s, m) => (m.clockLateTicks === null ? DASH : String(m.clockLateTicks)) },
  { label: 'barge-in p50 ms', bound: 'reported', cell: (_s, m) => (m.bargeInP50Ms === null ? DASH : formatMs(m.bargeInP50Ms)) },
  { label: 'gateway CPU, share of a core', bound: 'reported', cell: (_s, m) => corePct(m.gatewayCoreShare) },
  { label: 'gateway CPU ms per call-second', bound: 'reported', cell: (s) => formatFixed(s.cpuMsPerCallSecond, 2) },
  { label: 'agents CPU, share of a core', bound: `below ${SATURATED_CORE_SHARE * 100} % (else not measurable)`, cell: (_s, m) => saturated(m.agentsCoreShare) },
  { label: 'load generator CPU, share of a core', bound: `below ${SATURATED_CORE_SHARE * 100} % (else not measurable)`, cell: (_s, m) => saturated(m.loadGeneratorCoreShare) },
  {
    label: 'load generator event-loop delay p99 ms', bound: `below ${MAX_LOAD_GENERATOR_LOOP_DELAY_P99_MS} ms (else not measurable)`,
    cell: (_s, m) => (m.loadGeneratorLoopDelayP99Ms >= MAX_LOAD_GENERATOR_LOOP_DELAY_P99_MS ? `**${formatMs(m.loadGeneratorLoopDelayP99Ms)} ${FAIL}**` : formatMs(m.loadGeneratorLoopDelayP99Ms)),
  },
  {
    label: 'other processes on the machine, cores', bound: `below ${MAX_OTHER_CORES} (else not measurable)`,
    cell: (_s, m) => (m.otherCores >= MAX_OTHER_CORES ? `**${formatFixed(m.otherCores, 2)} ${FAIL}**` : formatFixed(m.otherCores, 2)),
  },
];

function verdictCell(step: RampStep): string {
  const v = step.verdict;
  if (v === undefined) return DASH;
  switch (v.kind) {
    case 'held':
      return 'held';
    case 'failed':
      return `**failed** (${v.failed.length})`;
    case 'not-measurable':
      return `**not measurable** (${v.saturated.join(', ')})`;
  }
}

/** One codec's steps: a row per measure, a column per step. */
export function rampStepsTable(steps: readonly RampStep[]): string {
  const header = ['Measure (over the step\'s window)', 'Bound', ...steps.map((s) => `${formatCount(s.concurrency)} calls`)];
  const rows: string[][] = [
    ...RAMP_BOUNDS.map((b) => [escapeMarkdown(`${b.label}${b.unit === 'ms' || b.unit === '%' ? `, ${b.unit}` : ''}`), escapeMarkdown(boundText(b, steps)), ...steps.map((s) => boundCell(s, b))]),
    ...REPORTED.map((r) => [escapeMarkdown(r.label), escapeMarkdown(r.bound), ...steps.map((s) => (s.measures === undefined ? DASH : r.cell(s, s.measures)))]),
    ['**verdict**', '', ...steps.map(verdictCell)],
  ];
  return table(header, rows, ['l', 'l', ...steps.map((): 'r' => 'r')]);
}

/** Capacity per codec: one row each. */
export function rampCapacityTable(runs: readonly RampCapacity[]): string {
  return table(
    ['Codec', 'Largest concurrency held', 'Limiting bound / resource', 'Gateway CPU ms per call-second at that step'],
    runs.map((c) => [
      escapeMarkdown(c.codec),
      formatCount(c.maxHeld),
      escapeMarkdown(c.limit),
      c.cpuMsPerCallSecondAtHeld === null ? DASH : formatFixed(c.cpuMsPerCallSecondAtHeld, 2),
    ]),
    ['l', 'r', 'l', 'r'],
  );
}

/** The whole ramp section, or undefined when the result has no judged ramp (older results: see markdown.ts). */
export function rampReport(runs: readonly RampCapacity[] | undefined): string | undefined {
  if (runs === undefined || runs.length === 0) return undefined;
  const parts = [
    '## Ramp',
    '',
    'Each step adds calls, settles 1 s (the first, the baseline of the relative bounds, 5 s: the gateway warms up), then is measured over its own window and judged on the caller\'s experience: ' +
      'it holds only if every bound below holds; a measure with no sample in the window fails its bound; a step where the ' +
      `agents process or the load generator used ≥ ${SATURATED_CORE_SHARE * 100} % of a core, or the load generator's event loop ` +
      `ran ≥ ${MAX_LOAD_GENERATOR_LOOP_DELAY_P99_MS} ms late (p99), or other processes used ≥ ${MAX_OTHER_CORES} cores, is not measurable. ` +
      'The ramp stops at the first step that does not hold. Bounds: docs/bench-ramp.md.',
    '',
    ...runs.map((c) => `**Largest concurrency held (${escapeMarkdown(c.codec)}): ${formatCount(c.maxHeld)} calls** — limit: ${escapeMarkdown(c.limit)}.`),
    '',
    '### Capacity per codec',
    '',
    rampCapacityTable(runs),
  ];
  for (const c of runs) {
    if (c.steps.length === 0) continue;
    parts.push('', `### Steps, ${escapeMarkdown(c.codec)}`, '', rampStepsTable(c.steps));
  }
  return parts.join('\n');
}
