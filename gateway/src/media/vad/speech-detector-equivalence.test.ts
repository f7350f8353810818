/**
 * The cheaper SpeechDetector (features only where they decide something) against the detector it replaced
 * (reference/speech-detector-v1.ts, which measured every feature on every loud frame), frame by frame: the same
 * events at the same frames, the same speaking state and noise floor after every frame, the same counters (the
 * rejection counters compared over the frames where they reject something: while not speaking), and the same
 * features wherever the new one measures them. Inputs: espeak-ng speech at every rate, clean, in noise and
 * DTMF-flagged, with a grace period; the negative signals of the detector tests; and long random mixes of speech,
 * noise, tones, DTMF, coughs and silence with random options, stream gaps and agent spurts.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { activeRange, speechWav } from '../../../test/helpers/audio.js';
import { prng } from '../../../test/helpers/prng.js';
import { Decimator, voicing } from './features.js';
import { Decimator as DecimatorV1, voicing as voicingV1 } from './reference/features-v1.js';
import { SpeechDetectorV1 } from './reference/speech-detector-v1.js';
import { loadVad, SpeechDetector, type SpeechDetectorOptions } from './index.js';
import { coughBurst, dtmfPair, mixAt, pinkNoise, scaleTo, tones, whiteNoise } from './test-signals.js';

type Rate = 8000 | 16000 | 24000;
const RATES: readonly Rate[] = [8000, 16000, 24000];
const SEEDS = 8;
const PHRASES = ['I need to change my booking', 'No thanks, that is all', 'Maybe later', 'Wait a moment please', 'Yes please', 'Operator', 'Hello, can you hear me?', 'Stop'];

/** One frame's input beyond its samples. */
interface FrameInput {
  readonly atMs: number;
  readonly dtmf: boolean;
  /** Tell both detectors the agent started a spurt at this atMs before the frame. */
  readonly spurtAtMs?: number;
}

/** Runs both detectors over `signal` in lockstep and checks them after every frame; returns the events seen. */
function compare(label: string, signal: Int16Array, options: SpeechDetectorOptions, inputs?: (i: number) => FrameInput): { events: number; speakingFrames: number } {
  const now = new SpeechDetector(options);
  const old = new SpeechDetectorV1(options);
  const n = options.sampleRate / 50;
  let rejectedTonal = 0;
  let rejectedUnvoiced = 0;
  let events = 0;
  let speakingFrames = 0;
  for (let i = 0; (i + 1) * n <= signal.length; i++) {
    const frame = signal.subarray(i * n, (i + 1) * n);
    const input = inputs?.(i) ?? { atMs: i * 20, dtmf: false };
    if (input.spurtAtMs !== undefined) {
      now.agentSpurtStarted(input.spurtAtMs);
      old.agentSpurtStarted(input.spurtAtMs);
    }
    const wasSpeaking = old.speaking;
    const before = old.stats;
    const expected = old.push(frame, input.atMs, { dtmf: input.dtmf });
    const got = now.push(frame, input.atMs, { dtmf: input.dtmf });
    if (!wasSpeaking) {
      rejectedTonal += old.stats.rejectedTonal - before.rejectedTonal;
      rejectedUnvoiced += old.stats.rejectedUnvoiced - before.rejectedUnvoiced;
    } else speakingFrames++;
    events += expected.length;
    // Compared without an expect per frame (a minute of audio is thousands of frames); details only on a failure.
    const a = now.lastFeatures;
    const b = old.lastFeatures;
    const same =
      JSON.stringify(got) === JSON.stringify(expected) &&
      now.speaking === old.speaking &&
      Object.is(now.noiseFloorDbfs, old.noiseFloorDbfs) &&
      Object.is(a.levelDbfs, b.levelDbfs) &&
      a.vad === b.vad &&
      // While speaking the new one measures neither feature (that is the saving), and calls nothing evidence.
      (wasSpeaking ? !a.evidence && Number.isNaN(a.tonality) && Number.isNaN(a.voicing) : a.evidence === b.evidence) &&
      (Number.isNaN(a.tonality) || Object.is(a.tonality, b.tonality)) &&
      (Number.isNaN(a.voicing) || Object.is(a.voicing, b.voicing));
    if (!same) {
      const at = `${label}: frame ${i} (atMs ${input.atMs})`;
      expect({ events: got, speaking: now.speaking, floor: now.noiseFloorDbfs, features: a }, at).toEqual({ events: expected, speaking: old.speaking, floor: old.noiseFloorDbfs, features: b });
      expect.unreachable(`${at}: a difference in the sign of zero or a NaN`);
    }
  }
  const { rejectedTonal: _t, rejectedUnvoiced: _u, ...rest } = old.stats;
  expect(now.stats, label).toEqual({ ...rest, rejectedTonal, rejectedUnvoiced });
  now.close();
  old.close();
  return { events, speakingFrames };
}

