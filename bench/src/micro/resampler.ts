/**
 * Micro-benchmark: cost per 20 ms frame of rate conversion, for every edge pair, by engine: the default, speex at
 * its default quality, the polyphase FIR where it serves the pair (8k ↔ 24k), and speex at two other levels for
 * comparison (3, and 10 = best). With the spec each row meets, measured with the spec tests' own tools.
 * Run from the repo root: `npx tsx bench/src/micro/resampler.ts [rounds]` (default 15 rounds of 2,000 frames).
 *
 * Time is CPU time of this process (`process.cpuUsage`, user + system), so a busy machine slows it less than
 * wall time. The variants of one pair run interleaved, one round each in turn, so old and new see the same
 * machine; each figure is the median over rounds, after one warm-up round. `process()` is timed as callers use
 * it: for speex that includes copying the frame into the wasm heap and the result out. The floor, measured in the
 * same run, is copying one input frame (`Int16Array.slice`): the least any conversion that returns a fresh frame
 * can cost. Frames cycle through 50 different frames of a noise stream.
 */

import { createResampler, defaultQuality, loadResampler, resamplerBuild, type Resampler } from '@patchbay/gateway';
import { db, fitTone, rms, sine } from '../../../gateway/src/media/audio/dsp-measure.js';
import { defaultEngine } from '../../../gateway/src/media/audio/resampler.js';
import { noiseFrames } from './frames.js';
import { cycle, timingSink } from './timing.js';

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
const POLYPHASE_PAIRS = new Set(['8000>24000', '24000>8000']);
const COMPARE = [3, 10];
const PASSBAND_EDGE_HZ: Readonly<Record<number, number>> = { 8000: 3400, 16000: 7000, 24000: 10_800 };

await loadResampler();

let sink = 0;

/** One round's CPU µs per call of `fn`. */
function cpuRound(fn: (i: number) => number, start: number): number {
  const before = process.cpuUsage();
  for (let c = 0; c < FRAMES_PER_ROUND; c++) sink += fn(start + c);
  const used = process.cpuUsage(before);
  return (used.user + used.system) / FRAMES_PER_ROUND;
}

/** Median CPU µs per call of each variant, rounds interleaved across variants (round 0 warms up). */
function measureInterleaved(variants: readonly ((i: number) => number)[]): number[] {
  const perVariant = variants.map((): number[] => []);
  for (let r = 0; r <= rounds; r++) {
    variants.forEach((fn, v) => {
      const us = cpuRound(fn, r * FRAMES_PER_ROUND);
      if (r > 0) perVariant[v]?.push(us);
    });
  }
  return perVariant.map((list) => {
    list.sort((x, y) => x - y);
    return list[Math.floor(list.length / 2)] ?? Number.NaN;
  });
}

interface Spec {
  rippleDb: number;
  /** Worst image residual (up) or alias (down), dB below the tone. */
  rejectionDb: number;
}

/** The spec the tests check, measured the same way: tones every 50 / 100 Hz through a fresh resampler. */
function measureSpec(make: () => Resampler, inRate: number, outRate: number): Spec {
  const A = 16_000;
  const edge = PASSBAND_EDGE_HZ[Math.min(inRate, outRate)] ?? Number.NaN;
  const convert = (f: number): { out: Int16Array; from: number } => {
    const r = make();
    const out = r.process(sine(inRate, f, inRate / 4, A));
    r.close();
    return { out, from: Math.ceil(r.delaySamples * 2) };
  };
  const gains: number[] = [];
  let rejectionDb = -Infinity;
  const tones: number[] = [];
  for (let f = 100; f < edge; f += 50) tones.push(f);
  tones.push(edge);
  for (const f of tones) {
    const { out, from } = convert(f);
    const fit = fitTone(out, outRate, f, from);
    gains.push(db(fit.amplitude / A));
    if (outRate > inRate) rejectionDb = Math.max(rejectionDb, db(fit.residualRms / (A / Math.SQRT2)));
  }
  if (outRate < inRate) {
    for (let f = outRate / 2 + 100; f < inRate / 2; f += 100) {
      const { out, from } = convert(f);
      rejectionDb = Math.max(rejectionDb, db(rms(out, from) / (A / Math.SQRT2)));
    }
  }
  return { rippleDb: Math.max(...gains) - Math.min(...gains), rejectionDb };
}

const frames = (rate: number): Int16Array[] => noiseFrames(rate, DISTINCT);

interface Variant {
  label: string;
  make: () => Resampler;
  spec: boolean;
}

const rows: string[][] = [];
for (const [inRate, outRate] of PAIRS) {
  const key = `${inRate}>${outRate}`;
  const input = frames(inRate);
  const chosen = defaultQuality(inRate, outRate);
  const engine = defaultEngine(inRate, outRate);
  const variants: Variant[] = [{ label: `speex q${chosen}${engine === 'speex' ? ' (default)' : ''}`, make: () => createResampler(inRate, outRate, { engine: 'speex' }), spec: true }];
  if (POLYPHASE_PAIRS.has(key)) {
    variants.push({ label: `polyphase${engine === 'polyphase' ? ' (default)' : ''}`, make: () => createResampler(inRate, outRate, { engine: 'polyphase' }), spec: true });
  }
  for (const quality of COMPARE.filter((q) => q !== chosen)) {
    variants.push({ label: `speex q${quality}`, make: () => createResampler(inRate, outRate, { quality }), spec: false });
  }
  const resamplers = variants.map((v) => v.make());
  const floorFn = (i: number): number => cycle(input, i).slice().length;
  const [floor = Number.NaN, ...us] = measureInterleaved([floorFn, ...resamplers.map((r) => (i: number) => r.process(cycle(input, i)).length)]);
  variants.forEach((v, i) => {
    const r = resamplers[i];
    const cost = us[i] ?? Number.NaN;
    const spec = v.spec ? measureSpec(v.make, inRate, outRate) : undefined;
    rows.push([
      `${inRate / 1000}k → ${outRate / 1000}k`,
      v.label,
      cost.toFixed(2),
      floor.toFixed(3),
      (cost / floor).toFixed(1),
      r === undefined ? '?' : `${r.delaySamples.toFixed(r.delaySamples % 1 === 0 ? 0 : 2)} (${((r.delaySamples * 1000) / outRate).toFixed(2)} ms)`,
      spec === undefined ? '–' : spec.rippleDb.toFixed(3),
      spec === undefined ? '–' : spec.rejectionDb.toFixed(1),
    ]);
    r?.close();
  });
}

const header = ['pair', 'engine', 'CPU µs/frame', 'floor µs', '× floor', 'delay samples @out', 'ripple dB', 'images/aliases dB'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
const line = (cells: readonly string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
console.log(
  `resampler (speex wasm ${resamplerBuild() ?? '?'} build vs polyphase FIR in JS): 20 ms frames, CPU time, median of ${rounds} interleaved rounds × ${FRAMES_PER_ROUND} frames; floor = copying one input frame`,
);
console.log(line(header));
for (const r of rows) console.log(line(r));
if (sink === 0 && timingSink() === 0) console.log('(no output)');
