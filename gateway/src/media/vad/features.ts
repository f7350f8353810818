/**
 * Per-frame evidence for caller speech, as small pure functions over 8 kHz analysis audio (whatever the call's
 * rate, the detector decimates to 8 kHz first: telephone speech lives below 4 kHz, and libfvad itself analyses
 * every rate at 8 kHz internally).
 *
 * - `energyDbfs`: frame level (RMS re full scale, so a full-scale sine is −3 dBFS; silence is −100).
 * - `voicing`: peak of the normalised autocorrelation over pitch lags 2.5–12.5 ms (80–400 Hz). Voiced speech is
 *   periodic (0.6–0.95); noise, coughs and breath are not (< 0.35).
 * - `tonality`: share of the frame's energy in its two strongest narrow spectral peaks. A pure tone or a DTMF pair
 *   puts > 95% there; speech spreads over many harmonics and formants.
 *
 * `Decimator` and `Biquad` are the two stateful filters the detector runs in front of them. Nothing here allocates
 * per call: scratch buffers are module-level (JavaScript runs one call at a time).
 */

export const ANALYSIS_RATE = 8_000;
/** 20 ms at ANALYSIS_RATE. */
export const ANALYSIS_FRAME_SAMPLES = 160;
/** Shortest and longest pitch period searched, in samples at ANALYSIS_RATE: 2.5 ms (400 Hz) and 12.5 ms (80 Hz). */
export const MIN_PITCH_LAG = 20;
export const MAX_PITCH_LAG = 100;
/** The level reported for digital silence. */
export const SILENCE_DBFS = -100;

/** RMS level of `samples[start, end)` in dBFS (full-scale sine = −3 dBFS); SILENCE_DBFS for silence. */
export function energyDbfs(samples: ArrayLike<number>, start = 0, end = samples.length): number {
  let sum = 0;
  for (let i = start; i < end; i++) {
    const v = samples[i] ?? 0;
    sum += v * v;
  }
  const count = end - start;
  if (count <= 0 || sum === 0) return SILENCE_DBFS;
  return Math.max(SILENCE_DBFS, 10 * Math.log10(sum / count / (32768 * 32768)));
}

export interface VoicingResult {
  /** Peak normalised autocorrelation, −1..1 (0 for silence). */
  readonly peak: number;
  /** Lag of the peak in samples (0 for silence). */
  readonly lag: number;
}

/**
 * Normalised autocorrelation peak of the frame `x[from, from + length)` against itself delayed by `minLag..maxLag`
 * samples: max over τ of Σ x[n]·x[n−τ] / √(Σ x[n]² · Σ x[n−τ]²). `x` must hold at least `maxLag` samples of
 * history before `from`. Normalising each lag by its own window energy keeps the measure level-independent and
 * near 1 for a periodic signal even when its level changes across the window.
 */
export function voicing(x: Float32Array, from: number, length: number, minLag = MIN_PITCH_LAG, maxLag = MAX_PITCH_LAG): VoicingResult {
  const peak = voicingPeak(x, from, length, minLag, maxLag);
  return { peak, lag: peakLag };
}

/** Lag of the last `voicingPeak` result (0 for silence). */
let peakLag = 0;

/**
 * `voicing(...).peak` without the result object (the detector's hot path: a function that returns a fresh object
 * from a long loop has been seen to deoptimise repeatedly in V8). The lag is left in `peakLag`.
 */
export function voicingPeak(x: Float32Array, from: number, length: number, minLag = MIN_PITCH_LAG, maxLag = MAX_PITCH_LAG): number {
  if (from < maxLag) throw new RangeError(`voicing needs ${maxLag} samples of history, got ${from}`);
  const end = from + length;
  let e0 = 0;
  for (let n = from; n < end; n++) {
    const v = x[n] ?? 0;
    e0 += v * v;
  }
  peakLag = 0;
  if (e0 <= 0) return 0;
  // Energy of the window delayed by minLag, then slid one sample further back per lag.
  let eLag = 0;
  for (let n = from - minLag; n < end - minLag; n++) {
    const v = x[n] ?? 0;
    eLag += v * v;
  }
  let best = 0;
  let bestLag = 0;
  const dots = lagDots;
  for (let block = minLag; block <= maxLag; block += LAG_BLOCK) {
    const lags = Math.min(LAG_BLOCK, maxLag - block + 1);
    if (lags === LAG_BLOCK) crossDots4(x, from, end, block);
    else for (let j = 0; j < lags; j++) dots[j] = crossDot(x, from, end, block + j);
    for (let j = 0; j < lags; j++) {
      const lag = block + j;
      if (lag > minLag) {
        const enter = x[from - lag] ?? 0;
        const leave = x[end - lag] ?? 0;
        eLag += enter * enter - leave * leave;
      }
      if (eLag <= 0) continue;
      const r = (dots[j] ?? 0) / Math.sqrt(e0 * eLag);
      if (r > best) {
        best = r;
        bestLag = lag;
      }
    }
  }
  peakLag = bestLag;
  return best;
}

