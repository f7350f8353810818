/**
 * Correlation of what was sent with what came back: lag search, per-utterance alignment. Used by the end-to-end
 * audio tests; WAV handling, synthesis and levels stay in audio.ts.
 */
import { activeRange, bandLimit, frameLevelsDbfs, resampleWav, toMono, type Wav } from './audio.js';

// ---------------------------------------------------------------------------------------------------------------
// Correlation

export interface Alignment {
  /** Normalised cross-correlation at the best lag, -1..1 (1 = same waveform up to a gain). */
  readonly ncc: number;
  /** Best lag in samples: `signal[i + lagSamples]` lines up with `reference[i]`. */
  readonly lagSamples: number;
  readonly lagMs: number;
  /** How many lags were tried. */
  readonly lagsSearched: number;
}

export interface AlignOptions {
  readonly sampleRate: number;
  /** Smallest lag tried, ms (may be negative); default 0. */
  readonly minLagMs?: number;
  /** Largest lag tried, ms; default 2000. */
  readonly maxLagMs?: number;
  /** Only this part of the reference is matched (default the whole reference). */
  readonly referenceRange?: { readonly start: number; readonly end: number };
}

/**
 * Slide `reference[range]` along `signal` and return the lag with the highest normalised cross-correlation
 * `Σ r·s / √(Σr² · Σs²)` over the overlap, both sides with their mean removed. Only lags at which the whole
 * reference segment lies inside `signal` count. Both inputs must be mono at `sampleRate`.
 *
 * Direct O(segment × lags) search: about 0.3 s for 2.5 s of speech at 8 kHz against 2.5 s of lags.
 */
export function alignSignals(reference: Int16Array, signal: Int16Array, options: AlignOptions): Alignment {
  const rate = options.sampleRate;
  const start = Math.max(0, options.referenceRange?.start ?? 0);
  const end = Math.min(reference.length, options.referenceRange?.end ?? reference.length);
  const length = end - start;
  if (length <= 0) throw new Error('empty reference segment');
  const ref = centred(reference, start, end);
  const refEnergy = sumOfSquares(ref);
  const sig = centred(signal, 0, signal.length);

  const minLag = Math.round(((options.minLagMs ?? 0) / 1000) * rate);
  const maxLag = Math.round(((options.maxLagMs ?? 2_000) / 1000) * rate);
  // Window position in `signal` for lag L is start + L; it must satisfy 0 <= pos && pos + length <= signal.length.
  const firstPos = Math.max(0, start + minLag);
  const lastPos = Math.min(sig.length - length, start + maxLag);
  let best: Alignment = { ncc: Number.NEGATIVE_INFINITY, lagSamples: 0, lagMs: 0, lagsSearched: 0 };
  if (lastPos < firstPos || refEnergy === 0) return best;

  let windowEnergy = 0;
  for (let i = firstPos; i < firstPos + length; i++) windowEnergy += (sig[i] ?? 0) ** 2;
  let searched = 0;
  for (let pos = firstPos; pos <= lastPos; pos++) {
    if (pos > firstPos) {
      windowEnergy += (sig[pos + length - 1] ?? 0) ** 2 - (sig[pos - 1] ?? 0) ** 2;
    }
    searched++;
    if (windowEnergy <= 0) continue;
    let dot = 0;
    for (let i = 0; i < length; i++) dot += (ref[i] ?? 0) * (sig[pos + i] ?? 0);
    const ncc = dot / Math.sqrt(refEnergy * windowEnergy);
    if (ncc > best.ncc) {
      const lag = pos - start;
      best = { ncc, lagSamples: lag, lagMs: (lag / rate) * 1000, lagsSearched: 0 };
    }
  }
  return { ...best, lagsSearched: searched };
}

function centred(samples: Int16Array, start: number, end: number): Float64Array {
  const out = new Float64Array(end - start);
  let mean = 0;
  for (let i = start; i < end; i++) mean += samples[i] ?? 0;
  mean /= Math.max(1, end - start);
  for (let i = start; i < end; i++) out[i - start] = (samples[i] ?? 0) - mean;
  return out;
}

function sumOfSquares(values: Float64Array): number {
  let sum = 0;
  for (const v of values) sum += v * v;
  return sum;
}

