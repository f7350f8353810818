/**
 * Rate conversion to fixed-size output frames, for RTP packetisation and the 20 ms internal frame.
 *
 * Both engines (speex, polyphase) consume all their input on every call, so 20 ms in gives exactly 20 ms out at
 * every supported rate pair and a 20 ms frame stream needs no re-framing. Input that does not come in 20 ms frames does (agent audio deltas of any
 * size, 30 ms ptime, a 10 ms tail): this class collects converted samples and hands out exactly `frameSamples` at a
 * time, holding back fewer than one frame.
 *
 * Latency: the filter's `delaySamples`, plus the part of a frame still being collected. With input in whole
 * `frameMs` frames that part is always zero (each push returns exactly one frame), so latency is constant at
 * `delaySamples`. With arbitrary chunks it is at most `frameSamples − 1` more samples, and no sample is dropped:
 * `pendingSamples` says how many are waiting, `flush()` pads them to a last frame.
 */

import { FRAME_MS } from './frame.js';
import { createResampler, type Resampler, type ResamplerOptions } from './resampler.js';

export interface FrameResamplerOptions extends ResamplerOptions {
  /** Output frame length in ms (default FRAME_MS, 20). Must give a whole number of samples at `outRate`. */
  frameMs?: number;
}

export class FrameResampler {
  readonly inRate: number;
  readonly outRate: number;
  /** Samples per output frame at `outRate` (160 for 20 ms at 8 kHz, 480 at 24 kHz). */
  readonly frameSamples: number;
  /** Filter delay at `outRate`; the constant latency when input arrives in whole frames. */
  readonly delaySamples: number;
  private readonly resampler: Resampler;
  /** Converted samples not yet handed out; always fewer than `frameSamples`. */
  private readonly pending: Int16Array;
  private pendingLength = 0;

  constructor(inRate: number, outRate: number, options: FrameResamplerOptions = {}) {
    const frameMs = options.frameMs ?? FRAME_MS;
    const frameSamples = (outRate * frameMs) / 1000;
    if (!Number.isInteger(frameSamples) || frameSamples <= 0) {
      throw new RangeError(`a ${frameMs} ms frame is not a whole number of samples at ${outRate} Hz`);
    }
    this.resampler = createResampler(inRate, outRate, options);
    this.inRate = inRate;
    this.outRate = outRate;
    this.frameSamples = frameSamples;
    this.delaySamples = this.resampler.delaySamples;
    this.pending = new Int16Array(frameSamples);
  }

  /** Samples converted but held back until a whole frame is ready. */
  get pendingSamples(): number {
    return this.pendingLength;
  }

  /** Converts `input` and returns every whole output frame now ready (zero or more, each `frameSamples` long). */
  push(input: Int16Array): Int16Array[] {
    const converted = this.resampler.process(input);
    const frames: Int16Array[] = [];
    let at = 0;
    if (this.pendingLength > 0) {
      const take = Math.min(this.frameSamples - this.pendingLength, converted.length);
      this.pending.set(converted.subarray(0, take), this.pendingLength);
      this.pendingLength += take;
      at = take;
      if (this.pendingLength < this.frameSamples) return frames;
      frames.push(this.pending.slice());
      this.pendingLength = 0;
    }
    // Whole frames straight out of the converted block (the common case: exactly one, no copy when it fits).
    if (at === 0 && converted.length === this.frameSamples) return [converted];
    for (; at + this.frameSamples <= converted.length; at += this.frameSamples) frames.push(converted.slice(at, at + this.frameSamples));
    this.pending.set(converted.subarray(at), 0);
    this.pendingLength = converted.length - at;
    return frames;
  }

  /** Hands out what is pending as a last frame padded with silence, or undefined when nothing is pending. */
  flush(): Int16Array | undefined {
    if (this.pendingLength === 0) return undefined;
    const frame = new Int16Array(this.frameSamples);
    frame.set(this.pending.subarray(0, this.pendingLength));
    this.pendingLength = 0;
    return frame;
  }

  /** Drops pending samples and the filter history, as after a stream discontinuity. */
  reset(): void {
    this.pendingLength = 0;
    this.resampler.reset();
  }

  /** Frees the underlying resampler. Idempotent. */
  close(): void {
    this.pendingLength = 0;
    this.resampler.close();
  }
}
