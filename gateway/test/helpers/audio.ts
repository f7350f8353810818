/**
 * Audio helpers for end-to-end media tests: speech WAVs made with espeak-ng and sox, WAV read/write, sample-rate
 * conversion through sox, levels, and normalised cross-correlation with a lag search (how much of the sent speech
 * comes back, and how late).
 *
 * Signal code here is pure and synchronous; only `speechWav`, `convertWav` and `resampleWav` run external tools.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireTool } from './sipp.js';

export const ESPEAK_INSTALL = 'apt-get install -y espeak-ng';
export const SOX_INSTALL = 'apt-get install -y sox';

/** PCM16 audio; `samples` is interleaved when `channels > 1`. */
export interface Wav {
  readonly sampleRate: number;
  readonly channels: number;
  readonly samples: Int16Array;
}

export class WavError extends Error {
  override readonly name = 'WavError';
  readonly code = 'WAV_INVALID';
}

// ---------------------------------------------------------------------------------------------------------------
// WAV files

/**
 * Parse a RIFF/WAVE file holding 16-bit PCM (format 1, or WAVE_FORMAT_EXTENSIBLE with PCM). Tolerates a `data`
 * chunk whose declared size is 0, 0xFFFFFFFF or past the end (a writer killed before it fixed the header).
 */
export function parseWav(bytes: Uint8Array): Wav {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = (at: number): string => String.fromCharCode(...bytes.subarray(at, at + 4));
  if (bytes.byteLength < 12 || tag(0) !== 'RIFF' || tag(8) !== 'WAVE') throw new WavError('not a RIFF/WAVE file');
  let offset = 12;
  let format: { channels: number; sampleRate: number; bits: number; audioFormat: number } | undefined;
  while (offset + 8 <= bytes.byteLength) {
    const id = tag(offset);
    const size = view.getUint32(offset + 4, true);
    const body = offset + 8;
    if (id === 'fmt ') {
      if (size < 16) throw new WavError(`fmt chunk too short (${size} bytes)`);
      format = {
        audioFormat: view.getUint16(body, true),
        channels: view.getUint16(body + 2, true),
        sampleRate: view.getUint32(body + 4, true),
        bits: view.getUint16(body + 14, true),
      };
    } else if (id === 'data') {
      if (format === undefined) throw new WavError('data chunk before fmt chunk');
      const pcm = format.audioFormat === 1 || format.audioFormat === 0xfffe;
      if (!pcm || format.bits !== 16) {
        throw new WavError(`only 16-bit PCM is supported (format ${format.audioFormat}, ${format.bits} bits)`);
      }
      const available = bytes.byteLength - body;
      const declared = size === 0 || size === 0xffffffff ? available : Math.min(size, available);
      const count = Math.floor(declared / 2);
      const samples = new Int16Array(count);
      for (let i = 0; i < count; i++) samples[i] = view.getInt16(body + i * 2, true);
      return { sampleRate: format.sampleRate, channels: format.channels, samples };
    }
    offset = body + size + (size % 2);
  }
  throw new WavError('no data chunk');
}

/** A canonical 44-byte-header WAV file. */
export function encodeWav(wav: Wav): Uint8Array {
  const dataBytes = wav.samples.length * 2;
  const out = new Uint8Array(44 + dataBytes);
  const view = new DataView(out.buffer);
  const ascii = (at: number, text: string): void => {
    for (let i = 0; i < text.length; i++) out[at + i] = text.charCodeAt(i);
  };
  ascii(0, 'RIFF');
  view.setUint32(4, 36 + dataBytes, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true);
  view.setUint16(22, wav.channels, true);
  view.setUint32(24, wav.sampleRate, true);
  view.setUint32(28, wav.sampleRate * wav.channels * 2, true);
  view.setUint16(32, wav.channels * 2, true);
  view.setUint16(34, 16, true);
  ascii(36, 'data');
  view.setUint32(40, dataBytes, true);
  for (let i = 0; i < wav.samples.length; i++) view.setInt16(44 + i * 2, wav.samples[i] ?? 0, true);
  return out;
}

export async function readWav(path: string): Promise<Wav> {
  return parseWav(await readFile(path));
}

