import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { activeRange, rmsDbfs, speechWav } from '../../../test/helpers/audio.js';
import { prng } from '../../../test/helpers/prng.js';
import { loadVad, SpeechDetector, VadError, type SpeechDetectorOptions, type SpeechEvent } from './index.js';
import { coughBurst, dtmfPair, mixAt, pinkNoise, scaleTo, tones, whiteNoise } from './test-signals.js';

type Rate = 8000 | 16000 | 24000;
const RATES: readonly Rate[] = [8000, 16000, 24000];
const HANGOVER_MS = 300;

interface Decided {
  readonly event: SpeechEvent;
  /** End of the frame whose push returned the event: when the gateway could act on it. */
  readonly decidedMs: number;
}

/** Feeds `signal` frame by frame (frame i at atMs = 20·i) and returns every event with its decision time. */
function detect(signal: Int16Array, rate: Rate, options: Partial<SpeechDetectorOptions> = {}, setup?: (d: SpeechDetector) => void): { events: Decided[]; detector: SpeechDetector } {
  const detector = new SpeechDetector({ sampleRate: rate, ...options });
  setup?.(detector);
  const n = rate / 50;
  const events: Decided[] = [];
  for (let i = 0; (i + 1) * n <= signal.length; i++) {
    for (const event of detector.push(signal.subarray(i * n, (i + 1) * n), i * 20)) events.push({ event, decidedMs: i * 20 + 20 });
  }
  detector.close();
  return { events, detector };
}

interface Speech {
  readonly text: string;
  readonly rate: Rate;
  /** Scaled to −30 dBFS RMS over its active span. */
  readonly clean: Int16Array;
  /** First and last 10 ms block within 40 dB of the loudest (from the clean speech). */
  readonly startMs: number;
  readonly endMs: number;
}

/** Phrases that open with a voiced sound; see the "unvoiced opening" test for the others. */
const VOICED_OPENINGS = ['I need to change my booking', 'No thanks, that is all', 'Maybe later', 'Wait a moment please', 'Yes please', 'Operator'];
const UNVOICED_OPENINGS = ['Hello, can you hear me?', 'Stop'];

let dir = '';
const speech = new Map<string, Speech>();
const speechOf = (text: string, rate: Rate): Speech => {
  const found = speech.get(`${rate}:${text}`);
  if (found === undefined) throw new Error(`no speech for ${text} at ${rate}`);
  return found;
};

beforeAll(async () => {
  await loadVad();
  dir = await mkdtemp(join(tmpdir(), 'patchbay-vad-'));
  for (const rate of RATES) {
    for (const text of [...VOICED_OPENINGS, ...UNVOICED_OPENINGS]) {
      const wav = await speechWav(join(dir, `${rate}-${speech.size}.wav`), text, { sampleRate: rate, leadMs: 600, tailMs: 700 });
      const range = activeRange(wav.samples, rate);
      if (range === undefined) throw new Error(`espeak produced silence for ${text}`);
      speech.set(`${rate}:${text}`, {
        text,
        rate,
        clean: scaleTo(wav.samples, -30, range.start, range.end),
        startMs: (range.start / rate) * 1000,
        endMs: (range.end / rate) * 1000,
      });
    }
  }
}, 60_000);

