/**
 * Stateful sample-rate conversion at the audio edges (RTP side 8/16/48 kHz, internal 24 kHz), by one of two engines:
 * the speexdsp resampler compiled to wasm (every pair), or an exact-ratio polyphase FIR in TypeScript for 8k ↔ 24k
 * (`polyphase.ts`; the default for 8k → 24k, see DEFAULT_ENGINE). Pure and synchronous once loaded: call
 * `await loadResampler()` once at start-up (it compiles the wasm), then `createResampler()` anywhere.
 *
 * Each resampler keeps its filter history between calls, so a stream cut into frames of any size converts to the
 * same samples as the whole stream at once (no clicks at frame edges). Speex does not buffer: every call consumes
 * all its input, so a 20 ms frame in gives exactly a 20 ms frame out for every pair of supported rates (for other
 * chunk sizes the output length follows the fractional phase; see `FrameResampler` for fixed output frames).
 *
 * The filter delays the signal by `delaySamples` output samples (the first output samples are the filter filling,
 * starting from silence). The spec, checked by `resampler.test.ts`: passband ripple ≤ 0.1 dB from 100 Hz to
 * PASSBAND_EDGE_HZ of the lower rate, image and alias rejection ≥ 60 dB. The passband is the band the codec at that
 * rate carries (G.711/G.712 300–3400 Hz at 8 kHz, G.722 50–7000 Hz at 16 kHz) and 0.9 × Nyquist between 24 and
 * 48 kHz. Both engines meet it (the polyphase figures are in polyphase.ts). Default speex quality per pair is the
 * lowest level that meets it (measured values, SIMD build):
 *
 * | pair      | quality | ripple   | images / aliases | delay                  |
 * |-----------|---------|----------|------------------|------------------------|
 * | 8k → 24k  | 4       | 0.001 dB | −85 dB           | 96 samples @24k = 4 ms |
 * | 24k → 8k  | 4       | 0.017 dB | −83 dB           | 32 samples @8k = 4 ms  |
 * | 16k → 24k | 4       | 0.047 dB | −85 dB           | 48 samples @24k = 2 ms |
 * | 24k → 16k | 6       | 0.001 dB | −87 dB           | 48 samples @16k = 3 ms |
 * | 48k → 24k | 7       | 0.000 dB | −89 dB           | 64 samples @24k ≈ 2.7 ms |
 * | 24k → 48k | 7       | 0.001 dB | −88 dB           | 128 samples @48k ≈ 2.7 ms |
 *
 * One level lower fails the ripple spec for every pair (e.g. 24k → 8k at q3: 1.05 dB at 3400 Hz). Holding 8 kHz
 * to 0.9 × Nyquist (3600 Hz) instead would need q7: twice the filter length and 8 ms delay each way.
 */

import { ResamplerError, ResamplerErrorCode, type Resampler } from './resampler-types.js';
import { loadSpeex, speexModule, type SpeexModule } from './speex-wasm.js';
import { createPolyphaseResampler } from './polyphase.js';

export { speexBuild as resamplerBuild, type SpeexBuild as ResamplerBuild } from './speex-wasm.js';
export { ResamplerError, ResamplerErrorCode, type Resampler, type ResamplerErrorCodeValue } from './resampler-types.js';

export const SUPPORTED_RATES = [8_000, 16_000, 24_000, 48_000] as const;
export type SupportedRate = (typeof SUPPORTED_RATES)[number];

/** Which implementation converts: the exact-ratio polyphase FIR (8k ↔ 24k only) or speex (every pair). */
export type ResamplerEngine = 'polyphase' | 'speex';

export interface ResamplerOptions {
  /**
   * Default: DEFAULT_ENGINE for the pair ('polyphase' for 8k → 24k, 'speex' for the rest), and 'speex' whenever
   * `quality` is given. 'polyphase' serves 8k → 24k and 24k → 8k only; for another pair it throws
   * RESAMPLER_BAD_OPTION.
   */
  engine?: ResamplerEngine;
  /** speex quality 0 (fastest) … 10 (best). Default: the per-pair minimum that meets the spec (DEFAULT_QUALITY). */
  quality?: number;
}

/** Upper edge of the passband the spec holds flat (≤ 0.1 dB), keyed by the lower of the two rates. */
export const PASSBAND_EDGE_HZ: Readonly<Record<SupportedRate, number>> = { 8000: 3400, 16000: 7000, 24000: 10_800, 48000: 21_600 };

