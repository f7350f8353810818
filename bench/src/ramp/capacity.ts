/**
 * A codec's capacity from its ramp's steps (pure): the largest concurrency of a step that held (the ramp stops at
 * the first step that did not), what limited it (the failing bounds with the gateway's CPU at that step, or the
 * saturated measuring process), and the gateway's CPU per call-second at the step held.
 */
import type { RampCapacity, RampStep } from '../report/types.js';
import { boundOf, describeCauses, SATURATED_CORE_SHARE } from './bounds.js';

const pct = (share: number): string => `${(share * 100).toFixed(0)} %`;

export function rampCapacity(codec: string, steps: readonly RampStep[], maxCalls: number): RampCapacity {
  let held: RampStep | undefined;
  let stop: RampStep | undefined;
  for (const s of steps) {
    if (s.verdict?.kind === 'held') {
      held = s;
      continue;
    }
    stop = s;
    break;
  }
  return {
    codec,
    maxHeld: held?.concurrency ?? 0,
    limit: limitOf(stop, held, steps.length, maxCalls),
    cpuMsPerCallSecondAtHeld: held === undefined ? null : held.cpuMsPerCallSecond,
    steps: [...steps],
  };
}

function limitOf(stop: RampStep | undefined, held: RampStep | undefined, count: number, maxCalls: number): string {
  if (stop === undefined) {
    if (count === 0) return 'no step measured';
    const gw = held?.measures?.gatewayCoreShare;
    return `none within --calls ${maxCalls}: every step held` + (gw === undefined ? '' : ` (gateway at ${pct(gw)} of a core at ${held?.concurrency ?? 0} calls)`);
  }
  const at = `at ${stop.concurrency} calls`;
  const m = stop.measures;
  const verdict = stop.verdict;
  if (verdict === undefined || m === undefined) return `step ${at} not judged`;
  if (verdict.kind === 'not-measurable') {
    return `not measurable ${at}: ${describeCauses(verdict.causes, m)}`;
  }
  if (verdict.kind === 'held') return `step ${at} held`;
  const bounds = verdict.failed.map((id) => boundOf(id)?.label ?? id).join(', ');
  const gateway = m.gatewayCoreShare >= SATURATED_CORE_SHARE ? `gateway CPU (${pct(m.gatewayCoreShare)} of a core)` : `gateway at ${pct(m.gatewayCoreShare)} of a core`;
  return `${bounds} ${at}; ${gateway}`;
}
