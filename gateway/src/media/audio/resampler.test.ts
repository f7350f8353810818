import { beforeAll, describe, expect, it, vi } from 'vitest';

import { chirp, concat, db, fitTone, lineAmplitude, maxJumpAt, peakPosition, rms, sine } from './dsp-measure.js';
import { FRAME_MS, FRAME_SAMPLES, SAMPLE_RATE } from './frame.js';
import {
  createResampler,
  DEFAULT_QUALITY,
  loadResampler,
  PASSBAND_EDGE_HZ,
  resamplerBuild,
  ResamplerError,
  ResamplerErrorCode,
  type ResamplerEngine,
  type SupportedRate,
} from './resampler.js';

beforeAll(async () => {
  await loadResampler();
});

const A = 16_000; // tone amplitude in LSB: −6 dBFS, headroom for ripple, 90 dB above the rounding noise
const UP: readonly [SupportedRate, SupportedRate][] = [
  [8000, 24000],
  [16000, 24000],
  [24000, 48000],
];
const DOWN: readonly [SupportedRate, SupportedRate][] = [
  [24000, 8000],
  [24000, 16000],
  [48000, 24000],
];
/** Every spec test runs on each engine for each pair it serves: speex for all, polyphase for 8k ↔ 24k. */
type Case = readonly [SupportedRate, SupportedRate, ResamplerEngine];
const POLYPHASE: readonly Case[] = [
  [8000, 24000, 'polyphase'],
  [24000, 8000, 'polyphase'],
];
const withEngines = (pairs: readonly (readonly [SupportedRate, SupportedRate])[]): Case[] => [
  ...pairs.map(([i, o]): Case => [i, o, 'speex']),
  ...POLYPHASE.filter(([i, o]) => pairs.some(([pi, po]) => pi === i && po === o)),
];
const UP_CASES = withEngines(UP);
const DOWN_CASES = withEngines(DOWN);
const CASES = [...UP_CASES, ...DOWN_CASES];
const frameOf = (rate: number): number => (rate * FRAME_MS) / 1000;
const edgeOf = (inRate: SupportedRate, outRate: SupportedRate): number => PASSBAND_EDGE_HZ[Math.min(inRate, outRate) as SupportedRate];

/** Converts a 250 ms tone with a fresh resampler and returns the output, past the filter's start-up. */
function convertTone(inRate: number, outRate: number, freqHz: number, engine: ResamplerEngine): { out: Int16Array; from: number } {
  const r = createResampler(inRate, outRate, { engine });
  const out = r.process(sine(inRate, freqHz, inRate / 4, A));
  r.close();
  return { out, from: Math.ceil(r.delaySamples * 2) };
}

/** Tones every `step` Hz from 100 Hz up to and including `top`. */
function tones(top: number, step: number): number[] {
  const list: number[] = [];
  for (let f = 100; f < top; f += step) list.push(f);
  list.push(top);
  return list;
}

describe('passband', () => {
  it.each(CASES)('%i → %i (%s): ripple ≤ 0.1 dB from 100 Hz to the passband edge, unity gain', (inRate, outRate, engine) => {
    const gains = tones(edgeOf(inRate, outRate), 50).map((f) => {
      const { out, from } = convertTone(inRate, outRate, f, engine);
      return db(fitTone(out, outRate, f, from).amplitude / A);
    });
    const ripple = Math.max(...gains) - Math.min(...gains);
    expect(ripple).toBeLessThanOrEqual(0.1);
    expect(Math.abs(gains[0] ?? Number.NaN)).toBeLessThan(0.05);
  });

  it('the edge is where the next lower quality fails: q3 ripples > 0.1 dB up to 3400 Hz at 24k → 8k', () => {
    // Shows the ripple measurement can fail, and that DEFAULT_QUALITY is not higher than it needs to be.
    const gains = tones(3400, 50).map((f) => {
      const r = createResampler(24000, 8000, { quality: (DEFAULT_QUALITY['24000>8000'] ?? 0) - 1 });
      const out = r.process(sine(24000, f, 6000, A));
      r.close();
      return db(fitTone(out, 8000, f, 200).amplitude / A);
    });
    expect(Math.max(...gains) - Math.min(...gains)).toBeGreaterThan(0.1);
  });
});

