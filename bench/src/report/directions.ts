/**
 * Inbound against outbound (pure). A `both` run is inbound, outbound, inbound again, each on a fresh gateway with the
 * same config and load, so the two inbound runs show how much runs differ on this machine. A figure of the outbound
 * run matches when it lies within the inbound runs' range widened by a fixed allowance (for one inbound run: within
 * the allowance of it):
 *
 * - latency p50: ±max(2 ms, 10 %); p99: ±max(5 ms, 25 %) (turn and barge-in p99 rest on a tenth of the calls each);
 *   the gateway's processing-only hops (tens of µs): p50 ±max(0.02 ms, 25 %), p99 ±max(0.25 ms, 50 %);
 * - gateway CPU per call-second: ±15 %; loss: ±0.1 percentage point.
 *
 * Setup is measured at different places in the two directions (see `DirectionFigures`), so it is shown, not judged.
 */
import { escapeMarkdown, formatFixed, formatMs } from './format.js';
import type { DirectionFigures, Distribution } from './types.js';

export const NOISE = {
  p50: { ms: 2, share: 0.1 },
  p99: { ms: 5, share: 0.25 },
  processingP50: { ms: 0.02, share: 0.25 },
  processingP99: { ms: 0.25, share: 0.5 },
  cpuShare: 0.15,
  lossPoints: 0.1,
} as const;

export interface DirectionRow {
  readonly figure: string;
  readonly inbound: string;
  readonly outbound: string;
  /** The repeated inbound run ('' without one). */
  readonly inboundAgain: string;
  /** undefined: not judged (measured differently, or missing on a side). */
  readonly match: boolean | undefined;
}

type LatencyKey = 'uplinkMs' | 'downlinkMs' | 'uplinkProcessingMs' | 'downlinkProcessingMs' | 'roundTripMs' | 'turnMs' | 'bargeInMs' | 'gatewayBargeInMs';

const LATENCY_ROWS: readonly { key: LatencyKey; label: string; processing?: true }[] = [
  { key: 'uplinkMs', label: 'Uplink (gateway, whole hop)' },
  { key: 'uplinkProcessingMs', label: 'Uplink (gateway processing)', processing: true },
  { key: 'downlinkMs', label: 'Downlink (gateway, whole hop)' },
  { key: 'downlinkProcessingMs', label: 'Downlink (gateway processing)', processing: true },
  { key: 'roundTripMs', label: 'Round trip (echo)' },
  { key: 'turnMs', label: 'Turn' },
  { key: 'bargeInMs', label: 'Barge-in (load generator)' },
  { key: 'gatewayBargeInMs', label: 'Barge-in (gateway)' },
];

/** Within `allowance` of `reference`: |a − b| ≤ max(ms, share · |reference|). */
export function withinNoise(reference: number, other: number, allowance: { ms: number; share: number }): boolean {
  return Math.abs(other - reference) <= Math.max(allowance.ms, allowance.share * Math.abs(reference));
}

/** `other` within the range of `references`, widened at each end by the allowance of that end. */
export function withinRange(references: readonly number[], other: number, allowance: { ms: number; share: number }): boolean {
  const lo = Math.min(...references);
  const hi = Math.max(...references);
  if (other >= lo && other <= hi) return true;
  return withinNoise(other < lo ? lo : hi, other, allowance);
}

const pair = (d: Distribution | undefined): string => (d === undefined || d.count === 0 ? '—' : `${formatMs(d.p50)} / ${formatMs(d.p99)}`);

/**
 * The comparison rows; `again`: the repeated inbound run, if any. `match` on latency rows requires both p50 and p99
 * within noise.
 */
