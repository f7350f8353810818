import { beforeAll, describe, expect, it } from 'vitest';
import { loadResampler } from './audio/resampler.js';
import { CodecPath } from './codec-path.js';

/** TOC configuration number (RFC 6716 §3.1): 0–11 SILK, 12–15 hybrid, 16–31 CELT. */
const tocConfig = (packet: Uint8Array): number => (packet[0] ?? 0) >> 3;

/** 20 ms frames at 24 kHz of a voiced-like signal (220 Hz fundamental plus an 1800 Hz component). */
function frames(count: number): Int16Array[] {
  const out: Int16Array[] = [];
  for (let f = 0; f < count; f++) {
    const frame = new Int16Array(480);
    for (let i = 0; i < 480; i++) {
      const t = (f * 480 + i) / 24_000;
      frame[i] = Math.round(6000 * Math.sin(2 * Math.PI * 220 * t) + 3000 * Math.sin(2 * Math.PI * 1800 * t));
    }
    out.push(frame);
  }
  return out;
}

describe('CodecPath: media.opus reaches the encoder', () => {
  beforeAll(async () => {
    await loadResampler();
  });

  it('without settings the codec default codes CELT; voip with FEC from media.opus codes SILK or hybrid', () => {
    const plain = new CodecPath('opus', 20);
    const celt = frames(25).map((f) => tocConfig(plain.encode(f)));
    expect(celt.every((c) => c >= 16)).toBe(true);
    plain.close();

    const fec = new CodecPath('opus', 20, { application: 'voip', complexity: 5, fec: true, packetLossPercent: 10, bitrate: 32_000 });
    const silk = frames(25).map((f) => tocConfig(fec.encode(f)));
    expect(silk.filter((c) => c < 16).length).toBeGreaterThan(silk.length / 2);
    fec.close();
  });

  it('other codecs ignore media.opus', () => {
    const path = new CodecPath('PCMU', 20, { application: 'voip', complexity: 10, fec: true, packetLossPercent: 10, bitrate: 64_000 });
    expect(path.encode(frames(1)[0] ?? new Int16Array(480)).length).toBe(160);
    path.close();
  });
});
