/**
 * Exact-ratio polyphase FIR resamplers for 8 kHz ↔ 24 kHz (×3 and ÷3), in plain TypeScript: the pair every G.711
 * call converts twice per 20 ms. Same contract as the speex path (`Resampler`), same spec (resampler.test.ts runs
 * both): passband ripple ≤ 0.1 dB from 100 to 3400 Hz, images / aliases ≥ 60 dB down, any chunking gives the
 * samples of the whole stream, Int16 in and out with rounding and saturation.
 *
 * Filters (linear phase, weighted least squares, `fir-design.ts`, designed once when this module loads; the
 * figures are what resampler.test.ts measures through the resampler, at 24 kHz):
 *
 * | pair     | taps | fit pass / stop | stop weight | ripple   | images / aliases | delay                     | multiplies / 20 ms |
 * |----------|------|-----------------|-------------|----------|------------------|---------------------------|--------------------|
 * | 8k → 24k | 135  | 3450 / 4100 Hz  | 1000        | 0.055 dB | −83.5 dB         | 67 samples @24k ≈ 2.8 ms  | 160 × 68           |
 * | 24k → 8k | 133  | 3450 / 4100 Hz  | 1000        | 0.053 dB | −68.1 dB         | 22 samples @8k = 2.75 ms  | 160 × 67           |
 *
 * (Images: the worst residual of a passband tone; the up filter also rejects the image of every tone up to 3900 Hz
 * by ≥ 60 dB, as speex does. Speex at its default q4 for these pairs: a 64-tap-per-phase filter up, 192 taps
 * down, i.e. about 30,700 multiply-adds per 20 ms each way, in wasm SIMD, with a 4 ms delay.)
 * The ×3 path costs about 15–20 % less CPU than speex (bench/results/2026-12-07-resampler.md) and is the default
 * for 8k → 24k. The ÷3 path meets the spec but its scalar loop costs more than speex's SIMD one, so it is an
 * option (`engine: 'polyphase'`), not the default: see DEFAULT_ENGINE in resampler.ts.
 *
 * ×3: the filter runs on the input zero-stuffed to 24 kHz, so of its 135 taps only 45 meet a non-zero sample:
 * each input sample gives three outputs from three 45-tap phases. ÷3: only every third output of the 24 kHz filter is
 * kept, so only that one is computed. Both fold the symmetric filter (one multiply per pair of equal taps). Both
 * stopbands start at 4100 Hz: down, because the spec asks tones from 100 Hz above the 8 kHz Nyquist to be
 * rejected; up, because a G.711 stream carries content to 4 kHz whose images start just above it (a first
 * 75-tap design that stopped at 4550 Hz met the 3400 Hz passband spec and cost 40 % less than speex, but let
 * the image of a 3800 Hz tone through at −18 dB).
 *
 * State: the last taps − 1 input samples (as float64, so the inner loops never convert), plus, for ÷3, the input
 * phase. `process()` allocates only its result (a caller such as FrameResampler hands that array on and keeps it).
 */

import { designLowpass } from './fir-design.js';
import { ResamplerError, ResamplerErrorCode, type Resampler } from './resampler-types.js';

/** The filters' design, exported for the documentation tests. */
export const UP3_FILTER = { taps: 135, rateHz: 24_000, passHz: 3450, stopHz: 4100, stopWeight: 1000 } as const;
export const DOWN3_FILTER = { taps: 133, rateHz: 24_000, passHz: 3450, stopHz: 4100, stopWeight: 1000 } as const;

/**
 * Largest input converted in one pass (one 20 ms frame at 24 kHz); longer inputs go through in slices. It sizes
 * each resampler's float64 history buffer: about 4.9 KB per instance (one per call and direction), where 100 ms
 * slices would hold 39 KB per call.
 */
const MAX_CHUNK_SAMPLES = 480;

/**
 * Rounds half up and saturates to PCM16. Clamping first and then `Math.floor(v + 0.5)` gives Math.round's result
 * at about half its cost here (the rounding was 40 % of the ×3 path's time).
 */
function toInt16(v: number): number {
  return v >= 32766.5 ? 32767 : v <= -32768.5 ? -32768 : Math.floor(v + 0.5);
}

/** The polyphase resampler for 8k → 24k or 24k → 8k; RESAMPLER_BAD_OPTION for any other pair. */
export function createPolyphaseResampler(inRate: number, outRate: number): Resampler {
  if (inRate === 8000 && outRate === 24_000) return new Up3Resampler();
  if (inRate === 24_000 && outRate === 8000) return new Down3Resampler();
  throw new ResamplerError(ResamplerErrorCode.BadOption, `the polyphase resampler does not serve ${inRate} → ${outRate}`);
}

// ---- ×3 ---------------------------------------------------------------------------------------------------------