/**
 * Lags per pass in `voicing`: four dot products share one walk over the frame, each summed in its own accumulator
 * in the same order as one lag alone (n ascending), so every dot — and so the result — is bit-identical to the
 * lag-by-lag loop; the four independent sums just do not wait on each other's additions.
 */
const LAG_BLOCK = 4;
const lagDots = new Float64Array(LAG_BLOCK);

/** Σ x[n]·x[n−lag] over n in [from, end), n ascending. */
function crossDot(x: Float32Array, from: number, end: number, lag: number): number {
  let dot = 0;
  for (let n = from; n < end; n++) dot += (x[n] ?? 0) * (x[n - lag] ?? 0);
  return dot;
}

/** `crossDot` for lags `lag..lag + 3` in one pass, into `lagDots`. */
function crossDots4(x: Float32Array, from: number, end: number, lag: number): void {
  let d0 = 0;
  let d1 = 0;
  let d2 = 0;
  let d3 = 0;
  for (let n = from; n < end; n++) {
    const v = x[n] ?? 0;
    const back = n - lag;
    d0 += v * (x[back] ?? 0);
    d1 += v * (x[back - 1] ?? 0);
    d2 += v * (x[back - 2] ?? 0);
    d3 += v * (x[back - 3] ?? 0);
  }
  lagDots[0] = d0;
  lagDots[1] = d1;
  lagDots[2] = d2;
  lagDots[3] = d3;
}

// ---------------------------------------------------------------------------------------------------------------
// Tonality

/** FFT length for `tonality`: 32 ms at 8 kHz, 31.25 Hz bins. */
export const TONALITY_FFT_SIZE = 256;
/**
 * Bins each side of a peak counted as that peak. A Hann window's main lobe is ±2 bins, but ±1 already holds ≥ 97%
 * of a stable tone's energy wherever it falls between bins.
 */
const PEAK_HALF_WIDTH = 1;
/** The second peak must be this far from the first: DTMF pairs are ≥ 268 Hz apart, voice harmonics closer. */
export const MIN_PAIR_SPACING_HZ = 250;
const PAIR_SPACING_BINS = Math.ceil((MIN_PAIR_SPACING_HZ * TONALITY_FFT_SIZE) / ANALYSIS_RATE);
/** Bins below this (≈ 90 Hz) are ignored: DC, hum and the caller's fundamental carry no tonal evidence. */
const LOW_BIN = 3;

const fftRe = new Float64Array(TONALITY_FFT_SIZE);
const fftIm = new Float64Array(TONALITY_FFT_SIZE);
const power = new Float64Array(TONALITY_FFT_SIZE / 2);
const hann = Float64Array.from({ length: TONALITY_FFT_SIZE }, (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / TONALITY_FFT_SIZE));
const bitReversed = Uint16Array.from({ length: TONALITY_FFT_SIZE }, (_, i) => {
  let r = 0;
  for (let b = 1, v = i; b < TONALITY_FFT_SIZE; b <<= 1, v >>= 1) r = (r << 1) | (v & 1);
  return r;
});
const cosTable = Float64Array.from({ length: TONALITY_FFT_SIZE / 2 }, (_, i) => Math.cos((-2 * Math.PI * i) / TONALITY_FFT_SIZE));
const sinTable = Float64Array.from({ length: TONALITY_FFT_SIZE / 2 }, (_, i) => Math.sin((-2 * Math.PI * i) / TONALITY_FFT_SIZE));

