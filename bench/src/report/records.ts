/**
 * Records + webhooks on against off (pure): each run's CPU per call-second over the hold window and over the calls'
 * whole life, the mean per mode, the difference against the goal (on within 5 % of off), and the floor relay of the
 * same run beside them.
 */
import { formatFixed } from './format.js';
import type { CostFigures, RecordsFigures } from './types.js';

/** The goal: CPU per call-second with records + webhooks on within 5 % of off. */
export const RECORDS_GOAL_SHARE = 0.05;

export interface RecordsComparison {
  readonly off: { hold: number; lifecycle: number } | undefined;
  readonly on: { hold: number; lifecycle: number } | undefined;
  /** (on − off) / off, for the hold window and the whole life; undefined without both modes. */
  readonly holdDiff: number | undefined;
  readonly lifecycleDiff: number | undefined;
}

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

export function compareRecords(runs: readonly RecordsFigures[]): RecordsComparison {
  const of = (mode: 'on' | 'off'): { hold: number; lifecycle: number } | undefined => {
    const rs = runs.filter((r) => r.mode === mode);
    return rs.length === 0 ? undefined : { hold: mean(rs.map((r) => r.gateway.cpuMsPerCallSecond)), lifecycle: mean(rs.map((r) => r.lifecycle.cpuMsPerCallSecond)) };
  };
  const off = of('off');
  const on = of('on');
  const diff = (a: number | undefined, b: number | undefined): number | undefined => (a === undefined || b === undefined || b <= 0 ? undefined : (a - b) / b);
  return { off, on, holdDiff: diff(on?.hold, off?.hold), lifecycleDiff: diff(on?.lifecycle, off?.lifecycle) };
}

const pct = (d: number | undefined): string => (d === undefined ? '—' : `${d >= 0 ? '+' : ''}${formatFixed(d * 100, 1)} %`);
const verdict = (d: number | undefined): string => (d === undefined ? '—' : d <= RECORDS_GOAL_SHARE ? 'yes' : '**no**');

export function recordsSection(runs: readonly RecordsFigures[] | undefined, floor: CostFigures | undefined): string | undefined {
  if (runs === undefined || runs.length === 0) return undefined;
  const c = compareRecords(runs);
  const hooks = (r: RecordsFigures): string =>
    r.webhooks === undefined ? '—' : Object.entries(r.webhooks).sort(([a], [b]) => a.localeCompare(b)).map(([t, n]) => `${t.replace('call.', '')} ${n}`).join(', ');
  const lines = [
    '## Records + webhooks on vs off',
    '',
    'Same load, a fresh gateway each. On: the store (SQLite in a fresh folder) and one webhook endpoint on a local sink ' +
      'answering 204 at once, subscribed to call.ringing, call.answered, call.ended and call.transferred (180 Ringing on, in ' +
      'both modes). Off: `database.enabled: false`. Hold: CPU over the hold window (every call up). Whole life: CPU from ' +
      'before the first INVITE to after the tear-down and, on, until every record is written and every call.ended delivered, ' +
      'over every call-second of the run.',
    '',
    '| Run | Records | Calls up (failed) | Hold CPU ms / call-s | Whole-life CPU ms / call-s | Whole-life CPU ms | Store ops | Webhooks delivered | Loss % |',
    '| ---: | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: |',
    ...runs.map((r, i) =>
      `| ${i + 1} | ${r.mode} | ${r.callsUp} (${r.failedCalls}) | ${formatFixed(r.gateway.cpuMsPerCallSecond, 3)} | ${formatFixed(r.lifecycle.cpuMsPerCallSecond, 3)} | ` +
      `${formatFixed(r.lifecycle.cpuMs, 0)} | ${r.storeOpsApplied ?? '—'}${r.drained === false ? ' (not drained)' : ''} | ${hooks(r)} | ${formatFixed(r.lossPct, 3)} |`),
    '',
    `| Figure | Off | On | On vs off | Within ${RECORDS_GOAL_SHARE * 100} % | Floor relay |`,
    '| --- | ---: | ---: | ---: | --- | ---: |',
    `| CPU ms per call-second, hold window (mean) | ${c.off === undefined ? '—' : formatFixed(c.off.hold, 3)} | ${c.on === undefined ? '—' : formatFixed(c.on.hold, 3)} | ${pct(c.holdDiff)} | ${verdict(c.holdDiff)} | ${floor === undefined ? '—' : formatFixed(floor.cpuMsPerCallSecond, 3)} |`,
    `| CPU ms per call-second, whole life (mean) | ${c.off === undefined ? '—' : formatFixed(c.off.lifecycle, 3)} | ${c.on === undefined ? '—' : formatFixed(c.on.lifecycle, 3)} | ${pct(c.lifecycleDiff)} | ${verdict(c.lifecycleDiff)} | — |`,
  ];
  return lines.join('\n');
}
