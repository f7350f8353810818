/**
 * The codec boundary of the media path: RTP payload ↔ PCM16 mono at the codec's native rate (8 kHz for G.711,
 * 16 kHz for G.722, 24 kHz for our Opus). The resampler converts native ↔ the internal 24 kHz.
 * Instances are stateful: one encoder and one decoder per call direction.
 */

import { CodecError } from './codec-error.js';
import { G711Decoder, G711Encoder } from './g711.js';
import { G722Decoder, G722Encoder } from './g722.js';
import { OpusDecoder, OpusEncoder, type OpusEncoderOptions } from './opus.js';

export { CodecError, type CodecErrorCode } from './codec-error.js';

export interface AudioEncoder {
  /** PCM rate this encoder takes. */
  readonly sampleRate: number;
  /** One ptime of samples → one RTP payload. */
  encode(pcm: Int16Array): Uint8Array;
  reset(): void;
}

export interface AudioDecoder {
  /** PCM rate this decoder produces. */
  readonly sampleRate: number;
  /** One RTP payload → PCM at sampleRate. G.711/G.722/Opus decoders never throw on a malformed payload. */
  decode(payload: Uint8Array): Int16Array;
  /** `samples` samples standing in for a missing packet (Opus: libopus PLC; G.711/G.722: repeat-and-fade). */
  conceal(samples: number): Int16Array;
  reset(): void;
}

export type CodecName = 'PCMU' | 'PCMA' | 'G722' | 'opus';

export interface CodecDescriptor {
  name: CodecName;
  /** PCM rate of the encoder input and decoder output. */
  pcmRate: number;
  /** RTP timestamp clock (the SDP rtpmap rate). */
  rtpClockRate: number;
  /** RTP timestamp units per PCM sample: G.722 0.5 (8 kHz clock, 16 kHz audio), Opus 2 (48 kHz clock, 24 kHz PCM). */
  rtpTicksPerSample: number;
  /** Static RTP payload type (RFC 3551), or null for a dynamic one (Opus). */
  staticPayloadType: number | null;
  /** Channel count as written in the SDP rtpmap (`opus/48000/2` per RFC 7587, even though we send mono). */
  sdpChannels: number;
  /** Samples per 20 ms at pcmRate. */
  frameSamples: number;
}

const DESCRIPTORS: Readonly<Record<CodecName, CodecDescriptor>> = {
  PCMU: { name: 'PCMU', pcmRate: 8000, rtpClockRate: 8000, rtpTicksPerSample: 1, staticPayloadType: 0, sdpChannels: 1, frameSamples: 160 },
  PCMA: { name: 'PCMA', pcmRate: 8000, rtpClockRate: 8000, rtpTicksPerSample: 1, staticPayloadType: 8, sdpChannels: 1, frameSamples: 160 },
  G722: { name: 'G722', pcmRate: 16_000, rtpClockRate: 8000, rtpTicksPerSample: 0.5, staticPayloadType: 9, sdpChannels: 1, frameSamples: 320 },
  opus: { name: 'opus', pcmRate: 24_000, rtpClockRate: 48_000, rtpTicksPerSample: 2, staticPayloadType: null, sdpChannels: 2, frameSamples: 480 },
};

/** Canonical name for an SDP encoding name (case-insensitive, as SDP requires). */
function canonical(name: string): CodecName {
  switch (name.toUpperCase()) {
    case 'PCMU':
      return 'PCMU';
    case 'PCMA':
      return 'PCMA';
    case 'G722':
      return 'G722';
    case 'OPUS':
      return 'opus';
    default:
      throw new CodecError('CODEC_UNSUPPORTED', `unsupported codec: ${JSON.stringify(name)}`);
  }
}

export function isSupportedCodec(name: string): boolean {
  return ['PCMU', 'PCMA', 'G722', 'OPUS'].includes(name.toUpperCase());
}

export function codecDescriptor(name: string): CodecDescriptor {
  return DESCRIPTORS[canonical(name)];
}

/** `opus`: the Opus encoder's settings (ignored by the other codecs). */
export function createEncoder(name: string, options: { opus?: OpusEncoderOptions | undefined } = {}): AudioEncoder {
  const codec = canonical(name);
  switch (codec) {
    case 'PCMU':
      return new G711Encoder('ulaw');
    case 'PCMA':
      return new G711Encoder('alaw');
    case 'G722':
      return new G722Encoder();
    case 'opus':
      return new OpusEncoder(options.opus);
  }
}

export function createDecoder(name: string): AudioDecoder {
  const codec = canonical(name);
  switch (codec) {
    case 'PCMU':
      return new G711Decoder('ulaw');
    case 'PCMA':
      return new G711Decoder('alaw');
    case 'G722':
      return new G722Decoder();
    case 'opus':
      return new OpusDecoder();
  }
}
