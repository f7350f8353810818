import { describe, expect, it } from 'vitest';

import { PacketLossConcealer } from './plc.js';
import { concat, dominantHz, rms, sine } from './test-signals.js';

/** Largest sample-to-sample step in `pcm`. */
function maxStep(pcm: Int16Array): number {
  let m = 0;
  for (let i = 1; i < pcm.length; i++) m = Math.max(m, Math.abs((pcm[i] ?? 0) - (pcm[i - 1] ?? 0)));
  return m;
}

describe.each([8000, 16_000])('PacketLossConcealer at %i Hz', (rate) => {
  const frame = rate / 50;

  it('repeats the last pitch period without clicks, then fades to silence by 60 ms', () => {
    const plc = new PacketLossConcealer(rate);
    const tone = sine(220, rate, 10 * frame, 8000);
    const history: Int16Array[] = [];
    for (let i = 0; i < tone.length; i += frame) history.push(plc.receive(tone.slice(i, i + frame)));
    const naturalStep = maxStep(tone);
    const lost = [plc.conceal(frame), plc.conceal(frame), plc.conceal(frame), plc.conceal(frame)];
    const joined = concat([...history, ...lost]);
    expect(maxStep(joined)).toBeLessThanOrEqual(naturalStep * 1.2); // no step bigger than the signal's own
    const first = lost[0] ?? new Int16Array(0);
    expect(rms(first, 0, frame / 2)).toBeGreaterThan(0.9 * rms(tone)); // first 10 ms at full level
    expect(Math.abs(dominantHz(first, rate, 100, 1000) - 220)).toBeLessThanOrEqual(15); // same pitch
    expect(rms(lost[2] ?? first)).toBeLessThan(rms(first)); // fading
    expect(rms(lost[3] ?? first)).toBe(0); // 60–80 ms: silent
  });

  it('cross-fades back into real audio without a click', () => {
    const plc = new PacketLossConcealer(rate);
    const tone = sine(220, rate, 12 * frame, 8000);
    const out: Int16Array[] = [];
    for (let f = 0; f < 12; f++) {
      const real = tone.slice(f * frame, (f + 1) * frame);
      out.push(f === 6 || f === 7 ? plc.conceal(frame) : plc.receive(real));
    }
    expect(maxStep(concat(out))).toBeLessThanOrEqual(maxStep(tone) * 1.3);
  });

  it('with no history it fades the last sample to zero and returns the requested length', () => {
    const plc = new PacketLossConcealer(rate);
    expect(rms(plc.conceal(frame))).toBe(0);
    plc.receive(new Int16Array([1000, 5000]));
    const out = plc.conceal(frame);
    expect(out.length).toBe(frame);
    expect(Math.abs(out[0] ?? 0)).toBeLessThan(5000);
    expect(out[frame - 1]).toBe(0);
    expect(maxStep(out)).toBeLessThanOrEqual(5000 / ((4 * rate) / 1000) + 1);
    expect(plc.conceal(0).length).toBe(0);
  });
});
