/**
 * Inbound against outbound (pure): the same load on a fresh gateway with the same config, once with the load
 * generator calling (inbound) and once with the gateway calling it through a trunk (outbound). A figure matches
 * when the difference is within the bench's noise allowance below: what separate runs of the same direction on a
 * shared 2-core machine differ by, not a claim of statistical equality.
 *
 * - latency p50: |Δ| ≤ max(2 ms, 10 % of inbound); p99: |Δ| ≤ max(5 ms, 25 %) (turn and barge-in p99 rest on about
 *   a tenth of the calls each);
 * - gateway CPU per call-second: |Δ| ≤ 15 % of inbound; loss: |Δ| ≤ 0.1 percentage point.
 *
 * Setup is measured at different places in the two directions (see `DirectionFigures`), so it is shown, not judged.
 */
import { escapeMarkdown, formatFixed, formatMs } from './format.js';
import type { DirectionFigures, Distribution } from './types.js';

export const NOISE = {
  p50: { ms: 2, share: 0.1 },
  p99: { ms: 5, share: 0.25 },
  cpuShare: 0.15,
  lossPoints: 0.1,
} as const;

export interface DirectionRow {
  readonly figure: string;
  readonly inbound: string;
  readonly outbound: string;
  /** undefined: not judged (measured differently, or missing on a side). */
  readonly match: boolean | undefined;
}

type LatencyKey = 'uplinkMs' | 'downlinkMs' | 'roundTripMs' | 'turnMs' | 'bargeInMs' | 'gatewayBargeInMs';

const LATENCY_ROWS: readonly { key: LatencyKey; label: string }[] = [
  { key: 'uplinkMs', label: 'Uplink (gateway)' },
  { key: 'downlinkMs', label: 'Downlink (gateway)' },
  { key: 'roundTripMs', label: 'Round trip (echo)' },
  { key: 'turnMs', label: 'Turn' },
  { key: 'bargeInMs', label: 'Barge-in (load generator)' },
  { key: 'gatewayBargeInMs', label: 'Barge-in (gateway)' },
];

/** Within `allowance` of `reference`: |a − b| ≤ max(ms, share · |reference|). */
export function withinNoise(reference: number, other: number, allowance: { ms: number; share: number }): boolean {
  return Math.abs(other - reference) <= Math.max(allowance.ms, allowance.share * Math.abs(reference));
}

const pair = (d: Distribution | undefined): string => (d === undefined || d.count === 0 ? '—' : `${formatMs(d.p50)} / ${formatMs(d.p99)}`);

/** The comparison rows; `match` on latency rows requires both p50 and p99 within noise. */
export function compareDirections(inbound: DirectionFigures, outbound: DirectionFigures): DirectionRow[] {
  const rows: DirectionRow[] = [
    { figure: 'Calls up (failed)', inbound: `${inbound.callsUp} (${inbound.failedCalls})`, outbound: `${outbound.callsUp} (${outbound.failedCalls})`,
      match: inbound.callsUp === outbound.callsUp && outbound.failedCalls === 0 },
    { figure: 'Setup p50 / p99 ms (inbound: INVITE sent → 200; outbound: INVITE in → 200 sent)', inbound: pair(inbound.setupMs), outbound: pair(outbound.setupMs), match: undefined },
    { figure: 'Outbound INVITE in → ACK in, p50 / p99 ms', inbound: '—', outbound: pair(outbound.inviteToAckMs), match: undefined },
    { figure: 'Outbound POST /v1/calls → INVITE in, p50 / p99 ms', inbound: '—', outbound: pair(outbound.apiToInviteMs), match: undefined },
  ];
  for (const { key, label } of LATENCY_ROWS) {
    const a = inbound[key];
    const b = outbound[key];
    const judged = a !== undefined && b !== undefined && a.count > 0 && b.count > 0;
    rows.push({
      figure: `${label} p50 / p99 ms`, inbound: pair(a), outbound: pair(b),
      match: judged ? withinNoise(a.p50, b.p50, NOISE.p50) && withinNoise(a.p99, b.p99, NOISE.p99) : undefined,
    });
  }
  rows.push({
    figure: 'Gateway CPU ms per call-second', inbound: formatFixed(inbound.gateway.cpuMsPerCallSecond, 3), outbound: formatFixed(outbound.gateway.cpuMsPerCallSecond, 3),
    match: withinNoise(inbound.gateway.cpuMsPerCallSecond, outbound.gateway.cpuMsPerCallSecond, { ms: 0, share: NOISE.cpuShare }),
  });
  rows.push({
    figure: 'Loss %', inbound: formatFixed(inbound.lossPct, 3), outbound: formatFixed(outbound.lossPct, 3),
    match: Math.abs(inbound.lossPct - outbound.lossPct) <= NOISE.lossPoints,
  });
  return rows;
}

/** The Markdown section: the comparison table when both directions ran, else the outbound figures alone. */
export function directionsSection(directions: readonly DirectionFigures[] | undefined): string | undefined {
  const inbound = directions?.find((d) => d.direction === 'inbound');
  const outbound = directions?.find((d) => d.direction === 'outbound');
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
  const rows = compareDirections(inbound, outbound);
  const verdict = (m: boolean | undefined): string => (m === undefined ? '' : m ? 'yes' : '**no**');
  const judged = rows.filter((r) => r.match !== undefined);
  const matched = judged.filter((r) => r.match === true).length;
  return [
    '## Inbound vs outbound',
    '',
    `Same load, same config, a fresh gateway each. ${matched} of ${judged.length} judged figures match within noise ` +
      `(p50 ±max(${NOISE.p50.ms} ms, ${NOISE.p50.share * 100} %), p99 ±max(${NOISE.p99.ms} ms, ${NOISE.p99.share * 100} %), ` +
      `CPU ±${NOISE.cpuShare * 100} %, loss ±${NOISE.lossPoints} pt).`,
    '',
    '| Figure | Inbound | Outbound | Within noise |',
    '| --- | ---: | ---: | --- |',
    ...rows.map((r) => `| ${escapeMarkdown(r.figure)} | ${r.inbound} | ${r.outbound} | ${verdict(r.match)} |`),
  ].join('\n');
}
