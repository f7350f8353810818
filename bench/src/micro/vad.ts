/**
 * Micro-benchmark: CPU µs per 20 ms frame of caller speech detection (`SpeechDetector.push`) at 8, 16 and 24 kHz,
 * by kind of input (vad-signals.ts: espeak-ng speech, a −45 dBFS noise bed, digital silence, tones and DTMF, and a
 * caller speaking half the time), for the detector before issue 15 (`SpeechDetectorV1`, every feature on every loud
 * frame) and now (features only where they decide something), timed in the same rounds, interleaved; then the
 * feature kernels old and new. Run from the repo root: `npx tsx bench/src/micro/vad.ts [rounds]` (default 15).
 * The floor, measured in the same run, is copying one input frame (`Int16Array.slice`). CPU time is
 * process.cpuUsage (user + system), median of rounds: robust to other processes on a shared machine, not to
 * frequency scaling or cache contention.
 */
import { loadVad, SpeechDetector } from '@patchbay/gateway';
import { Decimator, voicingPeak } from '../../../gateway/src/media/vad/features.js';
import { Decimator as DecimatorV1, voicing as voicingV1 } from '../../../gateway/src/media/vad/reference/features-v1.js';
import { SpeechDetectorV1 } from '../../../gateway/src/media/vad/reference/speech-detector-v1.js';
import { cpuMedianUs, cpuTimingSink } from './cpu-timing.js';
import { KINDS, signals, type Rate } from './vad-signals.js';

const rounds = Number(process.argv[2] ?? 15);
await loadVad();

const rows: string[][] = [];
const halfSpeech = new Map<Rate, { old: number; now: number }>();
for (const rate of [8000, 16000, 24000] as const) {
  const n = rate / 50;
  for (const [kind, signal] of await signals(rate)) {
    const frames: Int16Array[] = [];
    for (let at = 0; at + n <= signal.length; at += n) frames.push(signal.subarray(at, at + n));
    const frameAt = (i: number): Int16Array => frames[i % frames.length] ?? new Int16Array(n);
    // One pass first: the share of frames the detector spends speaking (where the new one skips the features).
    const probe = new SpeechDetector({ sampleRate: rate });
    let speakingFrames = 0;
    frames.forEach((frame, i) => {
      if (probe.speaking) speakingFrames++;
      probe.push(frame, i * 20);
    });
    probe.close();
    const old = new SpeechDetectorV1({ sampleRate: rate });
    const now = new SpeechDetector({ sampleRate: rate });
    let oldMs = 0;
    let nowMs = 0;
    const [floor] = cpuMedianUs(rounds, 50_000, [(i) => frameAt(i).slice().length]);
    const [oldUs, nowUs] = cpuMedianUs(rounds, frames.length * Math.max(1, Math.ceil(2_000 / frames.length)), [
      (i) => old.push(frameAt(i), (oldMs += 20)).length,
      (i) => now.push(frameAt(i), (nowMs += 20)).length,
    ]);
    old.close();
    now.close();
    const o = oldUs ?? Number.NaN;
    const w = nowUs ?? Number.NaN;
    if (kind === 'half speech') halfSpeech.set(rate, { old: o, now: w });
    rows.push([`${rate / 1000}k`, kind, String(frames.length), `${Math.round((speakingFrames / frames.length) * 100)}%`, o.toFixed(2), w.toFixed(2), `${(o / w).toFixed(1)}×`, (floor ?? 0).toFixed(3)]);
  }
}

const header = ['rate', 'input', 'frames', 'speaking', 'before µs/frame', 'after µs/frame', 'speed-up', 'floor µs'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
const line = (cells: readonly string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
console.log(`speech detector: CPU µs per 20 ms frame, median of ${rounds} rounds, before (V1) and after interleaved; floor = copying one input frame`);
console.log(line(header));
for (const r of rows) console.log(line(r));
console.log('\nper call-second for a caller speaking half the time (50 frames/s of "half speech"):');
for (const [rate, { old, now }] of halfSpeech) console.log(`  ${rate / 1000} kHz: before ${((old * 50) / 1000).toFixed(3)} ms, after ${((now * 50) / 1000).toFixed(3)} ms of CPU per call-second`);

// The kernels, old and new, on the same input.
const x = new Float32Array(260);
for (let i = 0; i < x.length; i++) x[i] = 3000 * Math.sin((2 * Math.PI * 130 * i) / 8000) + 1000 * Math.sin((2 * Math.PI * 650 * i) / 8000) + ((i * 7919) % 200) - 100;
const input24 = Int16Array.from({ length: 480 }, (_, i) => Math.round(3000 * Math.sin((2 * Math.PI * 130 * i) / 24000)));
const out = new Float32Array(160);
const decOld = new DecimatorV1(3, 480);
const decNow = new Decimator(3, 480);
const [vOld, vNow, dOld, dNow] = cpuMedianUs(rounds, 2_000, [
  () => voicingV1(x, 100, 160).peak,
  () => voicingPeak(x, 100, 160),
  () => {
    decOld.process(input24, out);
    return out[5] ?? 0;
  },
  () => {
    decNow.process(input24, out);
    return out[5] ?? 0;
  },
]);
const f = (v: number | undefined): string => (v ?? Number.NaN).toFixed(2);
console.log(`\nkernels (CPU µs per call): voicing over 81 lags ${f(vOld)} → ${f(vNow)}; decimate 480 → 160 samples (×3, 43 taps) ${f(dOld)} → ${f(dNow)}`);
if (cpuTimingSink() === 0) console.log('(no output)');