/** In-place iterative radix-2 FFT of fftRe/fftIm (already in bit-reversed order). */
function fft(): void {
  const n = TONALITY_FFT_SIZE;
  for (let size = 2; size <= n; size <<= 1) {
    const half = size >> 1;
    const step = n / size;
    for (let start = 0; start < n; start += size) {
      for (let k = 0; k < half; k++) {
        const wr = cosTable[k * step] ?? 0;
        const wi = sinTable[k * step] ?? 0;
        const a = start + k;
        const b = a + half;
        const br = fftRe[b] ?? 0;
        const bi = fftIm[b] ?? 0;
        const tr = br * wr - bi * wi;
        const ti = br * wi + bi * wr;
        const ar = fftRe[a] ?? 0;
        const ai = fftIm[a] ?? 0;
        fftRe[b] = ar - tr;
        fftIm[b] = ai - ti;
        fftRe[a] = ar + tr;
        fftIm[a] = ai + ti;
      }
    }
  }
}

/** Sum of `power[peak ± PEAK_HALF_WIDTH]`. */
function peakEnergy(peak: number): number {
  let sum = 0;
  const to = Math.min(power.length - 1, peak + PEAK_HALF_WIDTH);
  for (let i = Math.max(LOW_BIN, peak - PEAK_HALF_WIDTH); i <= to; i++) sum += power[i] ?? 0;
  return sum;
}

/** The strongest bin in [LOW_BIN, power.length) at least `minDistance` bins away from `avoid` (−1: none). */
function strongestBin(avoid: number, minDistance: number): number {
  let best = -1;
  let bestPower = -1;
  for (let i = LOW_BIN; i < power.length; i++) {
    if (avoid >= 0 && Math.abs(i - avoid) < minDistance) continue;
    const p = power[i] ?? 0;
    if (p > bestPower) {
      bestPower = p;
      best = i;
    }
  }
  return best;
}

/**
 * Share (0..1) of the energy above ~90 Hz in at most two narrow spectral peaks (each ±1 bin, ±47 Hz) of the last
 * TONALITY_FFT_SIZE samples of `x` ending at `end`, Hann-windowed: the strongest peak, plus the strongest other
 * peak at least MIN_PAIR_SPACING_HZ away (a DTMF pair is ≥ 268 Hz apart). Neighbouring harmonics of a low voice
 * (a nasal puts most of its energy in two or three of them, 100–200 Hz apart) therefore count as one peak.
 * A tone or a DTMF pair scores > 0.95; speech stays below ~0.85. 0 for silence. `x` must hold that many samples.
 */
export function tonality(x: Float32Array, end: number): number {
  const start = end - TONALITY_FFT_SIZE;
  if (start < 0) throw new RangeError(`tonality needs ${TONALITY_FFT_SIZE} samples, got ${end}`);
  let mean = 0;
  for (let i = start; i < end; i++) mean += x[i] ?? 0;
  mean /= TONALITY_FFT_SIZE;
  for (let i = 0; i < TONALITY_FFT_SIZE; i++) {
    const j = bitReversed[i] ?? 0;
    fftRe[j] = ((x[start + i] ?? 0) - mean) * (hann[i] ?? 0);
    fftIm[j] = 0;
  }
  fft();
  let total = 0;
  for (let i = LOW_BIN; i < power.length; i++) {
    const re = fftRe[i] ?? 0;
    const im = fftIm[i] ?? 0;
    const p = re * re + im * im;
    power[i] = p;
    total += p;
  }
  if (total <= 0) return 0;
  const first = strongestBin(-1, 0);
  const second = strongestBin(first, PAIR_SPACING_BINS);
  return (peakEnergy(first) + (second >= 0 ? peakEnergy(second) : 0)) / total;
}

// ---------------------------------------------------------------------------------------------------------------
// Filters

/** A second-order IIR section (RBJ cookbook), stateful across calls. */
export class Biquad {
  private x1 = 0;
  private x2 = 0;
  private y1 = 0;
  private y2 = 0;
  private constructor(
    private readonly b0: number,
    private readonly b1: number,
    private readonly b2: number,
    private readonly a1: number,
    private readonly a2: number,
  ) {}

  static lowPass(cutoffHz: number, sampleRate: number, q = Math.SQRT1_2): Biquad {
    const w = (2 * Math.PI * cutoffHz) / sampleRate;
    const alpha = Math.sin(w) / (2 * q);
    const cos = Math.cos(w);
    const a0 = 1 + alpha;
    return new Biquad((1 - cos) / 2 / a0, (1 - cos) / a0, (1 - cos) / 2 / a0, (-2 * cos) / a0, (1 - alpha) / a0);
  }

