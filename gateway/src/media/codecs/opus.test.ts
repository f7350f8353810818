import { describe, expect, it } from 'vitest';

import { CodecError } from './codec-error.js';
import { OPUS_MAX_PACKET_BYTES, OpusDecoder, OpusEncoder } from './opus.js';
import { concat, dominantHz, prng, rms, sine, snrDb } from './test-signals.js';

const RATE = 24_000;
const FRAME = 480;

function encodeAll(pcm: Int16Array, enc = new OpusEncoder()): Uint8Array[] {
  const packets: Uint8Array[] = [];
  for (let i = 0; i + FRAME <= pcm.length; i += FRAME) packets.push(enc.encode(pcm.subarray(i, i + FRAME)));
  return packets;
}

describe('Opus (24 kHz, 20 ms, default encoder settings)', () => {
  it('round-trips a 440 Hz tone: same energy, same dominant frequency, ≥ 10 dB SNR after the codec delay', () => {
    const pcm = sine(440, RATE, RATE, 8000);
    const enc = new OpusEncoder();
    const dec = new OpusDecoder();
    const packets = encodeAll(pcm, enc);
    expect(packets.length).toBe(50);
    for (const p of packets) expect(p.length).toBeGreaterThan(10);
    const out = concat(packets.map((p) => dec.decode(p)));
    expect(out.length).toBe(pcm.length);
    const skip = 4800; // let the encoder settle (200 ms)
    const ratio = rms(out, skip) / rms(pcm, skip);
    expect(ratio).toBeGreaterThan(0.7);
    expect(ratio).toBeLessThan(1.3);
    expect(Math.abs(dominantHz(out.subarray(skip), RATE, 100, 2000) - 440)).toBeLessThanOrEqual(5);
    // The codec delay is the encoder lookahead (156 samples = 6.5 ms here); a tone is periodic, so search only
    // within half a period (27 samples at 440 Hz) of it.
    const lookahead = enc.lookaheadSamples;
    expect(lookahead).toBeGreaterThan(0);
    let best = -Infinity;
    for (let d = lookahead - 27; d <= lookahead + 27; d++) best = Math.max(best, snrDb(pcm, out, d, skip));
    expect(best).toBeGreaterThanOrEqual(10);
  });

  it('conceals with libopus PLC: exactly the requested number of samples, continuing then fading the tone', () => {
    const pcm = sine(440, RATE, 10 * FRAME, 8000);
    const dec = new OpusDecoder();
    for (const p of encodeAll(pcm)) dec.decode(p);
    const first = dec.conceal(FRAME);
    expect(first.length).toBe(FRAME);
    expect(rms(first)).toBeGreaterThan(0.3 * rms(pcm, FRAME)); // a continuation, not silence
    expect(Math.abs(dominantHz(first, RATE, 100, 2000) - 440)).toBeLessThanOrEqual(30);
    for (const n of [960, 240, 300, 1, 0]) expect(dec.conceal(n).length).toBe(n);
    let last = first;
    for (let k = 0; k < 20; k++) last = dec.conceal(FRAME);
    expect(rms(last)).toBeLessThan(0.1 * rms(first)); // long loss fades out
  });

  it('conceals silence before the first packet', () => {
    const out = new OpusDecoder().conceal(FRAME);
    expect(out.length).toBe(FRAME);
    expect(rms(out)).toBe(0);
  });

  it('decode() never throws on garbage: invalid packets become concealment of the last packet duration, counted', () => {
    const dec = new OpusDecoder();
    const rnd = prng(6716);
    let rejected = 0;
    for (let k = 0; k < 1000; k++) {
      const payload = Uint8Array.from({ length: rnd() % 300 }, () => rnd() & 0xff);
      const before = dec.corruptPayloads;
      const out = dec.decode(payload);
      if (dec.corruptPayloads > before) {
        rejected++;
        expect(out.length).toBeGreaterThan(0);
      }
    }
    expect(rejected).toBeGreaterThan(100); // libopus rejects a good share of random bytes
    const count = dec.corruptPayloads;
    expect(dec.decode(new Uint8Array(0)).length).toBeGreaterThan(0);
    expect(dec.decode(new Uint8Array(OPUS_MAX_PACKET_BYTES + 1)).length).toBeGreaterThan(0);
    expect(dec.corruptPayloads).toBe(count + 2);
    // And it still decodes real audio afterwards.
    dec.reset();
    const tone = sine(440, RATE, 10 * FRAME, 8000);
    const out = concat(encodeAll(tone).map((p) => dec.decode(p)));
    expect(Math.abs(dominantHz(out.subarray(2400), RATE, 100, 2000) - 440)).toBeLessThanOrEqual(5);
  });

  it('the encoder rejects a frame size Opus cannot code with CodecError CODEC_BAD_FRAME', () => {
    const enc = new OpusEncoder();
    expect(() => enc.encode(new Int16Array(100))).toThrow(CodecError);
    try {
      enc.encode(new Int16Array(481));
      expect.fail('should throw');
    } catch (e) {
      expect(e).toBeInstanceOf(CodecError);
      expect((e as CodecError).code).toBe('CODEC_BAD_FRAME');
    }
    for (const n of [120, 240, 480, 960]) expect(enc.encode(new Int16Array(n)).length).toBeGreaterThan(0);
  });
});

describe('Opus encoder settings (docs/codecs.md: chosen by the opus-settings bench)', () => {
  /** TOC configuration number (RFC 6716 §3.1): 0–11 SILK, 12–15 hybrid, 16–31 CELT. */
  const config = (packet: Uint8Array): number => (packet[0] ?? 0) >> 3;
  const speech = sine(220, RATE, 25 * FRAME, 6000).map((v, i) => v + Math.round(3000 * Math.sin((2 * Math.PI * 1800 * i) / RATE)));

  it('by default codes CELT only (restricted_lowdelay, complexity 1, no FEC) with a 2.5 ms lookahead', () => {
    const enc = new OpusEncoder();
    expect(enc.lookaheadSamples).toBe(60); // 2.5 ms at 24 kHz; voip/audio add 4 ms (156 samples)
    for (const p of encodeAll(speech, enc)) expect(config(p)).toBeGreaterThanOrEqual(16);
  });

  it('voip with FEC on (the former default) is still available and codes SILK or hybrid on speech', () => {
    const enc = new OpusEncoder({ application: 'voip', complexity: 5, inbandFec: true });
    expect(enc.lookaheadSamples).toBe(156);
    const packets = encodeAll(speech, enc);
    expect(packets.filter((p) => config(p) < 16).length).toBeGreaterThan(packets.length / 2);
  });
});