let dir = '';
const speech = new Map<string, Int16Array>();
const speechOf = (text: string, rate: Rate): Int16Array => speech.get(`${rate}:${text}`) ?? new Int16Array(0);

beforeAll(async () => {
  await loadVad();
  dir = await mkdtemp(join(tmpdir(), 'patchbay-vad-eq-'));
  for (const rate of RATES) {
    for (const text of PHRASES) {
      const wav = await speechWav(join(dir, `${rate}-${speech.size}.wav`), text, { sampleRate: rate, leadMs: 600, tailMs: 700 });
      const range = activeRange(wav.samples, rate);
      if (range === undefined) throw new Error(`espeak produced silence for ${text}`);
      speech.set(`${rate}:${text}`, scaleTo(wav.samples, -30, range.start, range.end));
    }
  }
}, 60_000);

afterAll(async () => {
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

describe('feature kernels: bit-identical to the lag-by-lag / tap-by-tap loops they replace', () => {
  it('voicing: the same peak and lag on noise, tones and voiced signals, with any lag range', () => {
    const random = prng(99);
    for (let trial = 0; trial < 300; trial++) {
      const x = new Float32Array(260);
      const kind = trial % 3;
      const hz = 80 + random() * 320;
      for (let i = 0; i < x.length; i++) {
        const noise = (random() * 2 - 1) * 10 ** (random() * 4);
        x[i] = kind === 0 ? noise : kind === 1 ? 8000 * Math.sin((2 * Math.PI * hz * i) / 8000) + noise * 0.01 : 3000 * Math.sign(Math.sin((2 * Math.PI * hz * i) / 8000)) + noise;
      }
      const minLag = trial < 200 ? 20 : 1 + Math.floor(random() * 40);
      const maxLag = trial < 200 ? 100 : minLag + Math.floor(random() * 60);
      expect(voicing(x, 100, 160, minLag, maxLag), `trial ${trial}`).toEqual(voicingV1(x, 100, 160, minLag, maxLag));
    }
  });

  it('Decimator: the same samples, frame after frame, for ×2 and ×3', () => {
    for (const [factor, frameSamples] of [[2, 320], [3, 480], [3, 30]] as const) {
      const random = prng(factor * 7 + frameSamples);
      const now = new Decimator(factor, frameSamples);
      const old = new DecimatorV1(factor, frameSamples);
      const a = new Float32Array(frameSamples / factor);
      const b = new Float32Array(frameSamples / factor);
      for (let f = 0; f < 200; f++) {
        const frame = Int16Array.from({ length: frameSamples }, () => Math.round((random() * 2 - 1) * 32767 * random()));
        now.process(frame, a);
        old.process(frame, b);
        expect(a, `×${factor} frame ${f}`).toEqual(b);
      }
    }
  });
});

describe('SpeechDetector == SpeechDetectorV1, frame by frame', () => {
  for (const rate of RATES) {
    it(`${rate} Hz: espeak-ng phrases clean, over −45 dBFS white noise, over −40 dBFS pink noise, DTMF-flagged, and inside a grace period`, () => {
      let events = 0;
      for (const [p, text] of PHRASES.entries()) {
        const clean = speechOf(text, rate);
        const ms = (clean.length / rate) * 1000;
        const noisy = mixAt(whiteNoise(rate, ms, -45, prng(7 + p)), clean, rate, 0);
        const pink = mixAt(pinkNoise(rate, ms, -40, prng(17 + p)), clean, rate, 0);
        events += compare(`${text} clean`, clean, { sampleRate: rate }).events;
        events += compare(`${text} white`, noisy, { sampleRate: rate, hangoverMs: 200 }).events;
        events += compare(`${text} pink`, pink, { sampleRate: rate, vadMode: (p % 4) as 0 | 1 | 2 | 3 }).events;
        compare(`${text} dtmf-flagged middle`, clean, { sampleRate: rate }, (i) => ({ atMs: i * 20, dtmf: i % 7 < 3 }));
        compare(`${text} grace`, noisy, { sampleRate: rate, graceMs: 400 }, (i) => ({ atMs: i * 20, dtmf: false, ...(i === 25 ? { spurtAtMs: 500 } : {}) }));
      }
      expect(events).toBeGreaterThan(PHRASES.length * 3); // the comparison saw starts and stops, not only silence
    });
  }

  it('the negative signals of the detector tests (noise, tones at −10…−40 dBFS, DTMF, coughs), at every rate and VAD mode', () => {
    for (const rate of RATES) {
      const random = prng(rate + 3);
      const signals: [string, Int16Array][] = [
        ['white', whiteNoise(rate, 3_000, -45, random)],
        ['pink', pinkNoise(rate, 3_000, -45, random)],
      ];
      for (const level of [-10, -20, -30, -40]) signals.push([`tone ${level}`, mixAt(new Int16Array(rate * 3), tones(rate, 2_500, [1_000], level), rate, 233)]);
      let dtmf: Int16Array = new Int16Array(rate * 4);
      let coughs: Int16Array = whiteNoise(rate, 3_000, -45, random);
      for (const [k, key] of [...'0123456789*#ABCD'].entries()) {
        dtmf = mixAt(dtmf, tones(rate, 40 + Math.round(random() * 260), dtmfPair(key), -10 - random() * 10), rate, 100 + k * 240);
        if (k < 8) coughs = mixAt(coughs, coughBurst(rate, -15, random, { lowPassHz: k % 2 === 0 ? undefined : 1_500 }), rate, 100 + k * 357);
      }
      signals.push(['dtmf', dtmf], ['coughs', coughs]);
      for (const [name, signal] of signals) {
        for (const vadMode of [0, 3] as const) compare(`${rate} ${name} mode ${vadMode}`, signal, { sampleRate: rate, vadMode });
      }
    }
  });

  it('random 40 s mixes (speech, noise, tones, DTMF, coughs, silence; random options, stream gaps, agent spurts), 8 seeds', () => {
    let speakingFrames = 0;
    let events = 0;
    for (let seed = 1; seed <= SEEDS; seed++) {
      const random = prng(seed * 1_000_003);
      const rate = RATES[seed % 3] ?? 8000;
      const parts: Int16Array[] = [];
      const dtmfSpans: Array<[number, number]> = [];
      let ms = 0;
      while (ms < 40_000) {
        const kind = Math.floor(random() * 7);
        const level = -50 + random() * 40;
        let part: Int16Array;
        if (kind <= 1) part = scaleTo(speechOf(PHRASES[Math.floor(random() * PHRASES.length)] ?? 'Stop', rate), level);
        else if (kind === 2) part = (random() < 0.5 ? whiteNoise : pinkNoise)(rate, 200 + random() * 1_500, level - 10, random);
        else if (kind === 3) part = tones(rate, 100 + random() * 1_500, random() < 0.5 ? [300 + random() * 3_000] : [400, 450 + random() * 100], level);
        else if (kind === 4) {
          part = tones(rate, 40 + random() * 260, dtmfPair('0123456789*#ABCD'[Math.floor(random() * 16)] ?? '5'), level);
          if (random() < 0.5) dtmfSpans.push([ms, ms + (part.length / rate) * 1000]);
        } else if (kind === 5) part = coughBurst(rate, level + 10, random, { ms: 80 + random() * 300, lowPassHz: random() < 0.5 ? undefined : 800 + random() * 2_000 });
        else part = new Int16Array(Math.round((rate * (50 + random() * 800)) / 1000));
        parts.push(part);
        ms += (part.length / rate) * 1000;
      }
      const total = parts.reduce((s, p) => s + p.length, 0);
      let signal: Int16Array = new Int16Array(total);
      let at = 0;
      for (const p of parts) {
        signal.set(p, at);
        at += p.length;
      }
      if (seed % 2 === 0) signal = mixAt(signal, whiteNoise(rate, (total / rate) * 1000, -55 + random() * 15, random), rate, 0);
      const options: SpeechDetectorOptions = {
        sampleRate: rate,
        vadMode: Math.floor(random() * 4) as 0 | 1 | 2 | 3,
        minSpeechMs: [20, 40, 60, 60, 100][Math.floor(random() * 5)] ?? 60,
        hangoverMs: 100 + Math.floor(random() * 400),
        graceMs: random() < 0.5 ? 0 : 300,
        marginDb: 6 + random() * 6,
        absoluteFloorDbfs: -65 + random() * 20,
        initialNoiseFloorDbfs: -70 + random() * 20,
      };
      // Stream positions: mostly 20 ms apart, now and then a gap (lost audio, hold) that resets the onset window.
      const atMs: number[] = [];
      let clock = 0;
      for (let i = 0; i * (rate / 50) < total; i++) {
        atMs.push(clock);
        clock += random() < 0.01 ? 20 + Math.floor(random() * 10) * 20 : 20;
      }
      const r = compare(`seed ${seed} @${rate}`, signal, options, (i) => {
        const t = atMs[i] ?? i * 20;
        const inDtmf = dtmfSpans.some(([from, to]) => i * 20 + 20 > from && i * 20 < to);
        return random() < 0.02 ? { atMs: t, dtmf: inDtmf, spurtAtMs: t + 20 } : { atMs: t, dtmf: inDtmf };
      });
      speakingFrames += r.speakingFrames;
      events += r.events;
    }
    expect(events).toBeGreaterThan(100);
    expect(speakingFrames).toBeGreaterThan(1_000);
  }, 180_000);
});