describe('image rejection (upsampling)', () => {
  it.each(UP_CASES)('%i → %i (%s): every passband tone leaves ≤ −60 dB of anything else', (inRate, outRate, engine) => {
    for (const f of tones(edgeOf(inRate, outRate), 100)) {
      const { out, from } = convertTone(inRate, outRate, f, engine);
      const residualDb = db(fitTone(out, outRate, f, from).residualRms / (A / Math.SQRT2));
      expect(residualDb, `${f} Hz`).toBeLessThanOrEqual(-60);
    }
  });

  it.each(UP_CASES)('%i → %i (%s): the first image of a tone at the passband edge is ≥ 60 dB down', (inRate, outRate, engine) => {
    const f = edgeOf(inRate, outRate);
    const image = inRate - f; // mirrored about the input Nyquist
    const { out, from } = convertTone(inRate, outRate, f, engine);
    expect(db(fitTone(out, outRate, f, from).amplitude / A)).toBeGreaterThan(-0.1);
    expect(db(lineAmplitude(out, outRate, image, from) / A)).toBeLessThanOrEqual(-60);
  });

  it.each(UP_CASES.filter(([i]) => i === 8000))('%i → %i (%s): images of tones above the passband, up to 3900 Hz, are ≥ 60 dB down', (inRate, outRate, engine) => {
    // The passband spec stops at 3400 Hz, but a G.711 stream carries up to 4 kHz (noise, fricatives): speex q4
    // rejects the image of every tone to 3900 Hz (−81 dB at 3900), and a filter that lets them through adds up
    // to −13 dB of aliased noise just above 4 kHz, which an Opus or G.722 far end would then carry.
    for (let f = 3500; f <= 3900; f += 100) {
      const { out, from } = convertTone(inRate, outRate, f, engine);
      expect(db(lineAmplitude(out, outRate, inRate - f, from) / A), `${f} Hz`).toBeLessThanOrEqual(-60);
    }
  });
});

describe('alias rejection (downsampling)', () => {
  it.each(DOWN_CASES)('%i → %i (%s): tones from 100 Hz above the output Nyquist up come out ≥ 60 dB down', (inRate, outRate, engine) => {
    for (let f = outRate / 2 + 100; f < inRate / 2; f += 100) {
      const { out, from } = convertTone(inRate, outRate, f, engine);
      expect(db(rms(out, from) / (A / Math.SQRT2)), `${f} Hz`).toBeLessThanOrEqual(-60);
    }
  });

  it.each(['speex', 'polyphase'] as const)('5 kHz into 8 kHz (%s): no 3 kHz alias', (engine) => {
    const { out, from } = convertTone(24000, 8000, 5000, engine);
    expect(db(lineAmplitude(out, 8000, 3000, from) / A)).toBeLessThanOrEqual(-60);
  });
});