export function compareDirections(inbound: DirectionFigures, outbound: DirectionFigures, again?: DirectionFigures): DirectionRow[] {
  const ins = again === undefined ? [inbound] : [inbound, again];
  const calls = (f: DirectionFigures): string => `${f.callsUp} (${f.failedCalls})`;
  const rows: DirectionRow[] = [
    { figure: 'Calls up (failed)', inbound: calls(inbound), outbound: calls(outbound), inboundAgain: again === undefined ? '' : calls(again),
      match: inbound.callsUp === outbound.callsUp && outbound.failedCalls === 0 },
    { figure: 'Setup p50 / p99 ms (inbound: INVITE sent → 200; outbound: INVITE in → 200 sent)', inbound: pair(inbound.setupMs), outbound: pair(outbound.setupMs),
      inboundAgain: again === undefined ? '' : pair(again.setupMs), match: undefined },
    { figure: 'Outbound INVITE in → ACK in, p50 / p99 ms', inbound: '—', outbound: pair(outbound.inviteToAckMs), inboundAgain: again === undefined ? '' : '—', match: undefined },
    { figure: 'Outbound POST /v1/calls → INVITE in, p50 / p99 ms', inbound: '—', outbound: pair(outbound.apiToInviteMs), inboundAgain: again === undefined ? '' : '—', match: undefined },
  ];
  for (const { key, label, processing } of LATENCY_ROWS) {
    const p50 = processing === true ? NOISE.processingP50 : NOISE.p50;
    const p99 = processing === true ? NOISE.processingP99 : NOISE.p99;
    const refs = ins.map((f) => f[key]).filter((d): d is Distribution => d !== undefined && d.count > 0);
    const b = outbound[key];
    const judged = refs.length === ins.length && b !== undefined && b.count > 0;
    rows.push({
      figure: `${label} p50 / p99 ms`, inbound: pair(inbound[key]), outbound: pair(b), inboundAgain: again === undefined ? '' : pair(again[key]),
      match: judged ? withinRange(refs.map((d) => d.p50), b.p50, p50) && withinRange(refs.map((d) => d.p99), b.p99, p99) : undefined,
    });
  }
  const cpu = (f: DirectionFigures): number => f.gateway.cpuMsPerCallSecond;
  rows.push({
    figure: 'Gateway CPU ms per call-second', inbound: formatFixed(cpu(inbound), 3), outbound: formatFixed(cpu(outbound), 3),
    inboundAgain: again === undefined ? '' : formatFixed(cpu(again), 3),
    match: withinRange(ins.map(cpu), cpu(outbound), { ms: 0, share: NOISE.cpuShare }),
  });
  rows.push({
    figure: 'Loss %', inbound: formatFixed(inbound.lossPct, 3), outbound: formatFixed(outbound.lossPct, 3),
    inboundAgain: again === undefined ? '' : formatFixed(again.lossPct, 3),
    match: withinRange(ins.map((f) => f.lossPct), outbound.lossPct, { ms: NOISE.lossPoints, share: 0 }),
  });
  return rows;
}

/** The first inbound run, the outbound run and the repeated inbound run of `directions`. */
export function directionRuns(directions: readonly DirectionFigures[] | undefined): {
  inbound: DirectionFigures | undefined; outbound: DirectionFigures | undefined; again: DirectionFigures | undefined;
} {
  return {
    inbound: directions?.find((d) => d.direction === 'inbound' && d.repeat !== true),
    outbound: directions?.find((d) => d.direction === 'outbound'),
    again: directions?.find((d) => d.direction === 'inbound' && d.repeat === true),
  };
}

/** The Markdown section: the comparison table when both directions ran, else the outbound figures alone. */
export function directionsSection(directions: readonly DirectionFigures[] | undefined): string | undefined {
  const { inbound, outbound, again } = directionRuns(directions);
  if (outbound === undefined) return undefined;
  if (inbound === undefined) {
    return [
      '## Outbound calls',
      '',
      '| Figure | p50 / p99 ms |', '| --- | ---: |',
      `| Setup, INVITE in → 200 sent (carrier side) | ${pair(outbound.setupMs)} |`,
      `| INVITE in → ACK in (carrier side) | ${pair(outbound.inviteToAckMs)} |`,
      `| POST /v1/calls → INVITE in | ${pair(outbound.apiToInviteMs)} |`,
      `| POST /v1/calls → API answer | ${pair(outbound.apiAnswerMs)} |`,
    ].join('\n');
  }
  const rows = compareDirections(inbound, outbound, again);
  const verdict = (m: boolean | undefined): string => (m === undefined ? '' : m ? 'yes' : '**no**');
  const judged = rows.filter((r) => r.match !== undefined);
  const matched = judged.filter((r) => r.match === true).length;
  return [
    '## Inbound vs outbound',
    '',
    `Same load, same config, a fresh gateway each${again === undefined ? '' : ', run inbound, outbound, inbound again'}. ` +
      `${matched} of ${judged.length} judged figures of the outbound run match within noise: inside the ` +
      `${again === undefined ? 'inbound figure' : 'range of the two inbound runs'} widened by ` +
      `p50 ±max(${NOISE.p50.ms} ms, ${NOISE.p50.share * 100} %), p99 ±max(${NOISE.p99.ms} ms, ${NOISE.p99.share * 100} %), ` +
      `CPU ±${NOISE.cpuShare * 100} %, loss ±${NOISE.lossPoints} pt (gateway processing: p50 ±max(${NOISE.processingP50.ms} ms, ` +
      `${NOISE.processingP50.share * 100} %), p99 ±max(${NOISE.processingP99.ms} ms, ${NOISE.processingP99.share * 100} %)).`,
    '',
    ...(again === undefined
      ? ['| Figure | Inbound | Outbound | Within noise |', '| --- | ---: | ---: | --- |',
        ...rows.map((r) => `| ${escapeMarkdown(r.figure)} | ${r.inbound} | ${r.outbound} | ${verdict(r.match)} |`)]
      : ['| Figure | Inbound | Outbound | Inbound again | Within noise |', '| --- | ---: | ---: | ---: | --- |',
        ...rows.map((r) => `| ${escapeMarkdown(r.figure)} | ${r.inbound} | ${r.outbound} | ${r.inboundAgain} | ${verdict(r.match)} |`)]),
  ].join('\n');
}
