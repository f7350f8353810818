/**
 * Where the speech detector's time goes, per 20 ms frame and per kind of input (vad-signals.ts): each stage of the
 * pre-issue-15 detector (`SpeechDetectorV1`) timed on its own, over the frames where that detector runs it, as CPU
 * time (process.cpuUsage), median of rounds. Run from the repo root: `npx tsx bench/src/micro/vad-stages.ts [rate] [rounds]`.
 */
import { loadVad, WebRtcVad } from '@patchbay/gateway';
import { ANALYSIS_FRAME_SAMPLES, Biquad, Decimator, energyDbfs, tonality, voicing } from '../../../gateway/src/media/vad/reference/features-v1.js';
import { SpeechDetectorV1, TONAL_SHARE } from '../../../gateway/src/media/vad/reference/speech-detector-v1.js';
import { cpuMedianUs } from './cpu-timing.js';
import { KINDS, signals, type Rate } from './vad-signals.js';

const rate = Number(process.argv[2] ?? 24000) as Rate;
const rounds = Number(process.argv[3] ?? 9);
await loadVad();
const byKind = await signals(rate);
const n = rate / 50;
const HISTORY = 100;

console.log(`speech detector stages at ${rate / 1000} kHz: CPU µs per frame of each kind (median of ${rounds} rounds); "share" = frames where V1 runs the stage`);
console.log(['kind', 'frames', 'level', 'decim+ring+HP', 'fvad', 'tonality (share)', 'voicing (share)', 'V1 push total'].join(' | '));
for (const kind of KINDS) {
  const signal = byKind.get(kind) ?? new Int16Array(0);
  const frames: Int16Array[] = [];
  for (let at = 0; at + n <= signal.length; at += n) frames.push(signal.subarray(at, at + n));
  // One pass of V1 records what each stage sees and which stages it runs.
  const v1 = new SpeechDetectorV1({ sampleRate: rate });
  const decimator = new Decimator(rate === 8000 ? 1 : rate === 16000 ? 2 : 3, n);
  const hp = Biquad.highPass(250, 8000);
  const plain = new Float32Array(HISTORY + ANALYSIS_FRAME_SAMPLES);
  const filtered = new Float32Array(HISTORY + ANALYSIS_FRAME_SAMPLES);
  const current = new Float32Array(ANALYSIS_FRAME_SAMPLES);
  const vadFrames: Int16Array[] = [];
  const tonalityIn: Float32Array[] = [];
  const voicingIn: Float32Array[] = [];
  frames.forEach((frame, i) => {
    decimator.process(frame, current);
    plain.copyWithin(0, ANALYSIS_FRAME_SAMPLES);
    filtered.copyWithin(0, ANALYSIS_FRAME_SAMPLES);
    plain.set(current, HISTORY);
    hp.process(current, filtered, HISTORY, ANALYSIS_FRAME_SAMPLES);
    vadFrames.push(Int16Array.from(current, (v) => Math.max(-32768, Math.min(32767, Math.round(v)))));
    const floor = v1.noiseFloorDbfs;
    v1.push(frame, i * 20);
    const f = v1.lastFeatures;
    const loud = f.levelDbfs >= -55 && f.levelDbfs >= floor + 9;
    if (loud) tonalityIn.push(plain.slice());
    if (loud && f.vad && f.tonality < TONAL_SHARE) voicingIn.push(filtered.slice());
  });
  v1.close();
  const total = frames.length;
  const at = <T>(list: readonly T[], i: number): T | undefined => list[i % list.length];
  const stageDecimator = new Decimator(rate === 8000 ? 1 : rate === 16000 ? 2 : 3, n);
  const stageHp = Biquad.highPass(250, 8000);
  const stageVad = new WebRtcVad(3, 8000, 20);
  const timed = new SpeechDetectorV1({ sampleRate: rate });
  let clock = 0;
  const [level, decim, vad, ton, voi, full] = cpuMedianUs(rounds, total, [
    (i) => energyDbfs(at(frames, i) ?? new Int16Array(n)),
    (i) => {
      stageDecimator.process(at(frames, i) ?? new Int16Array(n), current);
      plain.copyWithin(0, ANALYSIS_FRAME_SAMPLES);
      filtered.copyWithin(0, ANALYSIS_FRAME_SAMPLES);
      plain.set(current, HISTORY);
      stageHp.process(current, filtered, HISTORY, ANALYSIS_FRAME_SAMPLES);
      return filtered[200] ?? 0;
    },
    (i) => (stageVad.process(at(vadFrames, i) ?? new Int16Array(160)) ? 1 : 0),
    (i) => (tonalityIn.length === 0 ? 0 : tonality(at(tonalityIn, i) ?? plain, 260)),
    (i) => (voicingIn.length === 0 ? 0 : voicing(at(voicingIn, i) ?? filtered, HISTORY, 160).peak),
    (i) => {
      clock += 20;
      return timed.push(at(frames, i) ?? new Int16Array(n), clock).length;
    },
  ]);
  stageVad.close();
  timed.close();
  const share = (k: number): string => `${((k / total) * 100).toFixed(0)}%`;
  const fmt = (v: number | undefined): string => (v ?? Number.NaN).toFixed(2);
  console.log([kind, String(total), fmt(level), fmt(decim), fmt(vad), `${fmt(ton)} (${share(tonalityIn.length)})`, `${fmt(voi)} (${share(voicingIn.length)})`, fmt(full)].join(' | '));
}
