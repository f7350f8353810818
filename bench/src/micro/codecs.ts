/**
 * Micro-benchmark: encode and decode of one 20 ms frame for each telephony codec.
 * Run from the repo root: `npx tsx bench/src/micro/codecs.ts [iterations] [only]` (default 20k after a 2k warm-up;
 * `only` keeps the codecs whose label starts with it, e.g. `g722`).
 * Prints µs per frame; the floor is copying one 20 ms Int16Array of the codec's rate (`slice()`), measured in the
 * same run. The signal is speech-like (harmonics of 140 Hz with an envelope), so Opus codes something realistic.
 * G.722 is also timed through the reference implementation it replaced (g722-reference.ts, bit-exact), so the
 * before/after figures come from one run. Each figure also shows process CPU µs (user + system) over the same loop.
 */

import { performance } from 'node:perf_hooks';

import { codecDescriptor, createDecoder, createEncoder, type AudioDecoder, type AudioEncoder } from '@patchbay/gateway';
import { G722ReferenceDecoder, G722ReferenceEncoder } from '../../../gateway/src/media/codecs/g722-reference.js';
import { speechLike } from './frames.js';

function measure(label: string, iterations: number, fn: (i: number) => unknown): number {
  let sink: unknown;
  for (let i = 0; i < Math.min(2000, iterations); i++) sink = fn(i);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < iterations; i++) sink = fn(i);
  const us = ((performance.now() - t0) * 1000) / iterations;
  const cpu = process.cpuUsage(cpu0);
  const cpuUs = (cpu.user + cpu.system) / iterations;
  if (sink === undefined) throw new Error('unreachable');
  console.log(`${label.padEnd(34)} ${us.toFixed(3).padStart(8)} µs/frame  (CPU ${cpuUs.toFixed(3)} µs)`);
  return us;
}

const iterations = Number(process.argv[2] ?? 20_000);
console.log(`20 ms frames, ${iterations} iterations, node ${process.version}`);
const only = process.argv[3];
const variants: { name: string; label: string; enc: () => AudioEncoder; dec: () => AudioDecoder }[] = [
  ...['PCMU', 'PCMA'].map((name) => ({ name, label: name, enc: () => createEncoder(name), dec: () => createDecoder(name) })),
  { name: 'G722', label: 'G722 reference (before)', enc: () => new G722ReferenceEncoder(), dec: () => new G722ReferenceDecoder() },
  { name: 'G722', label: 'G722', enc: () => createEncoder('G722'), dec: () => createDecoder('G722') },
  { name: 'opus', label: 'opus', enc: () => createEncoder('opus'), dec: () => createDecoder('opus') },
];
for (const { name, label, enc: makeEnc, dec: makeDec } of variants) {
  if (only !== undefined && !label.toLowerCase().startsWith(only.toLowerCase())) continue;
  const { pcmRate, frameSamples } = codecDescriptor(name);
  const frames = 50; // one second of distinct frames, cycled
  const pcm = speechLike(pcmRate, frames * frameSamples);
  const inputs = Array.from({ length: frames }, (_, f) => pcm.subarray(f * frameSamples, (f + 1) * frameSamples));
  const enc = makeEnc();
  const payloads = inputs.map((frame) => enc.encode(frame));
  enc.reset();
  const dec = makeDec();
  const at = <T>(list: readonly T[], i: number): T => {
    const v = list[i % list.length];
    if (v === undefined) throw new Error('empty list');
    return v;
  };
  console.log(`-- ${label} (${pcmRate} Hz, ${frameSamples} samples, ${at(payloads, 0).length}-byte payload)`);
  const floor = measure('floor: Int16Array.slice()', iterations, (i) => at(inputs, i).slice());
  const e = measure(`${label} encode`, iterations, (i) => enc.encode(at(inputs, i)));
  const d = measure(`${label} decode`, iterations, (i) => dec.decode(at(payloads, i)));
  const c = measure(`${label} conceal (one lost frame)`, Math.min(iterations, 5000), () => {
    dec.decode(at(payloads, 0));
    return dec.conceal(frameSamples);
  });
  console.log(`   encode = ${(e / floor).toFixed(1)}× floor, decode = ${(d / floor).toFixed(1)}× floor, decode+conceal = ${(c / floor).toFixed(1)}× floor`);
}