/**
 * Default speex quality per conversion, the lowest that meets the spec (see the table above). Keyed by
 * `${inRate}>${outRate}`; pairs not listed (none among SUPPORTED_RATES is used today) get FALLBACK_QUALITY.
 */
export const DEFAULT_QUALITY: Readonly<Record<string, number>> = {
  '8000>24000': 4,
  '24000>8000': 4,
  '16000>24000': 4,
  '24000>16000': 6,
  '48000>24000': 7,
  '24000>48000': 7,
};
export const FALLBACK_QUALITY = 7;

/**
 * Default engine per pair, the cheaper of the two that meet the spec (CPU per 20 ms frame, measured in the same
 * run by bench/src/micro/resampler.ts; bench/results/2026-12-07-resampler.md). ×3 in JS does about a third of
 * speex's multiplies (scalar against SIMD) and costs some 15–20 % less, with 2.8 ms delay instead of 4; ÷3 at
 * this spec needs a 133-tap filter whose scalar JS loop costs more than speex's SIMD one, so 24k → 8k stays on
 * speex (the polyphase ÷3 remains an option, e.g. where only the portable, 3.5× slower speex build loads).
 * Pairs not listed use speex.
 */
export const DEFAULT_ENGINE: Readonly<Record<string, ResamplerEngine>> = {
  '8000>24000': 'polyphase',
};

export function defaultEngine(inRate: number, outRate: number): ResamplerEngine {
  return DEFAULT_ENGINE[`${inRate}>${outRate}`] ?? 'speex';
}

export function defaultQuality(inRate: number, outRate: number): number {
  return DEFAULT_QUALITY[`${inRate}>${outRate}`] ?? FALLBACK_QUALITY;
}

/** Compiles the wasm once per process. Call (and await) before `createResampler()`; repeated calls are cheap. */
export async function loadResampler(): Promise<void> {
  await loadSpeex();
}

function isSupportedRate(rate: number): rate is SupportedRate {
  return (SUPPORTED_RATES as readonly number[]).includes(rate);
}

export function createResampler(inRate: number, outRate: number, options: ResamplerOptions = {}): Resampler {
  if (!isSupportedRate(inRate) || !isSupportedRate(outRate)) {
    throw new ResamplerError(ResamplerErrorCode.BadOption, `unsupported rate pair ${inRate} → ${outRate} (supported: ${SUPPORTED_RATES.join(', ')})`);
  }
  const quality = options.quality ?? defaultQuality(inRate, outRate);
  if (!Number.isInteger(quality) || quality < 0 || quality > 10) {
    throw new ResamplerError(ResamplerErrorCode.BadOption, `speex quality must be an integer 0..10, got ${quality}`);
  }
  if (inRate === outRate) return new PassThrough(inRate);
  const engine = options.engine ?? (options.quality === undefined ? defaultEngine(inRate, outRate) : 'speex');
  if (engine === 'polyphase') {
    if (options.quality !== undefined) throw new ResamplerError(ResamplerErrorCode.BadOption, 'quality is a speex option; the polyphase engine has one filter per pair');
    return createPolyphaseResampler(inRate, outRate);
  }
  const mod = speexModule();
  if (mod === undefined) throw new ResamplerError(ResamplerErrorCode.NotLoaded, 'call await loadResampler() before createResampler()');
  return new SpeexResampler(mod, inRate, outRate, quality);
}

/** Same rate in and out: copies, so callers may keep or mutate the result. */
class PassThrough implements Resampler {
  readonly delaySamples = 0;
  constructor(readonly inRate: number) {}
  get outRate(): number {
    return this.inRate;
  }
  process(input: Int16Array): Int16Array {
    return input.slice();
  }
  reset(): void {}
  close(): void {}
}

/** Largest input handed to speex in one call (100 ms at 48 kHz); longer inputs are converted in slices. */
const MAX_CHUNK_SAMPLES = 4_800;
/** Output room for one chunk at the largest ratio (8 → 48 kHz), plus the fractional-phase slack. */
const MAX_OUT_SAMPLES = MAX_CHUNK_SAMPLES * (48_000 / 8_000) + 2;

/**
 * Scratch space shared by every resampler in the process (calls are synchronous, so it is never used by two at
 * once): in_len and out_len (uint32), then the input and output samples. Allocated on first use, about 67 KB.
 */
