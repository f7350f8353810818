/**
 * The resampler contract and its errors, shared by both implementations (speex over wasm in `resampler.ts`, the
 * exact-ratio polyphase FIR in `polyphase.ts`). Import from `resampler.ts`, which re-exports these.
 */

export const ResamplerErrorCode = {
  /** `createResampler()` called before `await loadResampler()` resolved. */
  NotLoaded: 'RESAMPLER_NOT_LOADED',
  /** A rate outside SUPPORTED_RATES, a quality outside 0..10, or the polyphase engine for a pair it does not serve (or with a quality). */
  BadOption: 'RESAMPLER_BAD_OPTION',
  /** speex_resampler_init or _process_int returned an error. */
  Speex: 'RESAMPLER_SPEEX_FAILED',
  /** `process()` after `close()`. */
  Closed: 'RESAMPLER_CLOSED',
} as const;
export type ResamplerErrorCodeValue = (typeof ResamplerErrorCode)[keyof typeof ResamplerErrorCode];

export class ResamplerError extends Error {
  readonly code: ResamplerErrorCodeValue;
  constructor(code: ResamplerErrorCodeValue, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ResamplerError';
    this.code = code;
  }
}

export interface Resampler {
  readonly inRate: number;
  readonly outRate: number;
  /**
   * Stateful across calls: feeding a signal in any chunking gives the same output as feeding it whole. Returns a new
   * array the caller owns (it may keep it; the resampler never writes to it again).
   */
  process(input: Int16Array): Int16Array;
  /** Delay the filter adds, in output samples (may be fractional): output[n] ≈ ideal(n − delaySamples). */
  readonly delaySamples: number;
  /** Forgets the filter history, as after a stream discontinuity. The next call starts from silence. */
  reset(): void;
  /** Frees what the resampler holds (the wasm state, for speex). Idempotent; `process()` afterwards throws. */
  close(): void;
}
