/**
 * Audio helpers for end-to-end media tests: speech WAVs made with espeak-ng and sox, WAV read/write, sample-rate
 * conversion through sox, levels, speech cut at its onset to a set level, and band limiting.
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
 * Speech cut at its onset (the first 10 ms frame within 30 dB of the loudest) and scaled so that its active part
 * (the frames within 30 dB of the loudest) is `levelDbfs` RMS.
 */
export function onsetSpeech(samples: Int16Array, sampleRate: number, levelDbfs: number): Int16Array {
  const range = activeRange(samples, sampleRate, 30, 10);
  if (range === undefined) throw new Error('espeak-ng produced silence');
  const cut = samples.slice(range.start, range.end);
  const levels = frameLevelsDbfs(cut, sampleRate, 10);
  const loudest = Math.max(...levels);
  const active = levels.filter((l) => l > loudest - 30).map((l) => 10 ** (l / 10));
  const activeDbfs = 10 * Math.log10(active.reduce((s, v) => s + v, 0) / active.length);
  const gain = 10 ** ((levelDbfs - activeDbfs) / 20);
  return cut.map((v) => Math.max(-32_768, Math.min(32_767, Math.round(v * gain))));
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
