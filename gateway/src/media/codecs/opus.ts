/**
 * Opus (RFC 6716 / RFC 7587) over `@evan/opus` (libopus, native binding with a wasm fallback; the package ships the
 * x64/arm64 Linux binaries, so native loads here): mono, 20 ms, 32 kbit/s. Opened at 24 kHz, the gateway's internal
 * rate, so no resampling is needed; the RTP clock is always 48 kHz (2 ticks per sample).
 *
 * Encoder settings, chosen by measurement (docs/codecs.md, `bench/src/micro/opus-settings.ts`): application
 * `restricted_lowdelay` (CELT only), complexity 1, so no in-band FEC (LBRR exists only in SILK/hybrid). On the demo's
 * recorded speech it costs ~25 µs per encode and ~18 µs per decode against ~190 µs and ~28 µs for the former voip +
 * FEC at complexity 5; its mean spectral distance is slightly better than that former default's (envelope and fine
 * structure 0.4-0.5 dB worse, time envelope 1 dB better), its waveform correlation is higher (0.979 vs 0.949), and its
 * codec delay is 2.5 ms instead of 6.5 ms. Complexity 0 was cheaper still but smears onsets (no transient detection)
 * and failed the echo e2e test's first word. The cost: no FEC for the far end (our own decoder could never use it,
 * see below); the options below bring voip + FEC back per encoder.
 *
 * Loss concealment, as measured on @evan/opus 1.0.3 (native and wasm):
 * - decoding a zero-length buffer is NOT usable: the native binding throws `Opus(BadArgument)` and the wasm build
 *   conceals 5,760 samples (libopus' maximum frame size there, 240 ms at 24 kHz) in one go;
 * - decoding a TOC-only packet (one byte, code 0) runs libopus' own PLC for exactly the frame duration the TOC
 *   names (libopus treats a frame of ≤ 1 byte as lost, "don't conceal more than what the ToC says"). `conceal()`
 *   does that in 20 ms and 10 ms steps (TOC 0xF8 / 0xF0; the PLC follows the previous packet's mode, not the TOC's).
 * - the binding always passes decode_fec = 0, so the in-band FEC of the *next* packet cannot be used to rebuild a
 *   lost one here; FEC on our encoder still helps the far end.
 *
 * Garbage payloads: libopus rejects an invalid packet (the binding throws). `decode()` never throws for that: it
 * returns concealment for one previous-packet duration and counts it in `corruptPayloads`. A payload that happens
 * to parse as Opus decodes to whatever it encodes (no codec can tell).
 */

import { Decoder, Encoder } from '@evan/opus';

import type { AudioDecoder, AudioEncoder } from './codec.js';
import { CodecError } from './codec-error.js';

export const OPUS_SAMPLE_RATE = 24_000;
/** Samples of one 20 ms frame at OPUS_SAMPLE_RATE. */
const FRAME_SAMPLES = OPUS_SAMPLE_RATE / 50;
/** Largest Opus packet: 120 ms as six 1,275-byte frames plus the code-3 header (RFC 6716 §3.2.5, loosely). */
export const OPUS_MAX_PACKET_BYTES = 1275 * 6 + 7;
/** Frame sizes the encoder accepts, in samples at 24 kHz: 2.5, 5, 10, 20, 40, 60 ms. */
const ENCODABLE_SAMPLES = new Set([60, 120, 240, 480, 960, 1440]);
/** TOC-only packets (config 31 / 30, CELT FB, mono, code 0): libopus conceals one 20 ms / 10 ms frame for each. */
const PLC_20MS = Uint8Array.of(0xf8);
const PLC_10MS = Uint8Array.of(0xf0);
const OPUS_GET_LOOKAHEAD_REQUEST = 4027;
/** The measured telephony setting (docs/codecs.md): CELT only, complexity 1. */
const DEFAULT_APPLICATION: OpusApplication = 'restricted_lowdelay';
const DEFAULT_COMPLEXITY = 1;

/** libopus application: `voip` (SILK/hybrid favoured, speech tuned), `audio`, `restricted_lowdelay` (CELT only). */
export type OpusApplication = 'voip' | 'audio' | 'restricted_lowdelay';

