/**
 * The audio edge of the Twilio dialect: the gateway's PCM16 24 kHz ⇄ Media Streams' µ-law 8 kHz. Pure and
 * synchronous, one per call: both directions keep their resampler's filter history across messages (no clicks at
 * chunk edges), so call `loadResampler()` once before making one.
 *
 * The speex filter looks 4 ms ahead (`delaySamples`): the last 4 ms of what the bot has sent leave the downlink
 * filter only when more audio follows. `clear` drops them with the rest (`resetDown()`).
 */
import { FrameResampler } from '../../media/audio/frame-resampler.js';
import { SAMPLE_RATE } from '../../media/audio/frame.js';
import { createResampler, type Resampler } from '../../media/audio/resampler.js';
import { G711Encoder, G711_SAMPLE_RATE, ULAW_DECODE } from '../../media/codecs/g711.js';

export class TwilioAudio {
  private readonly up = new FrameResampler(SAMPLE_RATE, G711_SAMPLE_RATE);
  private readonly down: Resampler = createResampler(G711_SAMPLE_RATE, SAMPLE_RATE);
  private readonly encoder = new G711Encoder('ulaw');

  /** Downlink filter delay, in 24 kHz samples. */
  get downDelaySamples(): number {
    return this.down.delaySamples;
  }

  /**
   * Caller audio: 24 kHz samples (one 20 ms frame of 480, as the gateway sends) → µ-law payloads of exactly 160
   * bytes (20 ms at 8 kHz), one per whole 20 ms ready: exactly one for each 20 ms frame in.
   */
  encode(frame: Int16Array): Uint8Array[] {
    return this.up.push(frame).map((pcm8k) => this.encoder.encode(pcm8k));
  }

  /** Bot audio: µ-law bytes of any length → 24 kHz samples (three per byte, once the filter is primed). */
  decode(ulaw: Uint8Array): Int16Array {
    const pcm8k = new Int16Array(ulaw.length);
    for (let i = 0; i < ulaw.length; i++) pcm8k[i] = ULAW_DECODE[ulaw[i] ?? 0xff] ?? 0;
    return this.down.process(pcm8k);
  }

  /** Forgets the downlink filter's history (after `clear`): the next bot audio starts clean. */
  resetDown(): void {
    this.down.reset();
  }

  /** Frees both resamplers. Idempotent. */
  close(): void {
    this.up.close();
    this.down.close();
  }
}
