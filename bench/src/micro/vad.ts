/**
 * Micro-benchmark: µs per 20 ms frame of caller speech detection (`SpeechDetector.push`) at 8, 16 and 24 kHz, and
 * of its parts (libfvad alone, voicing, tonality). Run from the repo root: `npx tsx bench/src/micro/vad.ts [rounds]`
 * (default 15 rounds of 2,000 frames). The floor, measured in the same run, is copying one input frame
 * (`Int16Array.slice`). Input is a deterministic voiced signal (harmonics of a 110–140 Hz gliding pitch plus a
 * little noise) at about −25 dBFS, so every frame takes the full path (level gate, VAD, tonality, voicing); the
 * quiet path (a frame below the noise floor skips voicing and tonality) is measured too.
 */

import { loadVad, SpeechDetector, tonality, voicing, WebRtcVad } from '@patchbay/gateway';
import { voicedFrames } from './frames.js';
import { medianUsPerCall, timingSink } from './timing.js';

const rounds = Number(process.argv[2] ?? 15);
const FRAMES_PER_ROUND = 2_000;
const DISTINCT = 50;

await loadVad();


const frames = (rate: number, gain: number): Int16Array[] => voicedFrames(rate, gain, DISTINCT);

/** Median µs per call of `fn` (see timing.ts). */
function measure(fn: (i: number) => number): number {
  return medianUsPerCall({ rounds, callsPerRound: FRAMES_PER_ROUND }, fn);
}

const rows: string[][] = [];
for (const rate of [8000, 16000, 24000] as const) {
  const loud = frames(rate, 800);
  const quiet = frames(rate, 0.3);
  const floor = measure((i) => (loud[i % DISTINCT] ?? new Int16Array(0)).slice().length);
  const detector = new SpeechDetector({ sampleRate: rate, hangoverMs: 1e9 });
  let atMs = 0;
  const full = measure((i) => {
    atMs += 20;
    return detector.push(loud[i % DISTINCT] ?? new Int16Array(0), atMs).length + (detector.lastFeatures.evidence ? 1 : 0);
  });
  const evidenceShare = detector.lastFeatures.evidence;
  detector.close();
  const quietDetector = new SpeechDetector({ sampleRate: rate });
  const quietUs = measure((i) => {
    atMs += 20;
    return quietDetector.push(quiet[i % DISTINCT] ?? new Int16Array(0), atMs).length;
  });
  quietDetector.close();
  rows.push([`${rate / 1000}k`, full.toFixed(2), quietUs.toFixed(2), floor.toFixed(3), (full / floor).toFixed(0), String(evidenceShare)]);
}

// The parts, on 8 kHz analysis audio.
const analysis = frames(8000, 800);
const buffer = new Float32Array(260);
const vad = new WebRtcVad(3, 8000, 20);
const vadUs = measure((i) => (vad.process(analysis[i % DISTINCT] ?? new Int16Array(0)) ? 1 : 0));
vad.close();
const fill = (i: number): void => {
  buffer.set(analysis[i % DISTINCT] ?? new Int16Array(0), 100);
  buffer.set((analysis[(i + 1) % DISTINCT] ?? new Int16Array(0)).subarray(60), 0);
};
const voicingUs = measure((i) => {
  fill(i);
  return voicing(buffer, 100, 160).lag;
});
const tonalityUs = measure((i) => {
  fill(i);
  return tonality(buffer, 260);
});

const header = ['rate', 'µs/frame (speech)', 'µs/frame (quiet)', 'floor µs', '× floor', 'evidence'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
const line = (cells: readonly string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
console.log(`speech detector: 20 ms frames, median of ${rounds} rounds × ${FRAMES_PER_ROUND} frames; floor = copying one input frame`);
console.log(line(header));
for (const r of rows) console.log(line(r));
console.log(`parts at 8 kHz: libfvad ${vadUs.toFixed(2)} µs, voicing ${voicingUs.toFixed(2)} µs, tonality ${tonalityUs.toFixed(2)} µs per frame`);
if (timingSink() === 0) console.log('(no output)');