/**
 * The up filter h (135 taps, gain 3) split into phases c_p[j] = 3·h[3j + p]: y[3t + p] = Σⱼ c_p[j]·x[t − j]. h is
 * symmetric, so c₁ is symmetric and c₂ is c₀ reversed. Over the window u_k = x[t − 44 + k] (oldest first):
 *   y₁ = Σ c₁[k]·u_k,  y₀ = Σ g[k]·u_k,  y₂ = Σ g[44 − k]·u_k  with g = c₂.
 * Pairing k with k' = 44 − k (s = u_k + u_k', d = u_k − u_k'): y₀ = S + F, y₂ = S − F, where S = Σ e_k·s_k,
 * F = Σ f_k·d_k, e = (g[k] + g[k']) / 2, f = (g[k] − g[k']) / 2; y₁ = Σ c₁[k]·s_k; the middle tap k = 22 adds
 * g[22]·u₂₂ to S and c₁[22]·u₂₂ to y₁. Two input positions per pass share each coefficient load.
 */
const UP_PHASE_TAPS = UP3_FILTER.taps / 3; // 45
const UP_PAIRS = (UP_PHASE_TAPS - 1) / 2; // 22
const UP_MID = UP_PAIRS;
const upE = new Float64Array(UP_PAIRS);
const upF = new Float64Array(UP_PAIRS);
const upC1 = new Float64Array(UP_PAIRS);
let upMidG = 0;
let upMidC1 = 0;
{
  const h = designLowpass(UP3_FILTER);
  // Each phase is scaled to sum to exactly 1 (c₀ and c₂, mirror images, share one sum): a constant then comes out
  // exactly constant, where the fit's small DC error per phase would leave a pattern repeating at 8 kHz.
  const phaseSum = (p: number): number => {
    let sum = 0;
    for (let j = 0; j < UP_PHASE_TAPS; j++) sum += h[3 * j + p] ?? 0;
    return sum;
  };
  const sums = [phaseSum(0), phaseSum(1), phaseSum(2)];
  const tap = (i: number): number => (h[i] ?? 0) / (sums[i % 3] ?? 1);
  for (let k = 0; k < UP_PAIRS; k++) {
    const k2 = UP_PHASE_TAPS - 1 - k;
    const g = tap(3 * k + 2);
    const g2 = tap(3 * k2 + 2);
    upE[k] = (g + g2) / 2;
    upF[k] = (g - g2) / 2;
    upC1[k] = tap(3 * k + 1);
  }
  upMidG = tap(3 * UP_MID + 2);
  upMidC1 = tap(3 * UP_MID + 1);
}

class Up3Resampler implements Resampler {
  readonly inRate = 8000;
  readonly outRate = 24_000;
  /** The filter's centre tap sits (taps − 1) / 2 output samples behind the newest. */
  readonly delaySamples = (UP3_FILTER.taps - 1) / 2;
  /** x[t0 − 44 … t0 + n − 1]: 44 samples of history, then the chunk being converted. */
  private readonly buf = new Float64Array(UP_PHASE_TAPS - 1 + MAX_CHUNK_SAMPLES);
  private closed = false;

  process(input: Int16Array): Int16Array {
    if (this.closed) throw new ResamplerError(ResamplerErrorCode.Closed, 'process() on a closed resampler');
    const out = new Int16Array(input.length * 3);
    for (let at = 0; at < input.length; at += MAX_CHUNK_SAMPLES) {
      const chunk = input.subarray(at, at + MAX_CHUNK_SAMPLES);
      this.convert(chunk, out, at * 3);
    }
    return out;
  }

  private convert(chunk: Int16Array, out: Int16Array, outAt: number): void {
    const buf = this.buf;
    const n = chunk.length;
    const h = UP_PHASE_TAPS - 1;
    buf.set(chunk, h);
    const e = upE;
    const f = upF;
    const c1 = upC1;
    const midG = upMidG;
    const midC1 = upMidC1;
    let o = outAt;
    let i = 0;
    for (; i + 1 < n; i += 2) {
      const um = buf[i + UP_MID] ?? 0;
      const vm = buf[i + 1 + UP_MID] ?? 0;
      let s = midG * um;
      let d = 0;
      let y1 = midC1 * um;
      let s2 = midG * vm;
      let d2 = 0;
      let z1 = midC1 * vm;
      for (let k = 0, k2 = i + h; k < UP_PAIRS; k++, k2--) {
        const ek = e[k] ?? 0;
        const fk = f[k] ?? 0;
        const ck = c1[k] ?? 0;
        const a = buf[i + k] ?? 0;
        const b = buf[k2] ?? 0;
        const a2 = buf[i + 1 + k] ?? 0;
        const b2 = buf[k2 + 1] ?? 0;
        const sum = a + b;
        const sum2 = a2 + b2;
        s += ek * sum;
        d += fk * (a - b);
        y1 += ck * sum;
        s2 += ek * sum2;
        d2 += fk * (a2 - b2);
        z1 += ck * sum2;
      }
      out[o] = toInt16(s + d);
      out[o + 1] = toInt16(y1);
      out[o + 2] = toInt16(s - d);
      out[o + 3] = toInt16(s2 + d2);
      out[o + 4] = toInt16(z1);
      out[o + 5] = toInt16(s2 - d2);
      o += 6;
    }
    for (; i < n; i++) {
      const um = buf[i + UP_MID] ?? 0;
      let s = midG * um;
      let d = 0;
      let y1 = midC1 * um;
      for (let k = 0, k2 = i + h; k < UP_PAIRS; k++, k2--) {
        const a = buf[i + k] ?? 0;
        const b = buf[k2] ?? 0;
        const sum = a + b;
        s += (e[k] ?? 0) * sum;
        d += (f[k] ?? 0) * (a - b);
        y1 += (c1[k] ?? 0) * sum;
      }
      out[o] = toInt16(s + d);
      out[o + 1] = toInt16(y1);
      out[o + 2] = toInt16(s - d);
      o += 3;
    }
    buf.copyWithin(0, n, n + h);
  }