  static highPass(cutoffHz: number, sampleRate: number, q = Math.SQRT1_2): Biquad {
    const w = (2 * Math.PI * cutoffHz) / sampleRate;
    const alpha = Math.sin(w) / (2 * q);
    const cos = Math.cos(w);
    const a0 = 1 + alpha;
    return new Biquad((1 + cos) / 2 / a0, -(1 + cos) / a0, (1 + cos) / 2 / a0, (-2 * cos) / a0, (1 - alpha) / a0);
  }

  /** Filters `input[0, length)` into `output[at, at + length)`. */
  process(input: Float32Array, output: Float32Array, at: number, length = input.length): void {
    let { x1, x2, y1, y2 } = this;
    for (let i = 0; i < length; i++) {
      const x = input[i] ?? 0;
      const y = this.b0 * x + this.b1 * x1 + this.b2 * x2 - this.a1 * y1 - this.a2 * y2;
      x2 = x1;
      x1 = x;
      y2 = y1;
      y1 = y;
      output[at + i] = y;
    }
    this.x1 = x1;
    this.x2 = x2;
    // Flush denormals so a long silence does not slow the filter down.
    this.y1 = Math.abs(y1) < 1e-20 ? 0 : y1;
    this.y2 = Math.abs(y2) < 1e-20 ? 0 : y2;
  }
}

/**
 * Stateful FIR decimation by 1, 2 or 3 to ANALYSIS_RATE (8 kHz) with a Hamming-windowed sinc low-pass at 3.4 kHz.
 * Only the kept output samples are computed. Delay: (taps − 1) / 2 input samples (< 1 ms).
 */
export class Decimator {
  readonly factor: number;
  private readonly kernel: Float64Array;
  /** taps − 1 samples of history, then the current input frame. */
  private readonly buffer: Float32Array;
  private readonly history: number;

  constructor(factor: 1 | 2 | 3, frameSamples: number) {
    this.factor = factor;
    const taps = factor === 1 ? 1 : factor === 2 ? 31 : 43;
    this.history = taps - 1;
    this.buffer = new Float32Array(this.history + frameSamples);
    this.kernel = new Float64Array(taps);
    if (factor === 1) {
      this.kernel[0] = 1;
      return;
    }
    const fc = 3_400 / (ANALYSIS_RATE * factor);
    const half = (taps - 1) / 2;
    let sum = 0;
    for (let i = 0; i < taps; i++) {
      const k = i - half;
      const sinc = k === 0 ? 2 * fc : Math.sin(2 * Math.PI * fc * k) / (Math.PI * k);
      const value = sinc * (0.54 - 0.46 * Math.cos((2 * Math.PI * i) / (taps - 1)));
      this.kernel[i] = value;
      sum += value;
    }
    for (let i = 0; i < taps; i++) this.kernel[i] = (this.kernel[i] ?? 0) / sum;
  }

  /** Decimates `input` (the frame size given to the constructor) into `output` (input.length / factor samples). */
  process(input: Int16Array, output: Float32Array): void {
    const { buffer, history, kernel, factor } = this;
    if (factor === 1) {
      // One tap of exactly 1 and no history: the output is the input (int16 → float32 is exact).
      output.set(input);
      return;
    }
    buffer.set(input, history);
    const taps = kernel.length;
    const count = input.length / factor;
    // Four outputs per pass over the kernel, each summed in its own accumulator in the same order (k ascending) as
    // one output alone: bit-identical results, without each addition waiting on the one before.
    let j = 0;
    for (; j + 4 <= count; j += 4) {
      const b0 = j * factor;
      const b1 = b0 + factor;
      const b2 = b1 + factor;
      const b3 = b2 + factor;
      let a0 = 0;
      let a1 = 0;
      let a2 = 0;
      let a3 = 0;
      for (let k = 0; k < taps; k++) {
        const c = kernel[k] ?? 0;
        a0 += c * (buffer[b0 + k] ?? 0);
        a1 += c * (buffer[b1 + k] ?? 0);
        a2 += c * (buffer[b2 + k] ?? 0);
        a3 += c * (buffer[b3 + k] ?? 0);
      }
      output[j] = a0;
      output[j + 1] = a1;
      output[j + 2] = a2;
      output[j + 3] = a3;
    }
    for (; j < count; j++) {
      const base = j * factor;
      let acc = 0;
      for (let k = 0; k < taps; k++) acc += (kernel[k] ?? 0) * (buffer[base + k] ?? 0);
      output[j] = acc;
    }
    buffer.copyWithin(0, input.length, input.length + history);
  }

  reset(): void {
    this.buffer.fill(0);
  }
}
