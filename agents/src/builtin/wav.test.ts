import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { encodeWav, parseWav, WavError, WavErrorCode } from './wav.js';
import type { WavErrorCodeValue } from './wav.js';

const samples = Int16Array.from([0, 1, -1, 32767, -32768, 1234]);

function codeOf(fn: () => unknown): WavErrorCodeValue {
  try {
    fn();
  } catch (err) {
    if (err instanceof WavError) return err.code;
    throw err;
  }
  throw new Error('expected a WavError');
}

/** Inserts a chunk between the fmt and data chunks of a 44-byte-header WAV. */
function withChunk(wav: Buffer, id: string, body: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.write(id, 0, 'latin1');
  head.writeUInt32LE(body.length, 4);
  const pad = body.length & 1 ? Buffer.alloc(1) : Buffer.alloc(0);
  return Buffer.concat([wav.subarray(0, 36), head, body, pad, wav.subarray(36)]);
}

describe('parseWav', () => {
  it('round-trips encodeWav, sample for sample', () => {
    expect(Array.from(parseWav(encodeWav(samples)))).toEqual(Array.from(samples));
  });

  it('reads the committed prompts (sox output)', () => {
    const pcm = parseWav(readFileSync(new URL('../../prompts/welcome.wav', import.meta.url)));
    expect(pcm.length).toBeGreaterThan(24_000 * 0.5);
    expect(pcm.some((s) => Math.abs(s) > 1000)).toBe(true);
  });

  it('skips other chunks, honouring the pad byte of an odd-sized one', () => {
    const wav = withChunk(encodeWav(samples), 'LIST', Buffer.from('odd'));
    expect(Array.from(parseWav(wav))).toEqual(Array.from(samples));
  });

  it('parses from an odd offset inside a larger buffer', () => {
    const wav = encodeWav(samples);
    const big = Buffer.alloc(wav.length + 1);
    wav.copy(big, 1);
    expect(Array.from(parseWav(big.subarray(1)))).toEqual(Array.from(samples));
  });

  it('accepts WAVE_FORMAT_EXTENSIBLE with the PCM sub-format', () => {
    const plain = encodeWav(samples);
    const fmt = Buffer.alloc(8 + 40);
    fmt.write('fmt ', 0, 'latin1');
    fmt.writeUInt32LE(40, 4);
    plain.copy(fmt, 8, 20, 36);
    fmt.writeUInt16LE(0xfffe, 8);
    fmt.writeUInt16LE(22, 24);
    fmt.writeUInt16LE(1, 8 + 24);
    const wav = Buffer.concat([plain.subarray(0, 12), fmt, plain.subarray(36)]);
    expect(Array.from(parseWav(wav))).toEqual(Array.from(samples));
  });

  it('takes what is there when the data size is 0xFFFFFFFF (streamed WAV)', () => {
    const wav = encodeWav(samples);
    wav.writeUInt32LE(0xffffffff, 40);
    expect(Array.from(parseWav(wav))).toEqual(Array.from(samples));
  });

  it('refuses other rates, stereo and 8-bit with a message saying what is needed', () => {
    expect(codeOf(() => parseWav(encodeWav(samples, 8000)))).toBe(WavErrorCode.UnsupportedFormat);
    expect(codeOf(() => parseWav(encodeWav(samples, 24000, 2)))).toBe(WavErrorCode.UnsupportedFormat);
    const eightBit = encodeWav(samples);
    eightBit.writeUInt16LE(8, 34);
    expect(codeOf(() => parseWav(eightBit))).toBe(WavErrorCode.UnsupportedFormat);
    expect(() => parseWav(encodeWav(samples, 8000), 'x.wav')).toThrow(/x\.wav: .*8000 Hz; need PCM \(1\) 16-bit mono 24000 Hz/);
  });

  it('refuses what is not WAV, or is cut short', () => {
    expect(codeOf(() => parseWav(Buffer.from('OggS....WAVE')))).toBe(WavErrorCode.NotWav);
    expect(codeOf(() => parseWav(Buffer.alloc(4)))).toBe(WavErrorCode.NotWav);
    expect(codeOf(() => parseWav(encodeWav(samples).subarray(0, 36)))).toBe(WavErrorCode.MissingChunk);
    const truncatedList = withChunk(encodeWav(samples), 'LIST', Buffer.alloc(10)).subarray(0, 50);
    expect(codeOf(() => parseWav(truncatedList))).toBe(WavErrorCode.NotWav);
    const noFmt = Buffer.concat([encodeWav(samples).subarray(0, 12), encodeWav(samples).subarray(36)]);
    expect(codeOf(() => parseWav(noFmt))).toBe(WavErrorCode.MissingChunk);
  });
});
