/**
 * Opus settings sweep: CPU per 20 ms frame (encode, decode) and objective quality for each libopus application,
 * complexity 0–10 and FEC on/off, on the demo's recorded speech prompts (24 kHz, ~17 s with short pauses).
 * Run from the repo root: `npx tsx bench/src/micro/opus-settings.ts [rounds] [--bitrate 32000] [--quick]`.
 *
 * CPU is process CPU time (user + system, `process.cpuUsage`) over a pass through every frame, median of `rounds`
 * passes after one warm-up pass; the floor is a `slice()` of each frame in the same run. Quality (speech-quality.ts):
 * band log-spectral distance (dB, lower is better) and NCC at the best lag, of encode → decode against the original.
 */

import { createRequire } from 'node:module';

import { loadDemoPrompts, type PromptName } from '@patchbay/agents';
import { OpusDecoder, OpusEncoder, type OpusApplication } from '@patchbay/gateway';
import { bestLag, spectralDistance } from './speech-quality.js';

const RATE = 24_000;
const FRAME = 480;

/** Which @evan/opus backend loads here: it ships a native binary for some platforms and falls back to wasm. */
export function opusBackend(): string {
  if (process.env.OPUS_FORCE_WASM) return 'wasm (OPUS_FORCE_WASM)';
  try {
    createRequire(import.meta.url)('@evan/opus/node/index.js');
    return 'native';
  } catch (error) {
    return `wasm (no native binary for ${process.arch}-${process.platform}: ${(error as Error).message.split('\n')[0] ?? ''})`;
  }
}

export function speechCorpus(): Int16Array {
  const prompts = loadDemoPrompts();
  const names: PromptName[] = ['welcome', 'menu', 'echo-intro', 'sorry', 'apology'];
  const pause = new Int16Array(RATE / 5); // 200 ms
  const parts = names.flatMap((n) => [prompts[n], pause]);
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Int16Array(Math.floor(total / FRAME) * FRAME);
  let o = 0;
  for (const p of parts) {
    out.set(p.subarray(0, Math.max(0, Math.min(p.length, out.length - o))), o);
    o += p.length;
  }
  return out;
}

/** Median CPU µs per call of `pass()` (which makes `calls` calls) over `rounds` passes after one warm-up. */
export function cpuUsPerCall(rounds: number, calls: number, pass: () => void): number {
  const per: number[] = [];
  for (let r = 0; r <= rounds; r++) {
    const t0 = process.cpuUsage();
    pass();
    const d = process.cpuUsage(t0);
    if (r > 0) per.push((d.user + d.system) / calls);
  }
  per.sort((a, b) => a - b);
  return per[Math.floor(per.length / 2)] ?? Number.NaN;
}

export interface Setting {
  readonly application: OpusApplication;
  readonly complexity: number;
  readonly inbandFec: boolean;
  readonly bitrate: number;
}

export interface SettingResult extends Setting {
  readonly encodeUs: number;
  readonly decodeUs: number;
  readonly kbps: number;
  readonly bandLsdDb: number;
  readonly binLsdDb: number;
  readonly shortLsdDb: number;
  readonly ncc: number;
  readonly lag: number;
}

type Complexity = NonNullable<ConstructorParameters<typeof OpusEncoder>[0]>['complexity'];

function encoderFor(s: Setting): OpusEncoder {
  return new OpusEncoder({
    application: s.application,
    complexity: s.complexity as Complexity,
    inbandFec: s.inbandFec,
    bitrate: s.bitrate,
  });
}

export function measureSetting(s: Setting, speech: Int16Array, frames: Int16Array[], rounds: number): SettingResult {
  const enc = encoderFor(s);
  const packets = frames.map((f) => enc.encode(f));
  const dec = new OpusDecoder();
  const out = new Int16Array(speech.length);
  packets.forEach((p, i) => out.set(dec.decode(p), i * FRAME));
  const lookahead = enc.lookaheadSamples;
  const { lag, ncc } = bestLag(speech, out, Math.max(0, lookahead - 48), lookahead + 48);
  const { bandDb: bandLsdDb, binDb: binLsdDb, shortDb: shortLsdDb } = spectralDistance(speech, out, lag, RATE);
  const bytes = packets.reduce((n, p) => n + p.length, 0);
  const kbps = (bytes * 8) / (frames.length * 20);

  let sink = 0;
  const timedEnc = encoderFor(s);
  const encodeUs = cpuUsPerCall(rounds, frames.length, () => {
    for (const f of frames) sink += timedEnc.encode(f).length;
  });
  const timedDec = new OpusDecoder();
  const decodeUs = cpuUsPerCall(rounds, packets.length, () => {
    for (const p of packets) sink += timedDec.decode(p).length;
  });
  if (sink === 0) throw new Error('nothing ran');
  return { ...s, encodeUs, decodeUs, kbps, bandLsdDb, binLsdDb, shortLsdDb, ncc, lag };
}

function main(): void {
  const args = process.argv.slice(2);
  const rounds = Number(args.find((a) => /^\d+$/.test(a)) ?? 3);
  const bi = args.indexOf('--bitrate');
  const bitrate = bi >= 0 ? Number(args[bi + 1]) : 32_000;
  const quick = args.includes('--quick');
  const speech = speechCorpus();
  const frames: Int16Array[] = [];
  for (let i = 0; i + FRAME <= speech.length; i += FRAME) frames.push(speech.subarray(i, i + FRAME));
  console.log(`Opus settings sweep: @evan/opus backend ${opusBackend()}, node ${process.version}`);
  console.log(`speech: demo prompts, ${(speech.length / RATE).toFixed(1)} s, ${frames.length} frames of 20 ms; ${rounds} rounds; bitrate ${bitrate}`);
  let sink = 0;
  const floorUs = cpuUsPerCall(rounds, frames.length * 10, () => {
    for (let k = 0; k < 10; k++) for (const f of frames) sink += f.slice().length;
  });
  if (sink === 0) throw new Error('nothing ran');
  console.log(`floor: Int16Array.slice() of a frame ${floorUs.toFixed(3)} µs`);
  console.log('| application | FEC | complexity | encode µs | decode µs | enc+dec µs | kbit/s | band LSD dB | bin LSD dB | 4 ms LSD dB | NCC | lag |');
  console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  const apps: OpusApplication[] = ['voip', 'audio', 'restricted_lowdelay'];
  const complexities = quick ? [0, 1, 3, 5, 10] : [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  for (const application of apps) {
    for (const inbandFec of application === 'restricted_lowdelay' ? [false] : [true, false]) {
      for (const complexity of complexities) {
        const r = measureSetting({ application, complexity, inbandFec, bitrate }, speech, frames, rounds);
        console.log(
          `| ${application} | ${inbandFec ? 'on' : 'off'} | ${complexity} | ${r.encodeUs.toFixed(1)} | ${r.decodeUs.toFixed(1)} | ` +
            `${(r.encodeUs + r.decodeUs).toFixed(1)} | ${r.kbps.toFixed(1)} | ${r.bandLsdDb.toFixed(2)} | ${r.binLsdDb.toFixed(2)} | ${r.shortLsdDb.toFixed(2)} | ${r.ncc.toFixed(3)} | ${r.lag} |`,
        );
      }
    }
  }
}

if (import.meta.url === `file://${process.argv[1] ?? ''}`) main();
