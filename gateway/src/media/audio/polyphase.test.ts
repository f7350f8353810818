import { beforeAll, describe, expect, it } from 'vitest';

import { db, rms, sine } from './dsp-measure.js';
import { designLowpass, magnitudeAt } from './fir-design.js';
import { createPolyphaseResampler, DOWN3_FILTER, UP3_FILTER } from './polyphase.js';
import { createResampler, loadResampler } from './resampler.js';

// The spec (ripple, images, aliases, delay, chunking, no drift) runs on this engine in resampler.test.ts; these
// are the parts that are the polyphase code's own: the filters, Int16 rounding and saturation, reset, and that it
// gives the same audio as speex.

beforeAll(async () => {
  await loadResampler();
});

describe('filter design', () => {
  it.each([
    ['up', UP3_FILTER, 4100],
    ['down', DOWN3_FILTER, 4100],
  ] as const)('%s: flat within ±0.04 dB to 3400 Hz and ≥ 65 dB down from the first frequency the spec tests', (_, spec, stopFrom) => {
    const h = designLowpass(spec);
    const gains: number[] = [];
    for (let f = 0; f <= 3400; f += 25) gains.push(db(magnitudeAt(h, spec.rateHz, f)));
    expect(Math.max(...gains.map(Math.abs))).toBeLessThan(0.04);
    let worst = -Infinity;
    for (let f = stopFrom; f <= spec.rateHz / 2; f += 10) worst = Math.max(worst, db(magnitudeAt(h, spec.rateHz, f)));
    expect(worst).toBeLessThan(-65);
  });

  it('30 taps fewer with the same bands miss the −60 dB stopband (the tap count is not larger than it needs to be)', () => {
    const h = designLowpass({ ...DOWN3_FILTER, taps: DOWN3_FILTER.taps - 30 });
    let worst = -Infinity;
    for (let f = 4100; f <= 12_000; f += 10) worst = Math.max(worst, db(magnitudeAt(h, 24_000, f)));
    expect(worst).toBeGreaterThan(-60);
  });

  it('is symmetric (linear phase) and rejects an even tap count or crossed band edges', () => {
    const h = designLowpass(UP3_FILTER);
    for (let k = 0; k < h.length; k++) expect(h[k]).toBe(h[h.length - 1 - k]);
    expect(() => designLowpass({ ...UP3_FILTER, taps: 74 })).toThrow(RangeError);
    expect(() => designLowpass({ ...UP3_FILTER, passHz: 5000 })).toThrow(RangeError);
  });
});

describe('Int16 output', () => {
  it.each([
    [8000, 24_000],
    [24_000, 8000],
  ] as const)('%i → %i: a full-scale square wave saturates at ±32767/−32768 and never wraps', (inRate, outRate) => {
    const period = inRate / 25; // 25 Hz
    const input = Int16Array.from({ length: inRate / 5 }, (_, n) => (n % period < period / 2 ? 32767 : -32768));
    const r = createPolyphaseResampler(inRate, outRate);
    const out = r.process(input);
    const ratio = outRate / inRate;
    let clipped = 0;
    // Away from the edges (±40 output samples) the output has the sign of the delayed input: a wrap would flip it.
    for (let m = 200; m < out.length; m++) {
      const n = Math.round((m - r.delaySamples) / ratio);
      const phase = ((n % period) + period) % period;
      if (Math.min(phase, Math.abs(phase - period / 2), period - phase) * ratio < 40) continue;
      const v = out[m] ?? 0;
      expect(Math.sign(v), `sample ${m}`).toBe(phase < period / 2 ? 1 : -1);
      if (v === 32767 || v === -32768) clipped++;
    }
    expect(clipped).toBeGreaterThan(0); // the Gibbs overshoot did reach the rails
  });

  it.each([
    [8000, 24_000],
    [24_000, 8000],
  ] as const)('%i → %i: a constant comes out as the same integer (rounded, not truncated)', (inRate, outRate) => {
    for (const value of [7, -7, 1000, -1000]) {
      const out = createPolyphaseResampler(inRate, outRate).process(new Int16Array(inRate / 10).fill(value));
      expect(new Set(out.subarray(out.length / 2))).toEqual(new Set([value]));
    }
  });
});

describe('state', () => {
  it.each([
    [8000, 24_000],
    [24_000, 8000],
  ] as const)('%i → %i: reset() makes the next output match a fresh resampler (history and ÷3 phase)', (inRate, outRate) => {
    const input = sine(inRate, 440, inRate / 10, 10_000);
    const used = createPolyphaseResampler(inRate, outRate);
    used.process(sine(inRate, 700, 1001, 10_000)); // an odd length leaves the ÷3 phase at 2
    used.reset();
    expect(used.process(input)).toEqual(createPolyphaseResampler(inRate, outRate).process(input));
  });

  it('returns a fresh array each call: a kept frame is never overwritten', () => {
    const r = createPolyphaseResampler(8000, 24_000);
    const first = r.process(sine(8000, 440, 160, 10_000));
    const copy = first.slice();
    r.process(sine(8000, 900, 160, 10_000));
    expect(first).toEqual(copy);
  });
});

describe('same audio as speex', () => {
  it.each([
    [8000, 24_000],
    [24_000, 8000],
  ] as const)('%i → %i: speech-band audio matches the speex output, delays aligned, within −50 dB', (inRate, outRate) => {
    // Harmonics of 140 Hz up to 3,360 Hz: the band both engines hold flat.
    const input = new Int16Array(inRate / 2);
    for (let n = 0; n < input.length; n++) {
      let v = 0;
      for (let k = 1; k * 140 < 3400; k++) v += Math.sin((2 * Math.PI * 140 * k * n) / inRate + k) / k;
      input[n] = Math.round(5000 * v);
    }
    const poly = createResampler(inRate, outRate, { engine: 'polyphase' });
    const speex = createResampler(inRate, outRate, { engine: 'speex' });
    const a = poly.process(input);
    const b = speex.process(input);
    const shift = speex.delaySamples - poly.delaySamples; // whole samples for both engines at these pairs
    expect(Number.isInteger(shift)).toBe(true);
    const from = Math.ceil(speex.delaySamples * 2);
    const diff = new Float64Array(b.length - from);
    for (let m = from; m < b.length; m++) diff[m - from] = (b[m] ?? 0) - (a[m - shift] ?? 0);
    expect(db(rms(diff) / rms(b, from))).toBeLessThan(-50);
  });
});
