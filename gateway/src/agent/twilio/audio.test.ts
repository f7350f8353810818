import { beforeAll, describe, expect, it } from 'vitest';
import { loadResampler } from '../../media/audio/resampler.js';
import { linearToUlaw, ulawToLinear } from '../../media/codecs/g711.js';
import { TwilioAudio } from './audio.js';

beforeAll(async () => {
  await loadResampler();
});

function sine(rate: number, hz: number, amplitude: number, samples: number, phase = 0): Int16Array {
  return Int16Array.from({ length: samples }, (_, i) => Math.round(amplitude * Math.sin((2 * Math.PI * hz * (i + phase)) / rate)));
}

/** Power at `hz` (Goertzel), per sample. */
function powerAt(pcm: ArrayLike<number>, rate: number, hz: number): number {
  const k = 2 * Math.cos((2 * Math.PI * hz) / rate);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < pcm.length; i++) {
    const s = (pcm[i] ?? 0) + k * s1 - s2;
    s2 = s1;
    s1 = s;
  }
  return (s1 * s1 + s2 * s2 - k * s1 * s2) / Math.max(1, pcm.length);
}

function rms(pcm: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < pcm.length; i++) sum += (pcm[i] ?? 0) ** 2;
  return Math.sqrt(sum / Math.max(1, pcm.length));
}

describe('TwilioAudio', () => {
  it('turns each 20 ms frame at 24 kHz into one 160-byte µ-law payload carrying the same tone', () => {
    const audio = new TwilioAudio();
    const tone = sine(24_000, 1_000, 8_000, 480 * 50);
    const payloads: Uint8Array[] = [];
    for (let f = 0; f < 50; f++) {
      const out = audio.encode(tone.subarray(f * 480, (f + 1) * 480));
      expect(out).toHaveLength(1);
      payloads.push(...out);
    }
    expect(payloads.every((p) => p.length === 160)).toBe(true);
    // Decoded with the reference µ-law expansion, after the filter's first frame: 1 kHz at the same level.
    const pcm8k = Int16Array.from(payloads.slice(1).flatMap((p) => Array.from(p, ulawToLinear)));
    expect(rms(pcm8k) / rms(tone)).toBeGreaterThan(0.97);
    expect(rms(pcm8k) / rms(tone)).toBeLessThan(1.03);
    expect(powerAt(pcm8k, 8000, 1000)).toBeGreaterThan(100 * powerAt(pcm8k, 8000, 1500));
    audio.close();
  });

  it('turns bot µ-law of any length into 24 kHz audio, three samples per byte, the same stream however it is cut', () => {
    const tone8k = sine(8000, 440, 10_000, 8000);
    const ulaw = Uint8Array.from(tone8k, linearToUlaw);
    const whole = new TwilioAudio();
    const cut = new TwilioAudio();
    const a = whole.decode(ulaw);
    const parts: Int16Array[] = [];
    for (let at = 0; at < ulaw.length; at += 37) parts.push(cut.decode(ulaw.subarray(at, at + 37)));
    const b = Int16Array.from(parts.flatMap((p) => Array.from(p)));
    expect(a.length).toBe(3 * ulaw.length);
    expect(Array.from(b)).toEqual(Array.from(a));
    const steady = a.subarray(2400);
    expect(powerAt(steady, 24_000, 440)).toBeGreaterThan(100 * powerAt(steady, 24_000, 1000));
    expect(rms(steady) / rms(tone8k)).toBeGreaterThan(0.97);
    whole.close();
    cut.close();
  });

  it('resetDown forgets the tail of cleared audio: silence after it decodes to silence', () => {
    const loud = Uint8Array.from(sine(8000, 1000, 20_000, 800), linearToUlaw);
    const silence = new Uint8Array(160).fill(0xff);
    const kept = new TwilioAudio();
    kept.decode(loud);
    expect(rms(kept.decode(silence))).toBeGreaterThan(100); // the filter still held the tone's last 4 ms
    const reset = new TwilioAudio();
    reset.decode(loud);
    reset.resetDown();
    expect(rms(reset.decode(silence))).toBe(0);
    expect(reset.downDelaySamples).toBeGreaterThan(0);
    kept.close();
    reset.close();
    reset.close(); // idempotent
  });
});