interface Scratch {
  readonly lenPtr: number;
  readonly inPtr: number;
  readonly outPtr: number;
}
let scratch: Scratch | undefined;

function scratchOf(mod: SpeexModule): Scratch {
  if (scratch !== undefined) return scratch;
  const lenPtr = mod._malloc(8 + 2 * MAX_CHUNK_SAMPLES + 2 * MAX_OUT_SAMPLES);
  if (lenPtr === 0) throw new ResamplerError(ResamplerErrorCode.Speex, 'wasm malloc failed');
  scratch = { lenPtr, inPtr: lenPtr + 8, outPtr: lenPtr + 8 + 2 * MAX_CHUNK_SAMPLES };
  return scratch;
}

/** Safety net: frees the speex state of a resampler dropped without `close()` (close() remains the contract). */
const leaked = new FinalizationRegistry<{ mod: SpeexModule; state: number }>(({ mod, state }) => mod._speex_resampler_destroy(state));

class SpeexResampler implements Resampler {
  readonly delaySamples: number;
  private state: number;

  constructor(
    private readonly mod: SpeexModule,
    readonly inRate: number,
    readonly outRate: number,
    readonly quality: number,
  ) {
    const errPtr = mod._malloc(4);
    const state = mod._speex_resampler_init(1, inRate, outRate, quality, errPtr);
    const err = mod.HEAPU32[errPtr >> 2] ?? 0;
    mod._free(errPtr);
    if (state === 0 || err !== 0) throw new ResamplerError(ResamplerErrorCode.Speex, `speex_resampler_init(${inRate}, ${outRate}, q${quality}) failed: error ${err}`);
    this.state = state;
    leaked.register(this, { mod, state }, this);
    // The filter is centred half its length (speex's input latency, in input samples) behind the newest input.
    this.delaySamples = (mod._speex_resampler_get_input_latency(state) * outRate) / inRate;
  }

  process(input: Int16Array): Int16Array {
    if (this.state === 0) throw new ResamplerError(ResamplerErrorCode.Closed, 'process() on a closed resampler');
    const bound = (n: number): number => Math.ceil((n * this.outRate) / this.inRate) + 2;
    if (input.length <= MAX_CHUNK_SAMPLES) return this.processChunk(input, bound(input.length), undefined, 0).result;
    const out = new Int16Array(bound(input.length));
    let written = 0;
    for (let offset = 0; offset < input.length; offset += MAX_CHUNK_SAMPLES) {
      const chunk = input.subarray(offset, offset + MAX_CHUNK_SAMPLES);
      written += this.processChunk(chunk, bound(chunk.length), out, written).produced;
    }
    return out.slice(0, written);
  }

  /** Runs speex over `input` (≤ MAX_CHUNK_SAMPLES); copies the output into `into` at `at`, or returns a new array. */
  private processChunk(input: Int16Array, outCapacity: number, into: Int16Array | undefined, at: number): { result: Int16Array; produced: number } {
    const mod = this.mod;
    const s = scratchOf(mod); // before reading the heap views: a first malloc may grow the memory
    const heap16 = mod.HEAP16;
    const heap32 = mod.HEAPU32;
    heap16.set(input, s.inPtr >> 1);
    heap32[s.lenPtr >> 2] = input.length;
    heap32[(s.lenPtr >> 2) + 1] = outCapacity;
    const rc = mod._speex_resampler_process_int(this.state, 0, s.inPtr, s.lenPtr, s.outPtr, s.lenPtr + 4);
    const consumed = heap32[s.lenPtr >> 2] ?? 0;
    const produced = heap32[(s.lenPtr >> 2) + 1] ?? 0;
    if (rc !== 0 || consumed !== input.length) {
      throw new ResamplerError(ResamplerErrorCode.Speex, `speex_resampler_process_int: error ${rc}, consumed ${consumed} of ${input.length}`);
    }
    const start = s.outPtr >> 1;
    if (into === undefined) return { result: heap16.slice(start, start + produced), produced };
    into.set(heap16.subarray(start, start + produced), at);
    return { result: into, produced };
  }

  reset(): void {
    if (this.state !== 0) this.mod._speex_resampler_reset_mem(this.state);
  }

  close(): void {
    if (this.state === 0) return;
    leaked.unregister(this);
    this.mod._speex_resampler_destroy(this.state);
    this.state = 0;
  }
}
