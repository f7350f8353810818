/**
 * Thin wrapper over libfvad (the WebRTC voice activity detector) compiled to wasm (`@echogarden/fvad-wasm`). The
 * package ships no types: its Emscripten glue default-exports a factory resolving to a module object with the
 * exported C functions (`_fvad_*`, `_malloc`, `_free`) and views of the wasm heap (`HEAP16`). We check that shape
 * at load time, so a changed build fails at start-up with a clear error instead of mid-call.
 *
 * One module instance per process, loaded once by `await loadVad()`; every `WebRtcVad` allocates its own detector
 * state and input buffer on the shared heap and frees them in `close()`. `HEAP16` is replaced when the heap grows
 * (any `_malloc` may grow it), so it is read from the module on every call, never cached.
 *
 * libfvad: rates 8000/16000/32000/48000 Hz, frames of 10/20/30 ms, mode 0..3 (higher = more aggressive = fewer
 * false "speech"), `fvad_process` returns 1 (speech), 0 (not) or -1 (bad frame length).
 */

/** The part of the Emscripten module we use. Pointers are byte addresses into the wasm heap. */
interface FvadModule {
  _fvad_new(): number;
  _fvad_free(inst: number): void;
  _fvad_reset(inst: number): void;
  /** 0 on success, -1 for a mode outside 0..3. */
  _fvad_set_mode(inst: number, mode: number): number;
  /** 0 on success, -1 for an unsupported rate. */
  _fvad_set_sample_rate(inst: number, rate: number): number;
  /** 1 speech, 0 non-speech, -1 invalid frame length. */
  _fvad_process(inst: number, framePtr: number, length: number): number;
  _malloc(bytes: number): number;
  _free(ptr: number): void;
  readonly HEAP16: Int16Array;
}

const FUNCTIONS = [
  '_fvad_new',
  '_fvad_free',
  '_fvad_reset',
  '_fvad_set_mode',
  '_fvad_set_sample_rate',
  '_fvad_process',
  '_malloc',
  '_free',
] as const;

function isFvadModule(value: unknown): value is FvadModule {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return FUNCTIONS.every((name) => typeof record[name] === 'function') && record['HEAP16'] instanceof Int16Array;
}

export const VadErrorCode = {
  /** A detector created before `await loadVad()` resolved. */
  NotLoaded: 'VAD_NOT_LOADED',
  /** The wasm could not be loaded or has an unexpected shape. */
  LoadFailed: 'VAD_LOAD_FAILED',
  /** A sample rate, mode or option outside what is supported. */
  BadOption: 'VAD_BAD_OPTION',
  /** A frame of the wrong length. */
  BadFrame: 'VAD_BAD_FRAME',
  /** Used after `close()`. */
  Closed: 'VAD_CLOSED',
} as const;
export type VadErrorCodeValue = (typeof VadErrorCode)[keyof typeof VadErrorCode];

export class VadError extends Error {
  readonly code: VadErrorCodeValue;
  constructor(code: VadErrorCodeValue, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'VadError';
    this.code = code;
  }
}

/** Typed `string` so TypeScript does not look for declarations the package does not ship. */
const SPECIFIER: string = '@echogarden/fvad-wasm';

let loading: Promise<void> | undefined;
let loaded: FvadModule | undefined;

/**
 * Compiles and instantiates the wasm once per process. Concurrent and repeated calls share one promise; a failed
 * load can be retried.
 */
export function loadVad(): Promise<void> {
  loading ??= (async () => {
    try {
      const glue: unknown = await import(SPECIFIER);
      const factory: unknown = typeof glue === 'object' && glue !== null ? (glue as Record<string, unknown>)['default'] : undefined;
      if (typeof factory !== 'function') throw new Error(`${SPECIFIER} has no default export factory`);
      const instance: unknown = await (factory as (moduleArg: object) => Promise<unknown>)({});
      if (!isFvadModule(instance)) throw new Error(`${SPECIFIER} does not export the fvad functions we expect`);
      loaded = instance;
    } catch (err) {
      loading = undefined;
      throw new VadError(VadErrorCode.LoadFailed, 'could not load the WebRTC VAD wasm', { cause: err });
    }
  })();
  return loading;
}

export type FvadRate = 8000 | 16000 | 32000 | 48000;
export type VadMode = 0 | 1 | 2 | 3;

/** One libfvad detector: stateful (it adapts its noise model), one per audio stream. */
export class WebRtcVad {
  readonly sampleRate: FvadRate;
  readonly frameSamples: number;
  private readonly mode: VadMode;
  private readonly module: FvadModule;
  private inst: number;
  private readonly bufferPtr: number;

  /** `frameMs` is the frame length every `process()` call gets: 10, 20 or 30. */
  constructor(mode: VadMode, sampleRate: FvadRate = 8000, frameMs: 10 | 20 | 30 = 20) {
    const module = loaded;
    if (module === undefined) throw new VadError(VadErrorCode.NotLoaded, 'call `await loadVad()` before creating a detector');
    this.module = module;
    this.sampleRate = sampleRate;
    this.mode = mode;
    this.frameSamples = (sampleRate * frameMs) / 1000;
    const inst = module._fvad_new();
    if (inst === 0) throw new VadError(VadErrorCode.LoadFailed, 'fvad_new returned NULL');
    if (module._fvad_set_sample_rate(inst, sampleRate) !== 0 || module._fvad_set_mode(inst, mode) !== 0) {
      module._fvad_free(inst);
      throw new VadError(VadErrorCode.BadOption, `fvad rejected rate ${sampleRate} or mode ${mode}`);
    }
    const bufferPtr = module._malloc(this.frameSamples * 2);
    if (bufferPtr === 0) {
      module._fvad_free(inst);
      throw new VadError(VadErrorCode.LoadFailed, 'malloc failed for the VAD frame buffer');
    }
    this.inst = inst;
    this.bufferPtr = bufferPtr;
  }

  /** True when libfvad classifies the frame (exactly `frameSamples` samples) as speech. */
  process(frame: Int16Array): boolean {
    if (this.inst === 0) throw new VadError(VadErrorCode.Closed, 'WebRtcVad used after close()');
    if (frame.length !== this.frameSamples) {
      throw new VadError(VadErrorCode.BadFrame, `expected ${this.frameSamples} samples, got ${frame.length}`);
    }
    this.module.HEAP16.set(frame, this.bufferPtr >> 1);
    const result = this.module._fvad_process(this.inst, this.bufferPtr, this.frameSamples);
    if (result < 0) throw new VadError(VadErrorCode.BadFrame, 'fvad_process rejected the frame');
    return result === 1;
  }

  /** Forgets the adapted noise model, as for a new stream (fvad_reset also resets mode and rate: set them again). */
  reset(): void {
    if (this.inst === 0) return;
    this.module._fvad_reset(this.inst);
    this.module._fvad_set_sample_rate(this.inst, this.sampleRate);
    this.module._fvad_set_mode(this.inst, this.mode);
  }

  /** Frees the wasm memory. Idempotent. */
  close(): void {
    if (this.inst === 0) return;
    this.module._fvad_free(this.inst);
    this.module._free(this.bufferPtr);
    this.inst = 0;
  }
}