describe('state across frames', () => {
  it.each(CASES)('%i → %i (%s): a sweep in 20 ms frames, in random chunks and whole give the same samples', (inRate, outRate, engine) => {
    const input = chirp(inRate, 50, inRate / 2 - 50, inRate, A); // 1 s, 50 Hz to near Nyquist
    const whole = createResampler(inRate, outRate, { engine }).process(input);

    const framed = createResampler(inRate, outRate, { engine });
    const frames: Int16Array[] = [];
    for (let at = 0; at < input.length; at += frameOf(inRate)) frames.push(framed.process(input.subarray(at, at + frameOf(inRate))));

    const chunked = createResampler(inRate, outRate, { engine });
    const chunks: Int16Array[] = [];
    let seed = 7;
    for (let at = 0; at < input.length; ) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      const n = 1 + (seed % 700);
      chunks.push(chunked.process(input.subarray(at, at + n)));
      at += n;
    }

    expect(whole.length).toBe((input.length * outRate) / inRate);
    expect(concat(frames)).toEqual(whole);
    expect(concat(chunks)).toEqual(whole);
  });

  it.each(CASES)('%i → %i (%s): no step at frame boundaries for a 200 Hz tone; a stateless (reset) control has them', (inRate, outRate, engine) => {
    const frameIn = frameOf(inRate);
    const frameOut = frameOf(outRate);
    const input = sine(inRate, 200, frameIn * 50, A);
    const run = (resetEachFrame: boolean): Int16Array => {
      const r = createResampler(inRate, outRate, { engine });
      const out: Int16Array[] = [];
      for (let at = 0; at < input.length; at += frameIn) {
        if (resetEachFrame) r.reset();
        out.push(r.process(input.subarray(at, at + frameIn)));
      }
      r.close();
      return concat(out);
    };
    const settle = Math.ceil(run(false).length / 50) * 5; // skip the first 5 frames (filter start-up)
    const boundaries = (out: Int16Array): number[] => {
      const at: number[] = [];
      for (let n = settle; n < out.length; n += frameOut) at.push(n);
      return at;
    };
    const within = (out: Int16Array): number[] => {
      const at: number[] = [];
      for (let n = settle + 1; n < out.length; n++) if (n % frameOut !== 0) at.push(n);
      return at;
    };
    const stateful = run(false);
    const stateless = run(true);
    expect(maxJumpAt(stateful, boundaries(stateful))).toBeLessThanOrEqual(maxJumpAt(stateful, within(stateful)));
    expect(maxJumpAt(stateless, boundaries(stateless))).toBeGreaterThan(2 * maxJumpAt(stateful, within(stateful)));
  });

  it.each(CASES)('%i → %i (%s): 1000 frames of 20 ms give exactly 1000 output frames of 20 ms, no drift', (inRate, outRate, engine) => {
    const r = createResampler(inRate, outRate, { engine });
    const frame = sine(inRate, 440, frameOf(inRate), A);
    let total = 0;
    for (let i = 0; i < 1000; i++) {
      const out = r.process(frame);
      expect(out.length).toBe(frameOf(outRate));
      total += out.length;
    }
    expect(total).toBe(1000 * frameOf(outRate));
  });

  it.each(CASES)('%i → %i (%s): in random chunks the output total tracks input × ratio within one sample', (inRate, outRate, engine) => {
    const r = createResampler(inRate, outRate, { engine });
    let seed = 3;
    let totalIn = 0;
    let totalOut = 0;
    for (let i = 0; i < 2000; i++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      const n = 1 + (seed % 500);
      totalOut += r.process(new Int16Array(n)).length;
      totalIn += n;
      expect(Math.abs(totalOut - (totalIn * outRate) / inRate)).toBeLessThan(1);
    }
  });
});

describe('delay', () => {
  it.each(CASES)('%i → %i (%s): an impulse comes out delaySamples later (±1)', (inRate, outRate, engine) => {
    const r = createResampler(inRate, outRate, { engine });
    const n0 = inRate / 20; // 50 ms in: a whole number of samples at both rates
    const impulse = new Int16Array(inRate / 10);
    impulse[n0] = A;
    const out = r.process(impulse);
    const measured = peakPosition(out) - (n0 * outRate) / inRate;
    expect(Math.abs(measured - r.delaySamples)).toBeLessThanOrEqual(1);
    expect(r.delaySamples).toBeGreaterThan(0);
  });

  it('speex delays 4 ms at 8 kHz in each direction; the polyphase engine 67 samples up and 22 down, whole samples', () => {
    expect(createResampler(8000, SAMPLE_RATE, { engine: 'speex' }).delaySamples).toBe(96);
    expect(createResampler(SAMPLE_RATE, 8000, { engine: 'speex' }).delaySamples).toBe(32);
    expect(createResampler(8000, SAMPLE_RATE, { engine: 'polyphase' }).delaySamples).toBe(67); // ≈ 2.79 ms
    expect(createResampler(SAMPLE_RATE, 8000, { engine: 'polyphase' }).delaySamples).toBe(22); // 2.75 ms
  });

  it('the default engine: polyphase for 8k → 24k, speex for 24k → 8k and whenever a quality is given', () => {
    expect(createResampler(8000, SAMPLE_RATE).delaySamples).toBe(67);
    expect(createResampler(SAMPLE_RATE, 8000).delaySamples).toBe(32);
    expect(createResampler(8000, SAMPLE_RATE, { quality: 4 }).delaySamples).toBe(96);
  });
});