export async function writeWav(path: string, wav: Wav): Promise<void> {
  await writeFile(path, encodeWav(wav));
}

/** Duration in ms. */
export function wavDurationMs(wav: Wav): number {
  return (wav.samples.length / wav.channels / wav.sampleRate) * 1000;
}

/** The average of all channels, as a mono signal. */
export function toMono(wav: Wav): Int16Array {
  if (wav.channels === 1) return wav.samples;
  const frames = Math.floor(wav.samples.length / wav.channels);
  const out = new Int16Array(frames);
  for (let f = 0; f < frames; f++) {
    let sum = 0;
    for (let c = 0; c < wav.channels; c++) sum += wav.samples[f * wav.channels + c] ?? 0;
    out[f] = Math.round(sum / wav.channels);
  }
  return out;
}

/** `wav` with `leadMs` of silence before and `tailMs` after. */
export function padWav(wav: Wav, leadMs: number, tailMs: number): Wav {
  const frames = (ms: number): number => Math.round((ms / 1000) * wav.sampleRate) * wav.channels;
  const out = new Int16Array(frames(leadMs) + wav.samples.length + frames(tailMs));
  out.set(wav.samples, frames(leadMs));
  return { ...wav, samples: out };
}

// ---------------------------------------------------------------------------------------------------------------
// External tools

interface RunResult {
  readonly code: number | null;
  readonly stdout: Buffer;
  readonly stderr: string;
}

/** Run a tool with an optional stdin, bounded by `timeoutMs` (SIGKILL). */
function run(bin: string, args: readonly string[], stdin?: Uint8Array, timeoutMs = 15_000): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(chunks), stderr });
    });
    child.stdin.on('error', () => {
      // the tool may exit before reading all of stdin; its exit code tells what happened
    });
    child.stdin.end(stdin);
  });
}

async function mustRun(bin: string, args: readonly string[], stdin?: Uint8Array): Promise<Buffer> {
  const result = await run(bin, args, stdin);
  if (result.code !== 0) {
    throw new Error(`${bin} ${args.join(' ')} exited ${String(result.code)}: ${result.stderr.trim().slice(-1_000)}`);
  }
  return result.stdout;
}

/** Convert any WAV sox reads into mono 16-bit PCM at `sampleRate` (sox's default high-quality rate effect). */
export async function resampleWav(wav: Wav, sampleRate: number): Promise<Wav> {
  if (wav.sampleRate === sampleRate && wav.channels === 1) return wav;
  const sox = requireTool('sox', SOX_INSTALL);
  const out = await mustRun(
    sox,
    ['-V1', '-t', 'wav', '-', '-t', 'wav', '-r', String(sampleRate), '-c', '1', '-b', '16', '-e', 'signed-integer', '-'],
    encodeWav(wav),
  );
  return parseWav(out);
}

/** Read a WAV file of any format sox understands as mono 16-bit PCM at `sampleRate`. */
export async function readWavAs(path: string, sampleRate: number): Promise<Wav> {
  const sox = requireTool('sox', SOX_INSTALL);
  const out = await mustRun(sox, [
    '-V1', path, '-t', 'wav', '-r', String(sampleRate), '-c', '1', '-b', '16', '-e', 'signed-integer', '-',
  ]);
  return parseWav(out);
}

export interface SpeechOptions {
  readonly sampleRate?: number;
  /** Silence before the speech; default 300 ms. */
  readonly leadMs?: number;
  /** Silence after the speech; default 300 ms. */
  readonly tailMs?: number;
  /** Peak level after normalisation, dBFS; default -3. */
  readonly peakDbfs?: number;
}

/**
 * Synthesise `text` with espeak-ng and convert it with sox to mono 16-bit PCM (default 8 kHz), normalised and
 * padded with silence; writes it to `path` and returns it. espeak-ng is deterministic for a given version.
 */