export interface EchoMeasurement extends Alignment {
  /** The coarse search at 8 kHz (band-limited), before the fine search at 48 kHz. */
  readonly coarse: Alignment;
}

/**
 * Where and how well `reference` (what was sent) comes back in `heard` (what was received; any rate, any
 * channel count): a coarse lag search over `[minLagMs, maxLagMs]` at 8 kHz on 200–3400 Hz, then a fine one at
 * 48 kHz on `bandHz` within ±0.5 ms of it, so codec delays that are not whole 8 kHz samples (G.722's QMF, Opus)
 * do not cost correlation. Only the speech part of `reference` is matched (its active range). The result is the
 * better of the two searches.
 */
export async function measureEcho(
  reference: Wav,
  heard: Wav,
  options: {
    readonly minLagMs?: number;
    readonly maxLagMs?: number;
    /** Band compared in the fine search; default 200–3400 Hz (narrowband). */
    readonly bandHz?: readonly [number, number];
  } = {},
): Promise<EchoMeasurement> {
  const [lowHz, highHz] = options.bandHz ?? [200, 3_400];
  const narrow = (s: Int16Array): Int16Array => bandLimit(s, 8_000, 200, 3_400);
  const ref8 = toMono(await resampleWav(reference, 8_000));
  const heard8 = toMono(await resampleWav(heard, 8_000));
  const range8 = activeRange(ref8, 8_000);
  if (range8 === undefined) throw new Error('reference is silent');
  const coarse = alignSignals(narrow(ref8), narrow(heard8), {
    sampleRate: 8_000,
    minLagMs: options.minLagMs ?? -200,
    maxLagMs: options.maxLagMs ?? 1_000,
    referenceRange: range8,
  });
  if (!Number.isFinite(coarse.ncc)) return { ...coarse, coarse };
  const ref48 = toMono(await resampleWav(reference, 48_000));
  const heard48 = toMono(await resampleWav(heard, 48_000));
  const fine = alignSignals(bandLimit(ref48, 48_000, lowHz, highHz), bandLimit(heard48, 48_000, lowHz, highHz), {
    sampleRate: 48_000,
    minLagMs: coarse.lagMs - 0.5,
    maxLagMs: coarse.lagMs + 0.5,
    referenceRange: { start: range8.start * 6, end: range8.end * 6 },
  });
  return fine.ncc > coarse.ncc ? { ...fine, coarse } : { ...coarse, coarse };
}

/**
 * The utterances of a speech signal: runs of 10 ms frames within `thresholdDb` of the loudest, split where the
 * signal stays below that for at least `minPauseMs`. Runs shorter than `minSpeechMs` are left out.
 */
export function utteranceRanges(
  samples: Int16Array,
  sampleRate: number,
  options: { thresholdDb?: number; floorDbfs?: number; minPauseMs?: number; minSpeechMs?: number } = {},
): { start: number; end: number }[] {
  const frameMs = 10;
  const size = Math.round((sampleRate * frameMs) / 1000);
  const levels = frameLevelsDbfs(samples, sampleRate, frameMs);
  const loudest = Math.max(...levels);
  const floor = options.floorDbfs ?? loudest - (options.thresholdDb ?? 35);
  const pauseFrames = Math.ceil((options.minPauseMs ?? 60) / frameMs);
  const minFrames = Math.ceil((options.minSpeechMs ?? 150) / frameMs);
  const out: { start: number; end: number }[] = [];
  let first = -1;
  let quiet = 0;
  for (let i = 0; i <= levels.length; i++) {
    const loud = i < levels.length && (levels[i] ?? -Infinity) > floor;
    if (loud) {
      if (first < 0) first = i;
      quiet = 0;
    } else if (first >= 0 && (++quiet >= pauseFrames || i === levels.length)) {
      const last = i - quiet + 1;
      if (last - first >= minFrames) out.push({ start: first * size, end: last * size });
      first = -1;
      quiet = 0;
    }
  }
  return out;
}

export interface UtteranceMatch {
  readonly startMs: number;
  readonly lengthMs: number;
  readonly ncc: number;
  readonly lagMs: number;
}

