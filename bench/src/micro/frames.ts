/** Deterministic input frames for the micro-benchmarks (pure): noise, a voiced vowel-like signal, speech-like harmonics. */
import { prng } from '../prng.js';

/** `count` consecutive 20 ms frames of white noise (±10,000) at `rate`. */
export function noiseFrames(rate: number, count: number): Int16Array[] {
  const next = prng(rate);
  return Array.from({ length: count }, () => Int16Array.from({ length: rate / 50 }, () => Math.round((next() - 0.5) * 20_000)));
}

/** `count` consecutive 20 ms frames of a voiced, vowel-like signal (harmonics of a 110–140 Hz glide, a little noise). */
export function voicedFrames(rate: number, gain: number, count: number): Int16Array[] {
  const next = prng(rate);
  const n = rate / 50;
  const out: Int16Array[] = [];
  let phase = 0;
  for (let f = 0; f < count; f++) {
    const frame = new Int16Array(n);
    for (let i = 0; i < n; i++) {
      const t = (f * n + i) / rate;
      phase += (2 * Math.PI * (125 + 15 * Math.sin(2 * Math.PI * 2 * t))) / rate;
      let v = 0;
      for (let h = 1; h <= 20; h++) v += Math.sin(h * phase) / (1 + Math.abs(h - 5)); // formant-ish peak near 600 Hz
      frame[i] = Math.round(gain * (v + (next() - 0.5) * 0.2));
    }
    out.push(frame);
  }
  return out;
}

/** `samples` samples of harmonics of 140 Hz under a 3 Hz envelope: something realistic for a speech codec. */
export function speechLike(rate: number, samples: number): Int16Array {
  const out = new Int16Array(samples);
  for (let i = 0; i < samples; i++) {
    const t = i / rate;
    let v = 0;
    for (let h = 1; h <= 20 && h * 140 < rate / 2; h++) v += Math.sin(2 * Math.PI * 140 * h * t + h) / h;
    out[i] = Math.round(4500 * v * (0.55 + 0.45 * Math.sin(2 * Math.PI * 3 * t)));
  }
  return out;
}
