/**
 * Small measuring tools for audio tests: test signals, tone fitting (amplitude and phase of one frequency by least
 * squares, which is a DFT bin that need not fall on a bin centre), RMS, and impulse-peak location. Plain loops in
 * float64; meant for tests and tools, not the hot path.
 */

/** A sine of `amplitude` (in LSB) at `freqHz`, `samples` long, rounded to PCM16. */
export function sine(rateHz: number, freqHz: number, samples: number, amplitude: number, phase = 0): Int16Array {
  const out = new Int16Array(samples);
  const w = (2 * Math.PI * freqHz) / rateHz;
  for (let n = 0; n < samples; n++) out[n] = Math.round(amplitude * Math.sin(w * n + phase));
  return out;
}

/**
 * A linear chirp from `f0Hz` to `f1Hz` over `samples`, amplitude in LSB, rounded to PCM16. The phase is
 * integrated, so the sweep is continuous.
 */
export function chirp(rateHz: number, f0Hz: number, f1Hz: number, samples: number, amplitude: number): Int16Array {
  const out = new Int16Array(samples);
  const duration = samples / rateHz;
  for (let n = 0; n < samples; n++) {
    const t = n / rateHz;
    const phase = 2 * Math.PI * (f0Hz * t + ((f1Hz - f0Hz) * t * t) / (2 * duration));
    out[n] = Math.round(amplitude * Math.sin(phase));
  }
  return out;
}

export interface ToneFit {
  /** Peak amplitude of the fitted sinusoid, in LSB. */
  amplitude: number;
  /** Phase in radians of `amplitude·sin(ω·n + phase)`, with n counted from the start of the signal (not `from`). */
  phase: number;
  /** RMS of what is left after subtracting the fitted sinusoid: everything that is not that tone. */
  residualRms: number;
}

/**
 * Least-squares fit of `a·sin(ωn) + b·cos(ωn)` to `signal[from, to)`. Exact for any window length (no leakage
 * between the tone and its own window), so it measures a tone's gain and phase to well under 0.01 dB.
 */
export function fitTone(signal: ArrayLike<number>, rateHz: number, freqHz: number, from = 0, to = signal.length): ToneFit {
  const w = (2 * Math.PI * freqHz) / rateHz;
  let ss = 0;
  let cc = 0;
  let sc = 0;
  let ys = 0;
  let yc = 0;
  for (let n = from; n < to; n++) {
    const s = Math.sin(w * n);
    const c = Math.cos(w * n);
    const y = signal[n] ?? 0;
    ss += s * s;
    cc += c * c;
    sc += s * c;
    ys += y * s;
    yc += y * c;
  }
  const det = ss * cc - sc * sc;
  const a = (ys * cc - yc * sc) / det;
  const b = (yc * ss - ys * sc) / det;
  let residual = 0;
  for (let n = from; n < to; n++) {
    const e = (signal[n] ?? 0) - a * Math.sin(w * n) - b * Math.cos(w * n);
    residual += e * e;
  }
  return { amplitude: Math.hypot(a, b), phase: Math.atan2(b, a), residualRms: Math.sqrt(residual / (to - from)) };
}

/**
 * Amplitude (peak, in LSB) of the component at `freqHz` in `signal[from, to)`, by a single DFT bin (Goertzel-style)
 * under a 4-term Blackman–Harris window. Use this, not `fitTone`, to measure a weak line next to a strong one: the
 * window's sidelobes are 92 dB down, where an unwindowed fit can pick up −60 dB of leakage from a tone 300 bins
 * away. Main lobe ±4 bins (rateHz / (to − from) Hz each), so keep measured lines further apart than that.
 */
export function lineAmplitude(signal: ArrayLike<number>, rateHz: number, freqHz: number, from = 0, to = signal.length): number {
  const w = (2 * Math.PI * freqHz) / rateHz;
  const span = to - from - 1;
  let re = 0;
  let im = 0;
  let windowSum = 0;
  for (let n = from; n < to; n++) {
    const x = (2 * Math.PI * (n - from)) / span;
    const win = 0.35875 - 0.48829 * Math.cos(x) + 0.14128 * Math.cos(2 * x) - 0.01168 * Math.cos(3 * x);
    const y = (signal[n] ?? 0) * win;
    re += y * Math.cos(w * n);
    im -= y * Math.sin(w * n);
    windowSum += win;
  }
  return (2 * Math.hypot(re, im)) / windowSum;
}

/** Root mean square of `signal[from, to)`. */
export function rms(signal: ArrayLike<number>, from = 0, to = signal.length): number {
  let sum = 0;
  for (let n = from; n < to; n++) {
    const v = signal[n] ?? 0;
    sum += v * v;
  }
  return Math.sqrt(sum / (to - from));
}

/** Amplitude ratio in decibels. */
export function db(ratio: number): number {
  return 20 * Math.log10(ratio);
}

/**
 * Position of the largest |sample|, refined to a fraction of a sample by fitting a parabola through the peak and
 * its neighbours (exact for the centre of a symmetric, smooth pulse such as a windowed sinc).
 */
export function peakPosition(signal: ArrayLike<number>): number {
  let best = 0;
  let bestAbs = -1;
  for (let n = 0; n < signal.length; n++) {
    const v = Math.abs(signal[n] ?? 0);
    if (v > bestAbs) {
      bestAbs = v;
      best = n;
    }
  }
  const left = Math.abs(signal[best - 1] ?? 0);
  const right = Math.abs(signal[best + 1] ?? 0);
  const curvature = left - 2 * bestAbs + right;
  return curvature === 0 ? best : best + (0.5 * (left - right)) / curvature;
}

/** Largest |x[n] − x[n−1]| over the given positions n (each ≥ 1). */
export function maxJumpAt(signal: ArrayLike<number>, positions: Iterable<number>): number {
  let max = 0;
  for (const n of positions) max = Math.max(max, Math.abs((signal[n] ?? 0) - (signal[n - 1] ?? 0)));
  return max;
}

/** Concatenates PCM chunks. */
export function concat(chunks: readonly Int16Array[]): Int16Array {
  const out = new Int16Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