export async function speechWav(path: string, text: string, options: SpeechOptions = {}): Promise<Wav> {
  const espeak = requireTool('espeak-ng', ESPEAK_INSTALL);
  const sox = requireTool('sox', SOX_INSTALL);
  const dir = await mkdtemp(join(tmpdir(), 'patchbay-speech-'));
  try {
    const raw = join(dir, 'raw.wav');
    await mustRun(espeak, ['-v', 'en-us', '-s', '150', '-w', raw, text]);
    const rate = options.sampleRate ?? 8_000;
    await mustRun(sox, [
      '-V1', raw, '-r', String(rate), '-c', '1', '-b', '16', '-e', 'signed-integer', path,
      'norm', String(options.peakDbfs ?? -3),
      'pad', `${(options.leadMs ?? 300) / 1000}`, `${(options.tailMs ?? 300) / 1000}`,
    ]);
    return await readWav(path);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Levels

/** RMS level of `samples[start, end)` in dBFS (full-scale sine = -3 dBFS); -Infinity for digital silence. */
export function rmsDbfs(samples: Int16Array, start = 0, end = samples.length): number {
  const from = Math.max(0, start);
  const to = Math.min(samples.length, end);
  if (to <= from) return Number.NEGATIVE_INFINITY;
  let sum = 0;
  for (let i = from; i < to; i++) {
    const v = (samples[i] ?? 0) / 32768;
    sum += v * v;
  }
  return 10 * Math.log10(sum / (to - from));
}

/** RMS level of each `frameMs` frame, dBFS. */
export function frameLevelsDbfs(samples: Int16Array, sampleRate: number, frameMs = 20): number[] {
  const size = Math.max(1, Math.round((sampleRate * frameMs) / 1000));
  const out: number[] = [];
  for (let at = 0; at + size <= samples.length; at += size) out.push(rmsDbfs(samples, at, at + size));
  return out;
}

/**
 * The span `[start, end)` (samples) from the first to the last frame louder than `thresholdDb` below the loudest
 * frame. Used to cut the speech out of its leading and trailing silence. Undefined for silence.
 */
export function activeRange(
  samples: Int16Array,
  sampleRate: number,
  thresholdDb = 40,
  frameMs = 10,
): { start: number; end: number } | undefined {
  const levels = frameLevelsDbfs(samples, sampleRate, frameMs);
  const loudest = Math.max(...levels);
  if (!Number.isFinite(loudest)) return undefined;
  const size = Math.round((sampleRate * frameMs) / 1000);
  const first = levels.findIndex((l) => l > loudest - thresholdDb);
  let last = -1;
  levels.forEach((l, i) => {
    if (l > loudest - thresholdDb) last = i;
  });
  if (first < 0) return undefined;
  return { start: first * size, end: (last + 1) * size };
}

/**
 * Band-pass `samples` to `[lowHz, highHz]` with a linear-phase windowed-sinc FIR (Blackman, `taps` odd), output
 * aligned with the input (the filter's group delay is removed). Applied to both sides before correlating, it keeps
 * what a narrowband path can carry and drops the edges where codecs differ most (G.722's QMF crossover at 4 kHz,
 * DC, resampler roll-off).
 */
export function bandLimit(samples: Int16Array, sampleRate: number, lowHz: number, highHz: number, taps = 255): Int16Array {
  const n = taps % 2 === 1 ? taps : taps + 1;
  const half = (n - 1) / 2;
  const kernel = new Float64Array(n);
  const lo = lowHz / sampleRate;
  const hi = Math.min(highHz, sampleRate / 2) / sampleRate;
  const sinc = (fc: number, k: number): number => (k === 0 ? 2 * fc : Math.sin(2 * Math.PI * fc * k) / (Math.PI * k));
  for (let i = 0; i < n; i++) {
    const k = i - half;
    const window = 0.42 - 0.5 * Math.cos((2 * Math.PI * i) / (n - 1)) + 0.08 * Math.cos((4 * Math.PI * i) / (n - 1));
    kernel[i] = (sinc(hi, k) - sinc(lo, k)) * window;
  }
  const out = new Int16Array(samples.length);
  for (let t = 0; t < samples.length; t++) {
    let acc = 0;
    const from = Math.max(0, t - half);
    const to = Math.min(samples.length - 1, t + half);
    for (let j = from; j <= to; j++) acc += (samples[j] ?? 0) * (kernel[j - t + half] ?? 0);
    out[t] = Math.max(-32768, Math.min(32767, Math.round(acc)));
  }
  return out;
}

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
