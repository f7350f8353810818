import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { G722Decoder, G722Encoder } from './g722.js';
import { concat, findDelay, prng, sine, snrDb, speechLike } from './test-signals.js';

const RATE = 16_000;
const FRAME = 320; // 20 ms at 16 kHz
/** Measured group delay of QMF analysis + synthesis (two 24-tap filters); the tests find it, this documents it. */
const EXPECTED_DELAY = 22;

/** Encode and decode `pcm` in 20 ms frames, as the RTP path does. */
function roundTrip(pcm: Int16Array, enc = new G722Encoder(), dec = new G722Decoder()): { bits: Uint8Array; out: Int16Array } {
  const bits: Uint8Array[] = [];
  const out: Int16Array[] = [];
  for (let i = 0; i < pcm.length; i += FRAME) {
    const payload = enc.encode(pcm.subarray(i, i + FRAME));
    bits.push(payload);
    out.push(dec.decode(payload));
  }
  const all = new Uint8Array(bits.reduce((n, b) => n + b.length, 0));
  let o = 0;
  for (const b of bits) {
    all.set(b, o);
    o += b.length;
  }
  return { bits: all, out: concat(out) };
}

const SIGNALS = [
  { name: '1 kHz sine', pcm: sine(1000, RATE, RATE) },
  { name: 'speech-like harmonics with an envelope', pcm: speechLike(RATE, RATE) },
] as const;

describe('G.722 round trip (our encoder → our decoder)', () => {
  it.each(SIGNALS)('$name: SNR ≥ 20 dB after compensating the group delay', ({ pcm }) => {
    const { bits, out } = roundTrip(pcm);
    expect(bits.length).toBe(pcm.length / 2); // 64 kbit/s: one byte per two samples
    expect(out.length).toBe(pcm.length);
    // A pure 1 kHz tone repeats every 16 samples, so search one period around the speech-signal delay.
    const delay = findDelay(pcm, out, 40);
    expect(delay % 16).toBe(EXPECTED_DELAY % 16);
    expect(snrDb(pcm, out, delay)).toBeGreaterThanOrEqual(20);
  });

  it('the group delay is 22 samples (1.375 ms), found by cross-correlation on a non-periodic signal', () => {
    const pcm = speechLike(RATE, RATE);
    expect(findDelay(pcm, roundTrip(pcm).out, 100)).toBe(EXPECTED_DELAY);
  });

  it('is deterministic and reset() restores the initial state', () => {
    const pcm = speechLike(RATE, 4 * FRAME);
    const enc = new G722Encoder();
    const dec = new G722Decoder();
    const first = roundTrip(pcm, enc, dec);
    enc.reset();
    dec.reset();
    const second = roundTrip(pcm, enc, dec);
    expect(second.bits).toEqual(first.bits);
    expect(second.out).toEqual(first.out);
  });

  it('carries an odd trailing sample into the next call (same bytes as one even call)', () => {
    const pcm = speechLike(RATE, 640);
    const whole = new G722Encoder().encode(pcm);
    const split = new G722Encoder();
    const a = split.encode(pcm.subarray(0, 101));
    const b = split.encode(pcm.subarray(101));
    expect(a.length).toBe(50);
    expect(b.length).toBe(270);
    expect(Uint8Array.from([...a, ...b])).toEqual(whole);
  });
});

describe('G.722 robustness', () => {
  it('the decoder never throws on garbage payloads of any length and returns two samples per byte', () => {
    const rnd = prng(722);
    const dec = new G722Decoder();
    for (let k = 0; k < 2000; k++) {
      const payload = Uint8Array.from({ length: rnd() % 400 }, () => rnd() & 0xff);
      const out = dec.decode(payload);
      expect(out.length).toBe(payload.length * 2);
    }
    for (const fill of [0x00, 0xff, 0x20, 0xc0]) expect(dec.decode(new Uint8Array(1500).fill(fill)).length).toBe(3000);
  });

  it('encoder and decoder stay sane after extreme input: a clean signal afterwards codes at ≥ 20 dB again', () => {
    const rnd = prng(1);
    const enc = new G722Encoder();
    const dec = new G722Decoder();
    // Full-scale noise, square waves at ±32768 and Nyquist: saturate every clamp in the predictor and scale.
    const abuse = new Int16Array(RATE);
    for (let i = 0; i < abuse.length; i++) {
      abuse[i] = i < 5000 ? (rnd() & 0xffff) - 32768 : i < 10_000 ? (i & 64 ? 32767 : -32768) : i & 1 ? 32767 : -32768;
    }
    roundTrip(abuse, enc, dec);
    for (let k = 0; k < 200; k++) dec.decode(Uint8Array.from({ length: 160 }, () => rnd() & 0xff)); // garbage too
    const pcm = speechLike(RATE, RATE);
    const { out } = roundTrip(pcm, enc, dec);
    // The decoder was desynchronised by the garbage: allow 250 ms to re-converge, then demand full quality.
    const tail = pcm.subarray(4000);
    expect(snrDb(tail, out.subarray(4000), EXPECTED_DELAY)).toBeGreaterThanOrEqual(20);
  });
});

describe('G.722 interop with ffmpeg (independent implementation)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'patchbay-g722-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function ffmpeg(args: string[]): void {
    const r = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args], { encoding: 'utf8' });
    if (r.error) throw new Error(`ffmpeg is required for the G.722 interop test: apt-get install -y ffmpeg (${r.error.message})`);
    if (r.status !== 0) throw new Error(`ffmpeg failed (${String(r.status)}): ${r.stderr}`);
  }
  function readPcm(path: string): Int16Array {
    const b = readFileSync(path);
    return new Int16Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  }

  it.each(SIGNALS)('$name: bit-exact with ffmpeg adpcm_g722 in both directions, SNR ≥ 20 dB', ({ pcm }) => {
    const input = join(dir, 'in.s16');
    const ours = join(dir, 'ours.g722');
    const theirs = join(dir, 'ffmpeg.g722');
    const theirDecode = join(dir, 'ffmpeg-decoded.s16');
    writeFileSync(input, pcm);
    const { bits, out } = roundTrip(pcm);
    writeFileSync(ours, bits);

    // ffmpeg decodes OUR bitstream.
    ffmpeg(['-f', 'g722', '-i', ours, '-f', 's16le', '-ac', '1', '-ar', String(RATE), theirDecode]);
    const ffDecoded = readPcm(theirDecode);
    expect(snrDb(pcm, ffDecoded, EXPECTED_DELAY)).toBeGreaterThanOrEqual(20);
    // OUR decoder decodes ffmpeg's bitstream.
    ffmpeg(['-f', 's16le', '-ar', String(RATE), '-ac', '1', '-i', input, '-c:a', 'g722', '-f', 'g722', theirs]);
    const ffBits = new Uint8Array(readFileSync(theirs));
    const ourDecode = roundTripDecode(ffBits);
    expect(snrDb(pcm, ourDecode, EXPECTED_DELAY)).toBeGreaterThanOrEqual(20);

    // Stronger: the two implementations agree bit for bit.
    expect(ffBits).toEqual(bits);
    expect(ffDecoded).toEqual(out);
  });
});

function roundTripDecode(bits: Uint8Array): Int16Array {
  const dec = new G722Decoder();
  const out: Int16Array[] = [];
  for (let i = 0; i < bits.length; i += FRAME / 2) out.push(dec.decode(bits.subarray(i, i + FRAME / 2)));
  return concat(out);
}
