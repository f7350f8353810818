import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { G722Decoder, G722Encoder } from './g722.js';
import { G722ReferenceDecoder, G722ReferenceEncoder } from './g722-reference.js';
import { prng, speechLike } from './test-signals.js';

const RATE = 16_000;

/** Full-range random samples, with bursts of clipping square waves and silence to drive every clamp. */
function randomPcm(seed: number, samples: number): Int16Array {
  const rnd = prng(seed);
  const out = new Int16Array(samples);
  for (let i = 0; i < samples; i++) {
    const phase = Math.floor(i / 4000) % 4;
    out[i] = phase === 0 ? (rnd() & 0xffff) - 32768 : phase === 1 ? (i & 32 ? 32767 : -32768) : phase === 2 ? 0 : ((rnd() & 0xfff) - 2048);
  }
  return out;
}

/** A recorded speech prompt (24 kHz) taken to 16 kHz by keeping 2 of every 3 samples: crude, but real speech. */
function speechPrompt(): Int16Array {
  const b = readFileSync(new URL('../../../../agents/prompts/apology.wav', import.meta.url));
  const pcm24 = new Int16Array(b.buffer.slice(b.byteOffset + 44, b.byteOffset + b.byteLength - ((b.byteLength - 44) % 2)));
  const out = new Int16Array(Math.floor((pcm24.length * 2) / 3));
  for (let i = 0, o = 0; o < out.length; i += 3) {
    out[o++] = pcm24[i] ?? 0;
    if (o < out.length) out[o++] = pcm24[i + 1] ?? 0;
  }
  return out;
}

/** Chunk lengths that exercise odd carries, empty calls and a frame larger than the delay line's first size. */
function chunkLengths(seed: number, total: number): number[] {
  const rnd = prng(seed);
  const sizes = [320, 320, 1, 0, 319, 2, 0, 961, 320, 3, 640];
  const out: number[] = [];
  let used = 0;
  for (let k = 0; used < total; k++) {
    const n = Math.min(total - used, k < sizes.length ? (sizes[k] ?? 320) : rnd() % 700);
    out.push(n);
    used += n;
  }
  return out;
}

function encodeBoth(pcm: Int16Array, chunks: number[]): { fast: Uint8Array[]; reference: Uint8Array[] } {
  const fastEnc = new G722Encoder();
  const refEnc = new G722ReferenceEncoder();
  const fast: Uint8Array[] = [];
  const reference: Uint8Array[] = [];
  let at = 0;
  for (const n of chunks) {
    const chunk = pcm.subarray(at, at + n);
    fast.push(fastEnc.encode(chunk));
    reference.push(refEnc.encode(chunk));
    at += n;
  }
  return { fast, reference };
}

/**
 * Where two streams of chunks first differ: `chunk:index`, or 'identical'. (toEqual on megabytes of samples spends
 * minutes formatting a diff when they do differ; this fails just as surely and says where.)
 */
function firstDifference(a: readonly ArrayLike<number>[], b: readonly ArrayLike<number>[]): string {
  if (a.length !== b.length) return `chunk count ${a.length} vs ${b.length}`;
  for (let c = 0; c < a.length; c++) {
    const x = a[c] ?? [];
    const y = b[c] ?? [];
    if (x.length !== y.length) return `chunk ${c}: length ${x.length} vs ${y.length}`;
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return `chunk ${c}:${i}: ${x[i]} vs ${y[i]}`;
  }
  return 'identical';
}

const INPUTS = [
  { name: '30 s of random full-range samples, clipping squares and silence', pcm: randomPcm(15, 30 * RATE) },
  { name: '10 s of speech-like harmonics', pcm: speechLike(RATE, 10 * RATE) },
  { name: 'a recorded speech prompt', pcm: speechPrompt() },
];

describe('G.722 fast path is bit-exact with the reference implementation (g722-reference.ts)', () => {
  it.each(INPUTS)('encoder, 20 ms frames: $name', ({ pcm }) => {
    const frames = Array.from({ length: Math.ceil(pcm.length / 320) }, (_, k) => Math.min(320, pcm.length - k * 320));
    const { fast, reference } = encodeBoth(pcm, frames);
    expect(firstDifference(fast, reference)).toBe('identical');
  });

  it.each(INPUTS)('encoder, ragged chunks (odd carries, empty calls, 961-sample calls): $name', ({ pcm }) => {
    const { fast, reference } = encodeBoth(pcm, chunkLengths(7, pcm.length));
    expect(firstDifference(fast, reference)).toBe('identical');
  });

  it.each(INPUTS)('decoder on the encoded stream and on random bytes, ragged payloads: $name', ({ pcm }) => {
    const { reference } = encodeBoth(pcm, chunkLengths(9, pcm.length));
    const rnd = prng(pcm.length);
    const garbage = Array.from({ length: 300 }, () => Uint8Array.from({ length: rnd() % 500 }, () => rnd() & 0xff));
    const fastDec = new G722Decoder();
    const refDec = new G722ReferenceDecoder();
    const fastOut: Int16Array[] = [];
    const refOut: Int16Array[] = [];
    for (const payload of [...reference, ...garbage, ...reference]) {
      fastOut.push(fastDec.decode(payload));
      refOut.push(refDec.decode(payload));
    }
    // Concealment and the cross-fade back still match (same PLC, same history).
    fastOut.push(fastDec.conceal(320));
    refOut.push(refDec.conceal(320));
    const next = reference[1] ?? new Uint8Array(160);
    fastOut.push(fastDec.decode(next));
    refOut.push(refDec.decode(next));
    expect(firstDifference(fastOut, refOut)).toBe('identical');
  });

  it('reset() returns both to the same initial state', () => {
    const pcm = speechLike(RATE, RATE);
    const enc = new G722Encoder();
    const ref = new G722ReferenceEncoder();
    enc.encode(pcm.subarray(0, 4001));
    enc.reset();
    ref.encode(pcm.subarray(0, 77));
    ref.reset();
    expect(firstDifference([enc.encode(pcm)], [ref.encode(pcm)])).toBe('identical');
  });
});