afterAll(async () => {
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

describe('SpeechDetector: fires on speech', () => {
  for (const rate of RATES) {
    for (const noisy of [false, true]) {
      it(`${rate} Hz, ${noisy ? 'over −45 dBFS white noise' : 'clean'}: onset within 60 ms of the speech, decided ≤ 80 ms after it; stop after hangover`, () => {
        for (const text of VOICED_OPENINGS) {
          const s = speechOf(text, rate);
          const signal = noisy ? mixAt(whiteNoise(rate, (s.clean.length / rate) * 1000, -45, prng(7)), s.clean, rate, 0) : s.clean;
          const { events } = detect(signal, rate, { hangoverMs: HANGOVER_MS });
          const label = `${text} @${rate} ${noisy ? 'noisy' : 'clean'}: ${JSON.stringify(events)} start ${s.startMs} end ${s.endMs}`;
          const first = events[0];
          expect(first?.event.type, label).toBe('speech_started');
          expect(Math.abs((first?.event.atMs ?? Number.NaN) - s.startMs), label).toBeLessThanOrEqual(60);
          expect(first?.decidedMs, label).toBeLessThanOrEqual(s.startMs + 80);
          expect(first?.decidedMs, label).toBeGreaterThan(s.startMs);
          // Events alternate start/stop and end stopped (a comma pause may split a phrase in two).
          events.forEach((e, i) => expect(e.event.type, label).toBe(i % 2 === 0 ? 'speech_started' : 'speech_stopped'));
          const last = events[events.length - 1];
          expect(last?.event.type, label).toBe('speech_stopped');
          expect(last?.decidedMs, label).toBeLessThanOrEqual(s.endMs + HANGOVER_MS + 40);
          // Not cut short by more than a trailing unvoiced consonant lost in the noise.
          expect(last?.decidedMs, label).toBeGreaterThanOrEqual(s.endMs + HANGOVER_MS - 200);
        }
      });
    }
  }

  it('a phrase opening with an unvoiced sound (/h/, /s/) is decided at its first vowel, within 250 ms (known limit)', () => {
    for (const rate of RATES) {
      for (const text of UNVOICED_OPENINGS) {
        const s = speechOf(text, rate);
        for (const signal of [s.clean, mixAt(whiteNoise(rate, (s.clean.length / rate) * 1000, -45, prng(7)), s.clean, rate, 0)]) {
          const first = detect(signal, rate).events[0];
          expect(first?.event.type, text).toBe('speech_started');
          expect(first?.decidedMs, text).toBeLessThanOrEqual(s.startMs + 250);
          expect(first?.decidedMs, text).toBeGreaterThan(s.startMs);
        }
      }
    }
  });
});

/** ≥ 3 s of each negative signal at `rate`, built from fixed seeds. */
function negatives(rate: Rate): [string, Int16Array][] {
  const random = prng(rate + 3);
  const out: [string, Int16Array][] = [
    ['white noise −45 dBFS', whiteNoise(rate, 3_000, -45, random)],
    ['pink noise −45 dBFS', pinkNoise(rate, 3_000, -45, random)],
  ];
  for (const level of [-10, -20, -30, -40]) {
    // Starts and stops mid-frame so the edges are tested too.
    out.push([`1 kHz tone ${level} dBFS`, mixAt(new Int16Array(rate * 3), tones(rate, 2_500, [1_000], level), rate, 233)]);
  }
  let dtmf: Int16Array = new Int16Array(rate * 4);
  let atMs = 100;
  for (const key of '0123456789*#ABCD') {
    const ms = 40 + Math.round(random() * 260);
    dtmf = mixAt(dtmf, tones(rate, ms, dtmfPair(key), -10 - random() * 10), rate, atMs);
    atMs += ms + 50 + Math.round(random() * 50);
  }
  out.push(['16 DTMF digits, 40–300 ms, −10 to −20 dBFS', dtmf]);
  let coughs: Int16Array = new Int16Array(rate * 3);
  let coughsInNoise = whiteNoise(rate, 3_000, -45, random);
  for (let i = 0; i < 8; i++) {
    const lowPassHz = i % 2 === 0 ? undefined : 1_500;
    coughs = mixAt(coughs, coughBurst(rate, -15, random, { lowPassHz }), rate, 100 + i * 353);
    coughsInNoise = mixAt(coughsInNoise, coughBurst(rate, -15, random, { lowPassHz }), rate, 100 + i * 357);
  }
  out.push(['8 coughs, 150 ms, −15 dBFS peak', coughs], ['8 coughs over −45 dBFS white noise', coughsInNoise]);
  return out;
}

describe('SpeechDetector: ignores non-speech', () => {
  for (const rate of RATES) {
    it(`${rate} Hz: zero onsets on noise, tones, DTMF and coughs`, () => {
      for (const [name, signal] of negatives(rate)) {
        expect(signal.length, name).toBeGreaterThanOrEqual(rate * 3);
        const { events, detector } = detect(signal, rate);
        expect(events, name).toEqual([]);
        expect(detector.stats.onsets, name).toBe(0);
      }
    });
  }

  it('rejects tones and DTMF as tonal and coughs as unvoiced (the features, not luck, do the work)', () => {
    const byName = new Map(negatives(8000));
    const statsOf = (name: string) => detect(byName.get(name) ?? new Int16Array(0), 8000, { vadMode: 0 }).detector.stats;
    expect(statsOf('16 DTMF digits, 40–300 ms, −10 to −20 dBFS').rejectedTonal).toBeGreaterThan(50);
    expect(statsOf('1 kHz tone -20 dBFS').rejectedTonal).toBeGreaterThan(30);
    expect(statsOf('8 coughs, 150 ms, −15 dBFS peak').rejectedUnvoiced).toBeGreaterThan(20);
  });
});

describe('SpeechDetector: inputs and state', () => {
  it('frames flagged as DTMF never count and never move the noise floor', () => {
    const s = speechOf('I need to change my booking', 8000);
    const detector = new SpeechDetector({ sampleRate: 8000 });
    let events = 0;
    for (let i = 0; (i + 1) * 160 <= s.clean.length; i++) events += detector.push(s.clean.subarray(i * 160, (i + 1) * 160), i * 20, { dtmf: true }).length;
    expect(events).toBe(0);
    expect(detector.stats.rejectedDtmf).toBe(Math.floor(s.clean.length / 160));
    expect(detector.noiseFloorDbfs).toBe(-60);
    detector.close();
    // The same audio unflagged does fire.
    expect(detect(s.clean, 8000).detector.stats.onsets).toBe(1);
  });

  it('graceMs suppresses an onset inside the grace period, and speech that outlasts it still fires', () => {
    const short = speechOf('Yes please', 8000);
    const inside = detect(short.clean, 8000, { graceMs: 2_000 }, (d) => d.agentSpurtStarted(short.startMs - 100));
    expect(inside.events).toEqual([]);
    expect(inside.detector.stats.suppressedGrace).toBeGreaterThan(0);
    // Before the spurt started (or with no spurt), the same speech fires.
    expect(detect(short.clean, 8000, { graceMs: 2_000 }, (d) => d.agentSpurtStarted(short.startMs + 500)).events.length).toBeGreaterThan(0);

    const long = speechOf('I need to change my booking', 8000);
    const spurtMs = long.startMs - 50;
    const { events } = detect(long.clean, 8000, { graceMs: 400 }, (d) => d.agentSpurtStarted(spurtMs));
    expect(events[0]?.event.type).toBe('speech_started');
    expect(events[0]?.event.atMs).toBeGreaterThanOrEqual(spurtMs + 400);
    expect(events[0]?.event.atMs).toBeLessThan(long.endMs);
  });

  for (const [name, make] of [
    ['white', whiteNoise],
    ['pink', pinkNoise],
  ] as const) {
    it(`the noise floor adapts to a −45 dBFS ${name} noise bed within 400 ms and holds it (±4 dB: it tracks frame levels in dB, which sit below the RMS of a fluctuating bed)`, () => {
      for (const rate of RATES) {
        const noise = make(rate, 2_000, -45, prng(21));
        const level = rmsDbfs(noise);
        const detector = new SpeechDetector({ sampleRate: rate });
        const n = rate / 50;
        const floorAt: number[] = [];
        for (let i = 0; i < 100; i++) {
          detector.push(noise.subarray(i * n, (i + 1) * n), i * 20);
          floorAt.push(detector.noiseFloorDbfs);
        }
        detector.close();
        expect(floorAt[0], `${rate}`).toBeLessThan(-57); // it did start from −60 …
        expect(Math.abs((floorAt[19] ?? 0) - level), `${rate}: ${floorAt.join(' ')}`).toBeLessThan(4); // … and adapted by 400 ms
        for (const f of floorAt.slice(20)) expect(Math.abs(f - level), `${rate}`).toBeLessThan(4);
      }
    });
  }

  it('the floor falls fast when the noise stops, and speech does not lift it', () => {
    const s = speechOf('I need to change my booking', 16000);
    const signal = whiteNoise(16000, 600, -40, prng(5));
    const detector = new SpeechDetector({ sampleRate: 16000 });
    const push = (samples: Int16Array, fromMs: number): void => {
      for (let i = 0; (i + 1) * 320 <= samples.length; i++) detector.push(samples.subarray(i * 320, (i + 1) * 320), fromMs + i * 20);
    };
    push(signal, 0);
    const afterNoise = detector.noiseFloorDbfs;
    expect(afterNoise).toBeGreaterThan(-43);
    push(s.clean.subarray(0, Math.round((s.startMs - 200) * 16)), 600); // 400 ms of digital silence
    expect(detector.noiseFloorDbfs).toBeLessThan(-90);
    push(s.clean.subarray(Math.round((s.startMs - 200) * 16)), 600 + s.startMs - 200);
    expect(detector.stats.onsets).toBe(1);
    expect(detector.noiseFloorDbfs).toBeLessThan(-80);
    detector.close();
  });

  it('rejects a frame of the wrong length and use after close, with a VadError code', () => {
    const detector = new SpeechDetector({ sampleRate: 24000 });
    expect(() => detector.push(new Int16Array(160), 0)).toThrowError(expect.objectContaining({ code: 'VAD_BAD_FRAME' }));
    detector.close();
    detector.close();
    expect(() => detector.push(new Int16Array(480), 0)).toThrowError(VadError);
    expect(() => new SpeechDetector({ sampleRate: 44100 as Rate })).toThrowError(expect.objectContaining({ code: 'VAD_BAD_OPTION' }));
  });
});
