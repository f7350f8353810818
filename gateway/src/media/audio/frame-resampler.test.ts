import { beforeAll, describe, expect, it } from 'vitest';

import { chirp, concat } from './dsp-measure.js';
import { FRAME_SAMPLES, SAMPLE_RATE } from './frame.js';
import { FrameResampler } from './frame-resampler.js';
import { createResampler, loadResampler } from './resampler.js';

beforeAll(async () => {
  await loadResampler();
});

describe('FrameResampler', () => {
  it('24 kHz 480-sample frames become one 160-sample 8 kHz frame per push, nothing held back', () => {
    const fr = new FrameResampler(SAMPLE_RATE, 8000);
    const plain = createResampler(SAMPLE_RATE, 8000);
    const input = chirp(SAMPLE_RATE, 100, 11_000, FRAME_SAMPLES * 200, 16_000);
    for (let at = 0; at < input.length; at += FRAME_SAMPLES) {
      const frame = input.subarray(at, at + FRAME_SAMPLES);
      const out = fr.push(frame);
      expect(out.length).toBe(1);
      expect(out[0]).toEqual(plain.process(frame));
      expect(fr.pendingSamples).toBe(0);
    }
    expect(fr.frameSamples).toBe(160);
    expect(fr.delaySamples).toBe(32);
  });

  it.each([
    [SAMPLE_RATE, 8000],
    [8000, SAMPLE_RATE],
    [SAMPLE_RATE, 16000],
    [48000, SAMPLE_RATE],
  ])('%i → %i: chunks of any size give whole frames of the same samples, fewer than a frame pending', (inRate, outRate) => {
    const input = chirp(inRate, 100, inRate / 2 - 100, inRate, 16_000);
    const whole = createResampler(inRate, outRate).process(input);
    const fr = new FrameResampler(inRate, outRate);
    const frames: Int16Array[] = [];
    let seed = 11;
    for (let at = 0; at < input.length; ) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      const n = 1 + (seed % 1500);
      for (const f of fr.push(input.subarray(at, at + n))) {
        expect(f.length).toBe(fr.frameSamples);
        frames.push(f);
      }
      expect(fr.pendingSamples).toBeLessThan(fr.frameSamples);
      at += n;
    }
    const pending = fr.pendingSamples;
    const last = fr.flush();
    if (last !== undefined) frames.push(last);
    const out = concat(frames);
    expect(out.length).toBe(Math.ceil(whole.length / fr.frameSamples) * fr.frameSamples);
    expect(out.subarray(0, whole.length)).toEqual(whole);
    expect(out.subarray(whole.length).every((v) => v === 0)).toBe(true);
    expect(whole.length % fr.frameSamples).toBe(pending);
    expect(fr.flush()).toBeUndefined();
  });

  it('reset() drops pending samples and the filter history', () => {
    const fr = new FrameResampler(SAMPLE_RATE, 8000);
    fr.push(new Int16Array(100).fill(9000));
    expect(fr.pendingSamples).toBeGreaterThan(0);
    fr.reset();
    expect(fr.pendingSamples).toBe(0);
    const frame = chirp(SAMPLE_RATE, 200, 2000, FRAME_SAMPLES, 8000);
    expect(fr.push(frame)).toEqual([createResampler(SAMPLE_RATE, 8000).process(frame)]);
    fr.close();
    fr.close();
  });

  it('rejects a frame length that is not a whole number of samples', () => {
    expect(() => new FrameResampler(SAMPLE_RATE, 8000, { frameMs: 0.1 })).toThrow(RangeError);
  });
});
