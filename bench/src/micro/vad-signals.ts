/**
 * Input for the speech-detector micro-benchmark, by kind of frame: espeak-ng speech (its active parts back to back,
 * −30 dBFS), a −45 dBFS white-noise bed, digital silence, tones (1 kHz at −20 dBFS and DTMF pairs), and a caller
 * speaking half the time (a −50 dBFS noise bed, with 1 s of the speech over it every other second). Built once, deterministically.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { activeRange, speechWav } from '../../../gateway/test/helpers/audio.js';
import { dtmfPair, mixAt, scaleTo, tones, whiteNoise } from '../../../gateway/src/media/vad/test-signals.js';
import { prng } from '../prng.js';

export type Rate = 8000 | 16000 | 24000;
export const KINDS = ['speech', 'noise', 'silence', 'tones', 'half speech'] as const;
export type Kind = (typeof KINDS)[number];

const PHRASES = ['I need to change my booking', 'No thanks, that is all', 'Hello, can you hear me?', 'Maybe later', 'Stop', 'Wait a moment please'];

function concat(parts: readonly Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Each kind's signal at `rate`, a whole number of 20 ms frames. */
export async function signals(rate: Rate): Promise<Map<Kind, Int16Array>> {
  const dir = await mkdtemp(join(tmpdir(), 'patchbay-vad-bench-'));
  const spoken: Int16Array[] = [];
  try {
    for (const [i, text] of PHRASES.entries()) {
      const wav = await speechWav(join(dir, `${i}.wav`), text, { sampleRate: rate, leadMs: 0, tailMs: 0 });
      const range = activeRange(wav.samples, rate);
      if (range === undefined) throw new Error(`espeak-ng produced silence for ${text}`);
      spoken.push(scaleTo(wav.samples.slice(range.start, range.end), -30));
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const frame = rate / 50;
  const whole = (s: Int16Array): Int16Array => s.subarray(0, s.length - (s.length % frame));
  const speech = whole(concat(spoken));
  const noise = whiteNoise(rate, 4_000, -45, prng(11));
  let toneSignal = tones(rate, 2_000, [1_000], -20);
  let dtmf: Int16Array = new Int16Array(rate * 2);
  let atMs = 0;
  for (const key of '0123456789*#') {
    dtmf = mixAt(dtmf, tones(rate, 120, dtmfPair(key), -15), rate, atMs);
    atMs += 160;
  }
  toneSignal = concat([toneSignal, dtmf]);
  // Half speech: a −50 dBFS noise bed throughout (the caller's room), the phrases over it every other second.
  const seconds = Math.floor(speech.length / rate);
  let half: Int16Array = whiteNoise(rate, seconds * 2_000, -50, prng(13));
  for (let s = 0; s < seconds; s++) half = mixAt(half, speech.subarray(s * rate, (s + 1) * rate), rate, s * 2_000);
  return new Map<Kind, Int16Array>([
    ['speech', speech],
    ['noise', noise],
    ['silence', new Int16Array(rate * 2)],
    ['tones', whole(toneSignal)],
    ['half speech', whole(half)],
  ]);
}
