/**
 * The micro-benchmarks' shared timing: the median over rounds of µs per call, after one warm-up round (JIT and wasm
 * tiers), with every result summed into a sink so that nothing is optimised away.
 */
import { performance } from 'node:perf_hooks';

export interface TimingOptions {
  /** Timed rounds (one more runs first to warm up). */
  readonly rounds: number;
  readonly callsPerRound: number;
}

let sink = 0;

/** Median µs per call of `fn(i)` (`i` counts calls from 0 across rounds); `fn` returns a number to keep alive. */
export function medianUsPerCall(options: TimingOptions, fn: (i: number) => number): number {
  const perRound: number[] = [];
  let i = 0;
  for (let r = 0; r <= options.rounds; r++) {
    const start = performance.now();
    for (let c = 0; c < options.callsPerRound; c++) sink += fn(i++);
    const us = ((performance.now() - start) * 1000) / options.callsPerRound;
    if (r > 0) perRound.push(us);
  }
  perRound.sort((x, y) => x - y);
  return perRound[Math.floor(perRound.length / 2)] ?? Number.NaN;
}

/** The sink, so a script can show it used the results (0 would mean nothing ran). */
export function timingSink(): number {
  return sink;
}

/** `list[i mod length]`, for cycling through distinct input frames. */
export function cycle<T>(list: readonly T[], i: number): T {
  const v = list[i % list.length];
  if (v === undefined) throw new RangeError('cycle: empty list');
  return v;
}
