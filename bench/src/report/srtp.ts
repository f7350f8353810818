/**
 * SRTP against plain RTP (pure): each run's gateway CPU per call-second (hold window and whole life), and each
 * suite's ratio to the plain run of the same bench (the goal: a call with SRTP within 1.2× of plain).
 */
import { formatFixed } from './format.js';
import type { CostFigures, SrtpFigures } from './types.js';

/** The goal: gateway CPU per call-second with SRTP at most 1.2× plain. */
export const SRTP_GOAL_RATIO = 1.2;

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Ratio of each SRTP run's figure to the mean plain figure (undefined without a plain run). */
export function srtpRatio(runs: readonly SrtpFigures[], run: SrtpFigures, pick: (r: SrtpFigures) => number): number | undefined {
  const plain = runs.filter((r) => r.mode === 'off');
  if (plain.length === 0) return undefined;
  const base = mean(plain.map(pick));
  return base > 0 ? pick(run) / base : undefined;
}

export function srtpSection(runs: readonly SrtpFigures[] | undefined, floor: CostFigures | undefined): string | undefined {
  if (runs === undefined || runs.length === 0) return undefined;
  const ratio = (r: SrtpFigures, pick: (r: SrtpFigures) => number): string => {
    if (r.mode === 'off') return '1 (plain)';
    const v = srtpRatio(runs, r, pick);
    return v === undefined ? '—' : `${formatFixed(v, 3)}×${v <= SRTP_GOAL_RATIO ? '' : ' **over 1.2×**'}`;
  };
  const failures = (f: Readonly<Record<string, number>> | undefined): string =>
    f === undefined ? '—' : Object.entries(f).map(([k, n]) => `${k} ${n}`).join(', ');
  return [
    '## SRTP vs plain RTP',
    '',
    'Same load, a fresh gateway each, records off. Plain: the load generator offers `RTP/AVP`; a suite: `RTP/SAVP` with ' +
      'that suite alone and a fresh SDES key per call, every packet protected and unprotected at both ends. Hold: gateway ' +
      'CPU over the hold window (every call up). Whole life: from before the first INVITE to after the tear-down. Goal: ' +
      `at most ${SRTP_GOAL_RATIO}× plain.`,
    '',
    '| Run | SRTP | Calls up (failed) | Hold CPU ms / call-s | vs plain | Whole-life CPU ms / call-s | vs plain | Loss % | Echo markers back (p50 ms) | Refused at the bench | Refused at the gateway |',
    '| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    ...runs.map((r, i) =>
      `| ${i + 1} | ${r.suite ?? 'off'} | ${r.callsUp} (${r.failedCalls}) | ${formatFixed(r.gateway.cpuMsPerCallSecond, 3)} | ${ratio(r, (x) => x.gateway.cpuMsPerCallSecond)} | ` +
      `${formatFixed(r.lifecycle.cpuMsPerCallSecond, 3)} | ${ratio(r, (x) => x.lifecycle.cpuMsPerCallSecond)} | ${formatFixed(r.lossPct, 3)} | ${r.roundTrips} (${formatFixed(r.roundTripP50Ms, 1)}) | ${r.srtpRefused} | ${failures(r.gatewayFailures)} |`),
    ...modeSummary(runs),
    ...(floor === undefined ? [] : ['', `Floor relay (plain UDP → WebSocket → UDP, same load): ${formatFixed(floor.cpuMsPerCallSecond, 3)} CPU ms per call-second.`]),
  ].join('\n');
}

/**
 * With more than one run of a mode (`--repeat`): each mode's mean over its runs, its spread, and the ratio of means
 * against plain — the figure the goal is judged on, since one run's ratio carries the whole run-to-run spread.
 */
function modeSummary(runs: readonly SrtpFigures[]): string[] {
  const modes = [...new Set(runs.map((r) => r.mode))];
  if (!runs.some((r) => runs.filter((x) => x.mode === r.mode).length > 1)) return [];
  const plain = runs.filter((r) => r.mode === 'off');
  const hold = (r: SrtpFigures): number => r.gateway.cpuMsPerCallSecond;
  const life = (r: SrtpFigures): number => r.lifecycle.cpuMsPerCallSecond;
  const plainHold = plain.length === 0 ? undefined : mean(plain.map(hold));
  const plainLife = plain.length === 0 ? undefined : mean(plain.map(life));
  const vs = (v: number, base: number | undefined, mode: string): string => {
    if (mode === 'off') return '1 (plain)';
    if (base === undefined || base <= 0) return '—';
    const q = v / base;
    return `${formatFixed(q, 3)}×${q <= SRTP_GOAL_RATIO ? '' : ' **over 1.2×**'}`;
  };
  return [
    '',
    'Each mode over its runs (the rounds alternate order, so a drift over the session weighs on every mode alike); the goal is judged on the ratio of means:',
    '',
    '| SRTP | Runs | Hold CPU ms / call-s, mean (min–max) | vs plain | Whole-life CPU ms / call-s, mean (min–max) | vs plain |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...modes.map((mode) => {
      const of = runs.filter((r) => r.mode === mode);
      const h = of.map(hold);
      const l = of.map(life);
      const span = (xs: number[]): string => `${formatFixed(mean(xs), 3)} (${formatFixed(Math.min(...xs), 3)}–${formatFixed(Math.max(...xs), 3)})`;
      return `| ${of[0]?.suite ?? 'off'} | ${of.length} | ${span(h)} | ${vs(mean(h), plainHold, mode)} | ${span(l)} | ${vs(mean(l), plainLife, mode)} |`;
    }),
  ];
}