export interface OpusEncoderOptions {
  /** Default `restricted_lowdelay` (CELT only; see the file comment). */
  application?: OpusApplication;
  /** In-band FEC (LBRR: SILK and hybrid modes only, so it needs `voip` or `audio`); default false. */
  inbandFec?: boolean;
  /** Target bitrate in bit/s; default 32,000. */
  bitrate?: number;
  /** Expected loss, 0–100; sizes the in-band FEC when it is on. Default 10. */
  packetLossPercent?: number;
  /**
   * 0–10; default 1. Measured here (docs/codecs.md): CELT 0 → ~17 µs, 1–4 → ~25 µs, 8–10 → ~55 µs per 20 ms
   * frame; voip + FEC 5 → ~190 µs, 10 → ~230–300 µs.
   */
  complexity?: 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10;
}

function asInt16(bytes: Uint8Array): Int16Array {
  if (bytes.byteOffset % 2 === 0) return new Int16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >> 1);
  return new Int16Array(bytes.slice().buffer, 0, bytes.byteLength >> 1);
}

export class OpusEncoder implements AudioEncoder {
  readonly sampleRate = OPUS_SAMPLE_RATE;
  private readonly encoder: Encoder;

  constructor(options: OpusEncoderOptions = {}) {
    try {
      this.encoder = new Encoder({ channels: 1, sample_rate: OPUS_SAMPLE_RATE, application: options.application ?? DEFAULT_APPLICATION });
      this.encoder.bitrate = options.bitrate ?? 32_000;
      this.encoder.complexity = options.complexity ?? DEFAULT_COMPLEXITY;
      this.encoder.inband_fec = options.inbandFec ?? false;
      this.encoder.packet_loss = options.packetLossPercent ?? 10;
    } catch (cause) {
      throw new CodecError('CODEC_FAILED', 'opus: cannot create encoder', { cause });
    }
  }

  /** Encoder lookahead in samples (its algorithmic delay at 24 kHz). */
  get lookaheadSamples(): number {
    // OPUS_GET_LOOKAHEAD; the binding's typed getter is misspelt (`lookhead`) and undefined at run time.
    return this.encoder.ctl(OPUS_GET_LOOKAHEAD_REQUEST);
  }

  encode(pcm: Int16Array): Uint8Array {
    if (!ENCODABLE_SAMPLES.has(pcm.length)) {
      throw new CodecError('CODEC_BAD_FRAME', `opus: cannot encode ${pcm.length} samples (2.5–60 ms at 24 kHz)`);
    }
    try {
      return this.encoder.encode(pcm);
    } catch (cause) {
      throw new CodecError('CODEC_FAILED', 'opus: encode failed', { cause });
    }
  }

  reset(): void {
    this.encoder.reset();
  }
}

export class OpusDecoder implements AudioDecoder {
  readonly sampleRate = OPUS_SAMPLE_RATE;
  private readonly decoder: Decoder;
  private lastPacketSamples = FRAME_SAMPLES;
  private corrupt = 0;

  constructor() {
    try {
      this.decoder = new Decoder({ channels: 1, sample_rate: OPUS_SAMPLE_RATE });
    } catch (cause) {
      throw new CodecError('CODEC_FAILED', 'opus: cannot create decoder', { cause });
    }
  }

  /** Payloads libopus rejected (or empty / oversized ones) since creation; each was replaced by concealment. */
  get corruptPayloads(): number {
    return this.corrupt;
  }

  decode(payload: Uint8Array): Int16Array {
    if (payload.length > 0 && payload.length <= OPUS_MAX_PACKET_BYTES) {
      let pcm: Int16Array | null = null;
      try {
        pcm = asInt16(this.decoder.decode(payload));
      } catch {
        pcm = null; // invalid packet: counted and concealed below
      }
      if (pcm !== null && pcm.length > 0) {
        this.lastPacketSamples = pcm.length;
        return pcm;
      }
    }
    this.corrupt++;
    return this.conceal(this.lastPacketSamples);
  }

  conceal(samples: number): Int16Array {
    const count = Math.max(0, Math.floor(samples));
    const out = new Int16Array(count);
    const tenMs = OPUS_SAMPLE_RATE / 100;
    let filled = 0;
    while (filled < count) {
      const packet = count - filled > tenMs ? PLC_20MS : PLC_10MS;
      let chunk: Int16Array;
      try {
        chunk = asInt16(this.decoder.decode(packet));
      } catch {
        break; // cannot happen for a valid TOC; the rest stays silent
      }
      if (chunk.length === 0) break;
      const n = Math.min(chunk.length, count - filled);
      out.set(chunk.subarray(0, n), filled);
      filled += n;
    }
    return out;
  }

  reset(): void {
    this.decoder.reset();
    this.lastPacketSamples = FRAME_SAMPLES;
  }
}