  reset(): void {
    this.buf.fill(0);
  }

  close(): void {
    this.closed = true;
  }
}

// ---- ÷3 ---------------------------------------------------------------------------------------------------------

/** Down filter taps 0 … M (the rest mirror them): y[m] = Σ_k h[k]·x[3m − k] = h[M]·x[3m − M] + Σ_{k<M} h[k]·(…). */
const DOWN_TAPS = DOWN3_FILTER.taps;
const DOWN_M = (DOWN_TAPS - 1) / 2; // 66
const downH = unityDcGain(designLowpass(DOWN3_FILTER)).subarray(0, DOWN_M + 1);

/** `h` scaled so its taps sum to exactly 1: a constant comes out as the same constant. */
function unityDcGain(h: Float64Array): Float64Array {
  let sum = 0;
  for (const c of h) sum += c;
  return h.map((c) => c / sum);
}

class Down3Resampler implements Resampler {
  readonly inRate = 24_000;
  readonly outRate = 8000;
  /** (taps − 1) / 2 = 66 input samples = 22 output samples: a whole number by the choice of taps. */
  readonly delaySamples = DOWN_M / 3;
  /** x[t0 − 132 … t0 + n − 1]: taps − 1 samples of history, then the chunk being converted. */
  private readonly buf = new Float64Array(DOWN_TAPS - 1 + MAX_CHUNK_SAMPLES);
  /** Input samples seen, mod 3: output m is produced with input sample 3m. */
  private phase = 0;
  private closed = false;

  process(input: Int16Array): Int16Array {
    if (this.closed) throw new ResamplerError(ResamplerErrorCode.Closed, 'process() on a closed resampler');
    const first = (3 - this.phase) % 3;
    const count = input.length > first ? Math.floor((input.length - 1 - first) / 3) + 1 : 0;
    const out = new Int16Array(count);
    let written = 0;
    for (let at = 0; at < input.length; at += MAX_CHUNK_SAMPLES) {
      written = this.convert(input.subarray(at, at + MAX_CHUNK_SAMPLES), out, written);
    }
    return out;
  }

  /** Converts one chunk; outputs go to `out` from `written`; returns the new count written. */
  private convert(chunk: Int16Array, out: Int16Array, written: number): number {
    const buf = this.buf;
    const n = chunk.length;
    const last = DOWN_TAPS - 1;
    buf.set(chunk, last);
    const h = downH;
    const c = h[DOWN_M] ?? 0;
    let s = (3 - this.phase) % 3; // output m uses buf[s … s + 132], s = 3m − t0
    let o = written;
    // Four outputs per pass share each coefficient load.
    for (; s + 9 < n; s += 12, o += 4) {
      let a0 = c * (buf[s + DOWN_M] ?? 0);
      let a1 = c * (buf[s + 3 + DOWN_M] ?? 0);
      let a2 = c * (buf[s + 6 + DOWN_M] ?? 0);
      let a3 = c * (buf[s + 9 + DOWN_M] ?? 0);
      for (let k = 0, i = s, j = s + last; k < DOWN_M; k++, i++, j--) {
        const hk = h[k] ?? 0;
        a0 += hk * ((buf[i] ?? 0) + (buf[j] ?? 0));
        a1 += hk * ((buf[i + 3] ?? 0) + (buf[j + 3] ?? 0));
        a2 += hk * ((buf[i + 6] ?? 0) + (buf[j + 6] ?? 0));
        a3 += hk * ((buf[i + 9] ?? 0) + (buf[j + 9] ?? 0));
      }
      out[o] = toInt16(a0);
      out[o + 1] = toInt16(a1);
      out[o + 2] = toInt16(a2);
      out[o + 3] = toInt16(a3);
    }
    // The rest one at a time, summed in the same order (so any chunking gives the same samples).
    for (; s < n; s += 3, o++) {
      let a0 = c * (buf[s + DOWN_M] ?? 0);
      for (let k = 0, i = s, j = s + last; k < DOWN_M; k++, i++, j--) a0 += (h[k] ?? 0) * ((buf[i] ?? 0) + (buf[j] ?? 0));
      out[o] = toInt16(a0);
    }
    this.phase = (this.phase + n) % 3;
    buf.copyWithin(0, n, n + last);
    return o;
  }

  reset(): void {
    this.buf.fill(0);
    this.phase = 0;
  }

  close(): void {
    this.closed = true;
  }
}