/**
 * How each utterance of `reference` comes back in `heard`, each aligned on its own lag. A path with a jitter buffer
 * may change its delay in the pauses between words (that is its job); it must not change it inside one. So every
 * utterance must match on its own, which still fails on audio corrupted, dropped or stretched within a word.
 * Coarse search at 8 kHz on 200–3400 Hz, refined at 48 kHz on `bandHz` within ±0.5 ms.
 */
export async function measureEchoByUtterance(
  reference: Wav,
  heard: Wav,
  options: { readonly minLagMs?: number; readonly maxLagMs?: number; readonly bandHz?: readonly [number, number] } = {},
): Promise<UtteranceMatch[]> {
  const [lowHz, highHz] = options.bandHz ?? [200, 3_400];
  const ref8 = bandLimit(toMono(await resampleWav(reference, 8_000)), 8_000, 200, 3_400);
  const heard8 = bandLimit(toMono(await resampleWav(heard, 8_000)), 8_000, 200, 3_400);
  const ref48 = bandLimit(toMono(await resampleWav(reference, 48_000)), 48_000, lowHz, highHz);
  const heard48 = bandLimit(toMono(await resampleWav(heard, 48_000)), 48_000, lowHz, highHz);
  // A pause as the gateway defines one for jitter-buffer depth changes: 60 ms below −40 dBFS.
  return utteranceRanges(ref8, 8_000, { floorDbfs: -40, minPauseMs: 60 }).map((range) => {
    const coarse = alignSignals(ref8, heard8, {
      sampleRate: 8_000,
      minLagMs: options.minLagMs ?? -200,
      maxLagMs: options.maxLagMs ?? 1_000,
      referenceRange: range,
    });
    const fine = alignSignals(ref48, heard48, {
      sampleRate: 48_000,
      minLagMs: coarse.lagMs - 0.5,
      maxLagMs: coarse.lagMs + 0.5,
      referenceRange: { start: range.start * 6, end: range.end * 6 },
    });
    const best = fine.ncc > coarse.ncc ? fine : coarse;
    return { startMs: range.start / 8, lengthMs: (range.end - range.start) / 8, ncc: best.ncc, lagMs: best.lagMs };
  });
}

export interface EchoScore {
  /** Length-weighted NCC over the utterances. */
  readonly ncc: number;
  readonly utterances: UtteranceMatch[];
  /** One line per utterance (start, NCC, lag), for assertion messages and logs. */
  readonly detail: string;
}

/**
 * How the echo tests score what a caller heard back: each utterance aligned on its own lag (the jitter buffer settles
 * its depth between words), then the NCCs weighted by utterance length.
 */
export async function scoreEcho(reference: Wav, heard: Wav): Promise<EchoScore> {
  const utterances = await measureEchoByUtterance(reference, heard, { minLagMs: -200, maxLagMs: 1_000, bandHz: [200, 3_400] });
  const detail = JSON.stringify(utterances.map((u) => ({ at: u.startMs, ncc: +u.ncc.toFixed(3), lag: +u.lagMs.toFixed(2) })));
  const total = utterances.reduce((sum, u) => sum + u.lengthMs, 0);
  const ncc = total === 0 ? 0 : utterances.reduce((sum, u) => sum + u.ncc * u.lengthMs, 0) / total;
  return { ncc, utterances, detail };
}

/** The length-weighted NCC of per-utterance matches (measureEchoByUtterance); 0 when there are none. */
export function weightedNcc(utterances: readonly { readonly ncc: number; readonly lengthMs: number }[]): number {
  const total = utterances.reduce((s, u) => s + u.lengthMs, 0);
  return total === 0 ? 0 : utterances.reduce((s, u) => s + u.ncc * u.lengthMs, 0) / total;
}

/**
 * The whole of `reference` slid along `heard` (both band-limited to 200–3,400 Hz at 8 kHz): the best NCC and its lag.
 * For absence checks: a sentence of a few seconds matches only itself, so a low value means it is not there.
 */
export async function wholeNcc(reference: Wav, heard: Wav, minLagMs: number, maxLagMs: number): Promise<Alignment> {
  const ref = bandLimit(toMono(await resampleWav(reference, 8_000)), 8_000, 200, 3_400);
  const sig = bandLimit(toMono(await resampleWav(heard, 8_000)), 8_000, 200, 3_400);
  return alignSignals(ref, sig, { sampleRate: 8_000, minLagMs, maxLagMs });
}
