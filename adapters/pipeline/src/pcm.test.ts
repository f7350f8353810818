import { describe, expect, it } from 'vitest';
import { Pcm16Reader } from './pcm.js';
import { pcmBytes, tone } from './testing/tone.js';

function wavHeader(dataBytes: number): Uint8Array {
  const h = new Uint8Array(44);
  const v = new DataView(h.buffer);
  h.set([0x52, 0x49, 0x46, 0x46], 0);
  v.setUint32(4, 36 + dataBytes, true);
  h.set([0x57, 0x41, 0x56, 0x45, 0x66, 0x6d, 0x74, 0x20], 8);
  v.setUint32(16, 16, true);
  v.setUint16(20, 1, true);
  v.setUint16(22, 1, true);
  v.setUint32(24, 24_000, true);
  v.setUint32(28, 48_000, true);
  v.setUint16(32, 2, true);
  v.setUint16(34, 16, true);
  h.set([0x64, 0x61, 0x74, 0x61], 36);
  v.setUint32(40, dataBytes, true);
  return h;
}

function readAll(reader: Pcm16Reader, bytes: Uint8Array, pieces: number[]): Int16Array {
  const out: number[] = [];
  let at = 0;
  for (const size of pieces) {
    out.push(...reader.push(bytes.subarray(at, at + size)));
    at += size;
  }
  out.push(...reader.push(bytes.subarray(at)));
  return Int16Array.from(out);
}

describe('Pcm16Reader', () => {
  const samples = tone(10, { dbfs: -3 });
  const bytes = pcmBytes(samples);

  it('reassembles samples split at odd byte boundaries, little-endian, signed', () => {
    const reader = new Pcm16Reader();
    expect(readAll(reader, bytes, [1, 2, 3, 5, 7, 11, 13])).toEqual(samples);
    expect(reader.pendingBytes).toBe(0);
    expect(reader.samples).toBe(samples.length);
    expect(samples.some((s) => s < 0)).toBe(true);
  });

  it('holds an odd last byte', () => {
    const reader = new Pcm16Reader();
    expect(reader.push(bytes.subarray(0, 3))).toEqual(samples.subarray(0, 1));
    expect(reader.pendingBytes).toBe(1);
  });

  it('skips a WAV header when asked, even split across chunks', () => {
    const wav = new Uint8Array([...wavHeader(bytes.length), ...bytes]);
    expect(readAll(new Pcm16Reader({ skipWavHeader: true }), wav, [3, 10, 40])).toEqual(samples);
  });

  it('leaves raw audio alone when asked to skip a header that is not there', () => {
    expect(readAll(new Pcm16Reader({ skipWavHeader: true }), bytes, [2, 9])).toEqual(samples);
  });
});
