import { describe, expect, it } from 'vitest';

import { chirp, db, fitTone, lineAmplitude, maxJumpAt, peakPosition, rms, sine } from './dsp-measure.js';

// The measuring tools are checked against signals whose answers are known, so a passing resampler test means the
// resampler is right, not that the ruler is bent.
describe('dsp-measure', () => {
  it('fitTone recovers amplitude, phase and a known residual', () => {
    const x = sine(8000, 1234.5, 4000, 10_000, 0.7);
    const fit = fitTone(x, 8000, 1234.5);
    expect(db(fit.amplitude / 10_000)).toBeCloseTo(0, 3);
    expect(fit.phase).toBeCloseTo(0.7, 3);
    expect(fit.residualRms).toBeLessThan(0.35); // rounding noise only: 1/√12 LSB ≈ 0.29
    const mixed = Float64Array.from(x, (v, n) => v + 100 * Math.sin((2 * Math.PI * 3000 * n) / 8000));
    expect(fitTone(mixed, 8000, 1234.5).residualRms).toBeCloseTo(100 / Math.SQRT2, 0);
  });

  it('lineAmplitude sees a −80 dB line 1200 Hz from a full-scale tone', () => {
    const n = 5800;
    const x = Float64Array.from({ length: n }, (_, i) => 16_000 * Math.sin((2 * Math.PI * 3400 * i) / 24_000) + 1.6 * Math.sin((2 * Math.PI * 4600 * i) / 24_000));
    expect(db(lineAmplitude(x, 24_000, 4600) / 16_000)).toBeCloseTo(-80, 0);
    expect(db(lineAmplitude(x, 24_000, 3400) / 16_000)).toBeCloseTo(0, 2);
  });

  it('rms of a sine is amplitude/√2; peakPosition finds a fractional peak; maxJumpAt reads steps', () => {
    expect(rms(sine(24_000, 1000, 24_000, 1000))).toBeCloseTo(1000 / Math.SQRT2, 0);
    const pulse = Float64Array.from({ length: 64 }, (_, i) => Math.exp(-(((i - 30.3) / 3) ** 2)));
    expect(peakPosition(pulse)).toBeCloseTo(30.3, 1);
    expect(maxJumpAt([0, 0, 5, 5, -2], [1, 2, 3, 4])).toBe(7);
    expect(chirp(8000, 100, 3000, 800, 1000).length).toBe(800);
  });
});
