/**
 * `--barge-in both` / `--workers 1,2` (pure): each run's gateway CPU per call-second (hold window and whole life) and
 * its ratio to the first run, beside the figures that show every run measured the same calls (echo markers back,
 * turns, barge-ins) and, under `--pin`, what one core can show.
 */
import { formatFixed } from './format.js';
import type { CostFigures, Distribution, VariantFigures } from './types.js';

const BARGE_IN_LABEL: Readonly<Record<VariantFigures['bargeIn'], string>> = {
  default: 'default (`gateway`: detector on every frame)',
  off: '`off` (no detector)',
};

/** `back of due (p50 / p99)`, or the count alone for results without the markers' counts. */
const markers = (r: VariantFigures): string => {
  const m = r.markers;
  const times = r.roundTripMs.count === 0 ? '' : ` (${formatFixed(r.roundTripMs.p50, 0)} / ${formatFixed(r.roundTripMs.p99, 0)})`;
  return m === undefined ? dist(r.roundTripMs) : `${m.back} of ${m.due}${times}`;
};

const dist = (d: Distribution): string => (d.count === 0 ? '0' : `${d.count} (${formatFixed(d.p50, 0)} / ${formatFixed(d.p99, 0)})`);

/** Each run's figure over the first run's (the first is the reference: `default`, or the first worker count). */
export function variantRatio(runs: readonly VariantFigures[], run: VariantFigures, pick: (r: VariantFigures) => number): number | undefined {
  const first = runs[0];
  if (first === undefined) return undefined;
  const base = pick(first);
  return base > 0 ? pick(run) / base : undefined;
}

export function variantsSection(runs: readonly VariantFigures[] | undefined, floor: CostFigures | undefined, pinned: boolean): string | undefined {
  if (runs === undefined || runs.length === 0) return undefined;
  const ratio = (r: VariantFigures, i: number, pick: (r: VariantFigures) => number): string => {
    if (i === 0) return '1';
    const v = variantRatio(runs, r, pick);
    return v === undefined ? '—' : `${formatFixed(v, 3)}×`;
  };
  const vsFloor = (v: number): string => (floor === undefined || floor.cpuMsPerCallSecond <= 0 ? '' : ` (${formatFixed(v / floor.cpuMsPerCallSecond, 2)}× floor)`);
  return [
    '## Echo numbers\' barge-in and media workers',
    '',
    'Same load, a fresh gateway each. The echo callers talk with pauses (an utterance, then a pause with the round-trip ' +
      'marker); *default* leaves the echo number\'s `bargeIn` unset, as on a real number, so the speech detector runs on ' +
      'every caller frame and each utterance interrupts the echo agent\'s playback (it answers `clear` and echoes on); ' +
      '*off* sets `bargeIn: off`. Turn and barge-in numbers are the same in every run. Hold: gateway CPU over the hold ' +
      'window (every call up); whole life: from before the first INVITE to after the tear-down. Markers, turns and ' +
      'barge-ins: count (p50 / p99 ms) at the caller; markers: found back of those due (sent at least 2 s before their ' +
      'call stopped sending), a round trip too long to measure (over 1.7 s, cut by the next utterance\'s barge-in) is one not back.',
    '',
    '| Run | Echo bargeIn | Workers | Calls up (failed) | Hold CPU ms / call-s | vs run 1 | Whole-life CPU ms / call-s | Gateway core share | Loss % | Echo markers back | Echo interruptions | Turns | Barge-ins |',
    '| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...runs.map((r, i) =>
      `| ${i + 1} | ${BARGE_IN_LABEL[r.bargeIn]} | ${String(r.workers)} | ${r.callsUp} (${r.failedCalls}) | ` +
      `${formatFixed(r.gateway.cpuMsPerCallSecond, 3)}${vsFloor(r.gateway.cpuMsPerCallSecond)} | ${ratio(r, i, (x) => x.gateway.cpuMsPerCallSecond)} | ` +
      `${formatFixed(r.lifecycle.cpuMsPerCallSecond, 3)} | ${formatFixed(r.cpuCoreShare * 100, 0)} % | ${formatFixed(r.lossPct, 3)} | ` +
      `${markers(r)} | ${r.echoInterruptions === undefined ? '—' : String(r.echoInterruptions)} | ${dist(r.turnMs)} | ${dist(r.bargeInMs)} |`),
    ...(floor === undefined ? [] : ['', `Floor relay (UDP → WebSocket → UDP, same load, no detector): ${formatFixed(floor.cpuMsPerCallSecond, 3)} CPU ms per call-second.`]),
    ...(pinned
      ? ['', 'Pinned (`--pin`): the gateway, all its media worker threads included, on CPU 0; the load generator, the agents and the ' +
        'webhook sink on CPU 1. One core for the gateway: more workers cannot add capacity here, they show only what the ' +
        'hand-off to worker threads costs on one core (see the README\'s bench section, "Measuring what users run", for the per-core figure and the expected scaling).']
      : []),
  ].join('\n');
}
