/**
 * One call's conversion between RTP payloads and 24 kHz frames: decoder → resampler up (caller side), and
 * resampler down → encoder (agent side). Stateful and owned by one call; rebuilt when a re-INVITE changes codec.
 */
import { createResampler, type Resampler } from './audio/resampler.js';
import { FrameResampler } from './audio/frame-resampler.js';
import { SAMPLE_RATE } from './audio/frame.js';
import { codecDescriptor, createDecoder, createEncoder, type AudioDecoder, type AudioEncoder, type CodecDescriptor, type OpusEncoderOptions } from './codecs/index.js';
import type { OpusSettings } from './call-media-options.js';

/** `media.opus` → the encoder's options (complexity checked 0–10 by the config). */
function opusEncoderOptions(o: OpusSettings): OpusEncoderOptions {
  return {
    application: o.application,
    complexity: Math.min(10, Math.max(0, Math.round(o.complexity))) as NonNullable<OpusEncoderOptions['complexity']>,
    inbandFec: o.fec,
    packetLossPercent: o.packetLossPercent,
    bitrate: o.bitrate,
  };
}

export class CodecPath {
  readonly descriptor: CodecDescriptor;
  private readonly decoder: AudioDecoder;
  private readonly encoder: AudioEncoder;
  private readonly up: FrameResampler;
  private readonly down: Resampler;
  private silence: Int16Array;

  constructor(codecName: string, private readonly downPtimeMs: number, opus?: OpusSettings) {
    this.descriptor = codecDescriptor(codecName);
    this.decoder = createDecoder(codecName);
    this.encoder = createEncoder(codecName, { opus: opus === undefined ? undefined : opusEncoderOptions(opus) });
    this.up = new FrameResampler(this.descriptor.pcmRate, SAMPLE_RATE);
    this.down = createResampler(SAMPLE_RATE, this.descriptor.pcmRate);
    this.silence = new Int16Array((this.descriptor.pcmRate * downPtimeMs) / 1000);
  }

  /** 24 kHz samples in one outbound packet. */
  get samplesPerPacket24k(): number {
    return (SAMPLE_RATE * this.downPtimeMs) / 1000;
  }

  /** Codec-rate samples in one packet of `ptimeMs`. */
  codecSamples(ptimeMs: number): number {
    return (this.descriptor.pcmRate * ptimeMs) / 1000;
  }

  /**
   * One received payload (or a concealment / silence of `ptimeMs`) → the decoded audio at the codec's rate (for
   * speech detection) and zero or more whole 24 kHz frames (for the agent).
   */
  decode(input: Uint8Array | 'conceal' | 'silence', ptimeMs: number): { native: Int16Array; frames: Int16Array[] } {
    const native =
      input === 'conceal'
        ? this.decoder.conceal(this.codecSamples(ptimeMs))
        : input === 'silence'
          ? new Int16Array(this.codecSamples(ptimeMs))
          : this.decoder.decode(input);
    return { native, frames: this.up.push(native) };
  }

  /** One packet's worth of 24 kHz agent audio → an RTP payload. */
  encode(pcm24: Int16Array): Uint8Array {
    return this.encoder.encode(this.down.process(pcm24));
  }

  /** A silent packet that skips the resampler (cheap while nobody speaks). */
  encodeSilence(): Uint8Array {
    return this.encoder.encode(this.silence);
  }

  /** After a flush: the down resampler forgets the dropped audio, so the next spurt starts clean. */
  resetDown(): void {
    this.down.reset();
  }

  close(): void {
    this.up.close();
    this.down.close();
  }
}
