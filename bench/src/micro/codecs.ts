/**
 * Micro-benchmark: encode and decode of one 20 ms frame for each telephony codec.
 * Run from the repo root: `npx tsx bench/src/micro/codecs.ts [iterations]` (default 20k after a 2k warm-up).
 * Prints µs per frame; the floor is copying one 20 ms Int16Array of the codec's rate (`slice()`), measured in the
 * same run. The signal is speech-like (harmonics of 140 Hz with an envelope), so Opus codes something realistic.
 */

import { performance } from 'node:perf_hooks';

import { codecDescriptor, createDecoder, createEncoder } from '@patchbay/gateway';
import { speechLike } from './frames.js';

function measure(label: string, iterations: number, fn: (i: number) => unknown): number {
  let sink: unknown;
  for (let i = 0; i < Math.min(2000, iterations); i++) sink = fn(i);
  const t0 = performance.now();
  for (let i = 0; i < iterations; i++) sink = fn(i);
  const us = ((performance.now() - t0) * 1000) / iterations;
  if (sink === undefined) throw new Error('unreachable');
  console.log(`${label.padEnd(34)} ${us.toFixed(3).padStart(8)} µs/frame`);
  return us;
}

const iterations = Number(process.argv[2] ?? 20_000);
console.log(`20 ms frames, ${iterations} iterations, node ${process.version}`);
for (const name of ['PCMU', 'PCMA', 'G722', 'opus']) {
  const { pcmRate, frameSamples } = codecDescriptor(name);
  const frames = 50; // one second of distinct frames, cycled
  const pcm = speechLike(pcmRate, frames * frameSamples);
  const inputs = Array.from({ length: frames }, (_, f) => pcm.subarray(f * frameSamples, (f + 1) * frameSamples));
  const enc = createEncoder(name);
  const payloads = inputs.map((frame) => enc.encode(frame));
  enc.reset();
  const dec = createDecoder(name);
  const at = <T>(list: readonly T[], i: number): T => {
    const v = list[i % list.length];
    if (v === undefined) throw new Error('empty list');
    return v;
  };
  console.log(`-- ${name} (${pcmRate} Hz, ${frameSamples} samples, ${at(payloads, 0).length}-byte payload)`);
  const floor = measure('floor: Int16Array.slice()', iterations, (i) => at(inputs, i).slice());
  const e = measure(`${name} encode`, iterations, (i) => enc.encode(at(inputs, i)));
  const d = measure(`${name} decode`, iterations, (i) => dec.decode(at(payloads, i)));
  const c = measure(`${name} conceal (one lost frame)`, Math.min(iterations, 5000), () => {
    dec.decode(at(payloads, 0));
    return dec.conceal(frameSamples);
  });
  console.log(`   encode = ${(e / floor).toFixed(1)}× floor, decode = ${(d / floor).toFixed(1)}× floor, decode+conceal = ${(c / floor).toFixed(1)}× floor`);
}
