/**
 * A small RIFF/WAVE reader for the built-in prompts: PCM16 mono 24 kHz only, anything else is a clear error.
 * Walks the chunks (skipping LIST and others, honouring the pad byte of odd-sized chunks) and accepts
 * WAVE_FORMAT_PCM and WAVE_FORMAT_EXTENSIBLE with the PCM sub-format.
 */

import { AUDIO_FORMAT } from '../protocol/messages.js';
import { pcm16FromBytes } from '../protocol/pcm.js';

export const WavErrorCode = {
  /** Not a RIFF/WAVE file, or chunks that run past the end. */
  NotWav: 'WAV_NOT_WAV',
  /** No `fmt ` or no `data` chunk. */
  MissingChunk: 'WAV_MISSING_CHUNK',
  /** Valid WAV, but not PCM16 mono 24 kHz. */
  UnsupportedFormat: 'WAV_UNSUPPORTED_FORMAT',
} as const;

export type WavErrorCodeValue = (typeof WavErrorCode)[keyof typeof WavErrorCode];

export class WavError extends Error {
  readonly code: WavErrorCodeValue;

  constructor(code: WavErrorCodeValue, message: string) {
    super(message);
    this.name = 'WavError';
    this.code = code;
  }
}

const FORMAT_PCM = 1;
const FORMAT_EXTENSIBLE = 0xfffe;

/** Parses a PCM16 mono 24 kHz WAV file into samples. `what` names the file in error messages. */
export function parseWav(bytes: Uint8Array, what = 'WAV'): Int16Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = (off: number): string => String.fromCharCode(...bytes.subarray(off, off + 4));
  if (bytes.byteLength < 12 || tag(0) !== 'RIFF' || tag(8) !== 'WAVE') {
    throw new WavError(WavErrorCode.NotWav, `${what}: not a RIFF/WAVE file`);
  }
  let fmt: { format: number; channels: number; sampleRate: number; bits: number } | undefined;
  let data: Uint8Array | undefined;
  let off = 12;
  while (off + 8 <= bytes.byteLength) {
    const id = tag(off);
    const size = view.getUint32(off + 4, true);
    const body = off + 8;
    // Streamed WAVs (and some tools) write a data size of 0xFFFFFFFF or too large: take what is there.
    const end = id === 'data' ? Math.min(body + size, bytes.byteLength) : body + size;
    if (end > bytes.byteLength) {
      throw new WavError(WavErrorCode.NotWav, `${what}: chunk "${id}" runs past the end of the file`);
    }
    if (id === 'fmt ') {
      if (size < 16) throw new WavError(WavErrorCode.NotWav, `${what}: fmt chunk of ${size} bytes is too short`);
      let format = view.getUint16(body, true);
      if (format === FORMAT_EXTENSIBLE && size >= 40) format = view.getUint16(body + 24, true);
      fmt = {
        format,
        channels: view.getUint16(body + 2, true),
        sampleRate: view.getUint32(body + 4, true),
        bits: view.getUint16(body + 14, true),
      };
    } else if (id === 'data') {
      data = bytes.subarray(body, end);
      break;
    }
    off = end + (size & 1);
  }
  if (fmt === undefined) throw new WavError(WavErrorCode.MissingChunk, `${what}: no fmt chunk`);
  if (data === undefined) throw new WavError(WavErrorCode.MissingChunk, `${what}: no data chunk`);
  const want = AUDIO_FORMAT;
  if (fmt.format !== FORMAT_PCM || fmt.bits !== 16 || fmt.channels !== want.channels || fmt.sampleRate !== want.sampleRate) {
    throw new WavError(
      WavErrorCode.UnsupportedFormat,
      `${what}: is format ${fmt.format} ${fmt.bits}-bit ${fmt.channels}-channel ${fmt.sampleRate} Hz; ` +
        `need PCM (1) 16-bit mono ${want.sampleRate} Hz (sox in.wav -r 24000 -c 1 -b 16 out.wav)`,
    );
  }
  return pcm16FromBytes(data.subarray(0, data.byteLength & ~1));
}

/** Builds a PCM16 mono 24 kHz WAV file (for tests and tools). */
export function encodeWav(samples: Int16Array, sampleRate: number = AUDIO_FORMAT.sampleRate, channels = 1): Buffer {
  const dataBytes = samples.length * 2;
  const out = Buffer.alloc(44 + dataBytes);
  out.write('RIFF', 0, 'latin1');
  out.writeUInt32LE(36 + dataBytes, 4);
  out.write('WAVEfmt ', 8, 'latin1');
  out.writeUInt32LE(16, 16);
  out.writeUInt16LE(FORMAT_PCM, 20);
  out.writeUInt16LE(channels, 22);
  out.writeUInt32LE(sampleRate, 24);
  out.writeUInt32LE(sampleRate * channels * 2, 28);
  out.writeUInt16LE(channels * 2, 32);
  out.writeUInt16LE(16, 34);
  out.write('data', 36, 'latin1');
  out.writeUInt32LE(dataBytes, 40);
  for (let i = 0; i < samples.length; i++) out.writeInt16LE(samples[i] ?? 0, 44 + i * 2);
  return out;
}
