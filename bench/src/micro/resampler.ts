/**
 * Micro-benchmark: µs per 20 ms frame of rate conversion, for every edge pair at the default quality and at two
 * other speex levels for comparison (3, and 10 = best).
 * Run from the repo root: `npx tsx bench/src/micro/resampler.ts [rounds]` (default 15 rounds of 2,000 frames).
 * The floor, measured in the same run, is copying one input frame (`Int16Array.slice`): the least any conversion
 * that returns a fresh frame can cost. Each figure is the median over rounds; frames cycle through 50 different
 * frames of a noise stream so no call sees the same cache state twice in a row.
 */

import { createResampler, defaultQuality, loadResampler, resamplerBuild, type Resampler } from '@patchbay/gateway';
import { noiseFrames } from './frames.js';
import { cycle, medianUsPerCall, timingSink } from './timing.js';

const rounds = Number(process.argv[2] ?? 15);
const FRAMES_PER_ROUND = 2_000;
const DISTINCT = 50;
const PAIRS: readonly [number, number][] = [
  [8000, 24000],
  [24000, 8000],
  [16000, 24000],
  [24000, 16000],
  [48000, 24000],
  [24000, 48000],
];
const COMPARE = [3, 10];

await loadResampler();

const timing = { rounds, callsPerRound: FRAMES_PER_ROUND };
const frames = (rate: number): Int16Array[] => noiseFrames(rate, DISTINCT);

/** Median µs per call of `fn` (see timing.ts), frames cycling through `input`. */
function measure(input: readonly Int16Array[], fn: (frame: Int16Array) => Int16Array): number {
  return medianUsPerCall(timing, (i) => fn(cycle(input, i)).length);
}

const floors = new Map<number, number>();
for (const rate of [8000, 16000, 24000, 48000]) floors.set(rate, measure(frames(rate), (f) => f.slice()));

const rows: string[][] = [];
for (const [inRate, outRate] of PAIRS) {
  const input = frames(inRate);
  const floor = floors.get(inRate) ?? Number.NaN;
  const chosen = defaultQuality(inRate, outRate);
  for (const quality of [chosen, ...COMPARE.filter((q) => q !== chosen)]) {
    const resampler: Resampler = createResampler(inRate, outRate, { quality });
    const us = measure(input, (f) => resampler.process(f));
    rows.push([
      `${inRate / 1000}k → ${outRate / 1000}k`,
      `q${quality}${quality === chosen ? ' (default)' : ''}`,
      us.toFixed(2),
      floor.toFixed(3),
      (us / floor).toFixed(0),
      ((resampler.delaySamples * 1000) / outRate).toFixed(2),
    ]);
    resampler.close();
  }
}

const header = ['pair', 'quality', 'µs/frame', 'floor µs', '× floor', 'delay ms'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
const line = (cells: readonly string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
console.log(`resampler (speex wasm, ${resamplerBuild() ?? '?'} build): 20 ms frames, median of ${rounds} rounds × ${FRAMES_PER_ROUND} frames; floor = copying one input frame`);
console.log(line(header));
for (const r of rows) console.log(line(r));
if (timingSink() === 0) console.log('(no output)');
