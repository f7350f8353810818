/**
 * The micro-benchmarks the load bench runs in its own process before the load phase (`result.micro`): rate
 * conversion at the PCMU edge (8k → 24k, 24k → 8k, default quality), encode and decode for PCMU, G.722 and Opus, and
 * caller speech detection at 8 kHz (the PCMU detector rate), each in µs per 20 ms frame, next to the floor: copying
 * one 20 ms frame at the same rate (`Int16Array.slice`), measured in the same run. Medians over a few short rounds:
 * about two seconds in all. The standalone scripts beside this file measure more pairs, qualities and parts.
 */
import { codecDescriptor, createDecoder, createEncoder, createResampler, loadResampler, loadVad, SpeechDetector } from '@patchbay/gateway';
import { noiseFrames, speechLike, voicedFrames } from './frames.js';
import { cycle, medianUsPerCall, type TimingOptions } from './timing.js';

export interface MicroResult {
  /** Name → µs per 20 ms frame (what `BenchResult.micro` holds). */
  readonly usPerFrame: Record<string, number>;
  /** Name → its figure ÷ the copy floor at the same rate. */
  readonly timesFloor: Record<string, number>;
}

const DISTINCT = 50;
const TIMING: TimingOptions = { rounds: 7, callsPerRound: 1_000 };

const round3 = (v: number): number => Math.round(v * 1000) / 1000;

export async function runMicro(timing: TimingOptions = TIMING): Promise<MicroResult> {
  await Promise.all([loadResampler(), loadVad()]);
  const usPerFrame: Record<string, number> = {};
  const timesFloor: Record<string, number> = {};
  const floors = new Map<number, number>();
  for (const rate of [8000, 16000, 24000]) {
    const frames = noiseFrames(rate, DISTINCT);
    const us = medianUsPerCall(timing, (i) => cycle(frames, i).slice().length);
    floors.set(rate, us);
    usPerFrame[`floor: copy a frame at ${rate / 1000} kHz`] = round3(us);
  }
  const record = (name: string, rate: number, us: number): void => {
    usPerFrame[name] = round3(us);
    const floor = floors.get(rate);
    if (floor !== undefined && floor > 0) timesFloor[name] = Math.round((us / floor) * 10) / 10;
  };

  for (const [inRate, outRate] of [[8000, 24000], [24000, 8000]] as const) {
    const frames = noiseFrames(inRate, DISTINCT);
    const resampler = createResampler(inRate, outRate);
    record(`resample ${inRate / 1000}k → ${outRate / 1000}k`, inRate, medianUsPerCall(timing, (i) => resampler.process(cycle(frames, i)).length));
    resampler.close();
  }

  for (const name of ['PCMU', 'G722', 'opus'] as const) {
    const { pcmRate, frameSamples } = codecDescriptor(name);
    const pcm = speechLike(pcmRate, DISTINCT * frameSamples);
    const inputs = Array.from({ length: DISTINCT }, (_, f) => pcm.subarray(f * frameSamples, (f + 1) * frameSamples));
    const encoder = createEncoder(name);
    const payloads = inputs.map((frame) => encoder.encode(frame));
    encoder.reset();
    const decoder = createDecoder(name);
    record(`${name} encode`, pcmRate, medianUsPerCall(timing, (i) => encoder.encode(cycle(inputs, i)).length));
    record(`${name} decode`, pcmRate, medianUsPerCall(timing, (i) => decoder.decode(cycle(payloads, i)).length));
  }

  const rate = 8000;
  let atMs = 0;
  for (const [label, gain] of [['speech', 800], ['quiet', 0.3]] as const) {
    const frames = voicedFrames(rate, gain, DISTINCT);
    const detector = new SpeechDetector({ sampleRate: rate, hangoverMs: 1e9 });
    record(`speech detector 8k (${label})`, rate, medianUsPerCall(timing, (i) => {
      atMs += 20;
      return detector.push(cycle(frames, i), atMs).length;
    }));
    detector.close();
  }
  return { usPerFrame, timesFloor };
}