describe('lifecycle and edges', () => {
  it('loads the SIMD build (the portable one is 3.5× slower)', () => {
    expect(resamplerBuild()).toBe('simd');
  });

  it('createResampler() before loadResampler() throws RESAMPLER_NOT_LOADED; same-rate and polyphase need no wasm', async () => {
    vi.resetModules();
    const fresh = await import('./resampler.js');
    expect(() => fresh.createResampler(16000, SAMPLE_RATE)).toThrow(expect.objectContaining({ code: ResamplerErrorCode.NotLoaded }));
    expect(() => fresh.createResampler(8000, SAMPLE_RATE, { engine: 'speex' })).toThrow(expect.objectContaining({ code: ResamplerErrorCode.NotLoaded }));
    expect(fresh.createResampler(8000, 8000).process(new Int16Array([1, 2])).length).toBe(2);
    expect(fresh.createResampler(8000, SAMPLE_RATE).process(new Int16Array(160)).length).toBe(480);
  });

  it('same rate in and out copies the input, with no delay', () => {
    const r = createResampler(SAMPLE_RATE, SAMPLE_RATE);
    const frame = sine(SAMPLE_RATE, 1000, FRAME_SAMPLES, A);
    const out = r.process(frame);
    expect(out).toEqual(frame);
    expect(out.buffer).not.toBe(frame.buffer);
    expect(r.delaySamples).toBe(0);
  });

  it('reset() makes the next output match a fresh resampler', () => {
    const input = chirp(SAMPLE_RATE, 100, 3000, FRAME_SAMPLES * 10, A);
    const used = createResampler(SAMPLE_RATE, 8000);
    used.process(sine(SAMPLE_RATE, 700, 5000, A));
    used.reset();
    expect(used.process(input)).toEqual(createResampler(SAMPLE_RATE, 8000).process(input));
  });

  it('close() is idempotent and process() afterwards throws RESAMPLER_CLOSED', () => {
    const r = createResampler(8000, SAMPLE_RATE);
    r.close();
    r.close();
    expect(() => r.process(new Int16Array(160))).toThrow(expect.objectContaining({ code: ResamplerErrorCode.Closed }));
  });

  it('rejects unsupported rates and qualities with RESAMPLER_BAD_OPTION', () => {
    expect(() => createResampler(44100, SAMPLE_RATE)).toThrow(ResamplerError);
    expect(() => createResampler(8000, SAMPLE_RATE, { quality: 11 })).toThrow(expect.objectContaining({ code: ResamplerErrorCode.BadOption }));
  });

  it('rejects the polyphase engine for a pair it does not serve, or with a speex quality, with RESAMPLER_BAD_OPTION', () => {
    expect(() => createResampler(16000, SAMPLE_RATE, { engine: 'polyphase' })).toThrow(expect.objectContaining({ code: ResamplerErrorCode.BadOption }));
    expect(() => createResampler(8000, SAMPLE_RATE, { engine: 'polyphase', quality: 4 })).toThrow(expect.objectContaining({ code: ResamplerErrorCode.BadOption }));
  });

  it('an empty input gives an empty output and keeps the state', () => {
    const r = createResampler(8000, SAMPLE_RATE);
    expect(r.process(new Int16Array(0)).length).toBe(0);
    expect(r.process(new Int16Array(160)).length).toBe(480);
  });
});
