/**
 * The caller's audio and the turn agent's answer, built once and shared by every call (pure functions).
 *
 * - Echo calls (`echoCycle`): a caller who talks with pauses: one spoken utterance (the recorded prompt, 8 kHz), then
 *   a pause of low noise (about −60 dBFS) with a 20 ms chirp marker (400 → 3,000 Hz) starting exactly at the first
 *   sample of a known packet of the pause, so "marker sent" is a packet's send time. With the number's default
 *   `bargeIn: gateway` the utterance's onset interrupts the echo agent's playback (its own echo of the pause); the
 *   marker sits `ECHO_MARKER_DELAY_MS` after the utterance ends, well past the interruption and the gateway's
 *   500 ms guard, 1.7 s before the next utterance's onset flushes the playout again, and one 20 ms chirp is never an
 *   onset (the detector needs 3 of 4 frames of voiced evidence).
 *   `echoLoop` is the older signal (noise and a marker each second, no speech), kept for the codec tests.
 * - Turn calls: a cycle of one spoken utterance (a recorded prompt, 8 kHz) followed by low noise; the end of the
 *   utterance is the end of a known packet.
 * - Barge-in calls: a cycle of low noise (2 s) then the same utterance, which starts at the first sample of a known
 *   packet; the talker agent's monologue has a quiet bed tone under it, so it is never silent while it plays.
 */
import { prng } from '../prng.js';

export const CALLER_RATE = 8_000;
export const SAMPLES_PER_PACKET = 160;
export const PACKET_MS = 20;
export const ECHO_LOOP_PACKETS = 50;
export const MARKER_SAMPLES = 160;
const MARKER_PEAK = 12_000;
const NOISE_PEAK = 30;

/** The marker: a 20 ms linear chirp with 2 ms raised-cosine edges. */
export function markerTemplate(sampleRate = CALLER_RATE, length = MARKER_SAMPLES): Int16Array {
  const out = new Int16Array(length);
  const f0 = 400;
  const f1 = 3_000;
  const durS = length / sampleRate;
  const edge = Math.round(0.002 * sampleRate);
  for (let i = 0; i < length; i++) {
    const t = i / sampleRate;
    const phase = 2 * Math.PI * (f0 * t + ((f1 - f0) / (2 * durS)) * t * t);
    const rise = i < edge ? 0.5 - 0.5 * Math.cos((Math.PI * i) / edge) : 1;
    const fall = i >= length - edge ? 0.5 - 0.5 * Math.cos((Math.PI * (length - 1 - i)) / edge) : 1;
    out[i] = Math.round(MARKER_PEAK * rise * fall * Math.sin(phase));
  }
  return out;
}

function noise(length: number, seed: number): Int16Array {
  const rand = prng(seed);
  const out = new Int16Array(length);
  for (let i = 0; i < length; i++) out[i] = Math.round((rand() * 2 - 1) * NOISE_PEAK);
  return out;
}

/** One echo loop: `ECHO_LOOP_PACKETS` packets of noise, the marker over the start of the first. */
export function echoLoop(seed = 1): Int16Array {
  const out = noise(ECHO_LOOP_PACKETS * SAMPLES_PER_PACKET, seed);
  out.set(markerTemplate(), 0);
  return out;
}

/**
 * Echo calls: the pause after each utterance, and where in it the marker starts (after the utterance's end). The next
 * utterance's onset interrupts the echo and flushes the gateway's playout: a marker whose echo has not left the
 * gateway by then (a round trip over ECHO_PAUSE_MS − ECHO_MARKER_DELAY_MS, 1.7 s) is cut, and counts as not back.
 */
export const ECHO_PAUSE_MS = 2_000;
export const ECHO_MARKER_DELAY_MS = 300;

export interface EchoCycle {
  /** The whole cycle (utterance, then the pause with the marker), a whole number of packets. */
  readonly pcm: Int16Array;
  readonly packets: number;
  /** Packets carrying the utterance (from packet 0). */
  readonly utterancePackets: number;
  /** The packet whose first sample starts the marker. */
  readonly markerPacket: number;
}

/**
 * One echo cycle: the utterance (8 kHz speech from its first sample, padded to whole packets), then `pauseMs` of low
 * noise with the marker over the start of the packet `markerDelayMs` after the utterance's end.
 */
export function echoCycle(speech8k: Int16Array, pauseMs = ECHO_PAUSE_MS, markerDelayMs = ECHO_MARKER_DELAY_MS, seed = 1): EchoCycle {
  const utterancePackets = Math.ceil(speech8k.length / SAMPLES_PER_PACKET);
  const pausePackets = Math.ceil(pauseMs / PACKET_MS);
  const markerPacket = utterancePackets + Math.round(markerDelayMs / PACKET_MS);
  if (markerPacket >= utterancePackets + pausePackets) throw new RangeError(`the marker (${markerDelayMs} ms) must fall inside the pause (${pauseMs} ms)`);
  const packets = utterancePackets + pausePackets;
  const pcm = noise(packets * SAMPLES_PER_PACKET, seed);
  pcm.set(speech8k, 0);
  pcm.set(markerTemplate(), markerPacket * SAMPLES_PER_PACKET);
  return { pcm, packets, utterancePackets, markerPacket };
}

/** Low-pass (windowed sinc, 3.4 kHz) and take every third sample: 24 kHz → 8 kHz, good enough for a test voice. */
export function decimate24kTo8k(pcm24k: Int16Array): Int16Array {
  const taps = 63;
  const half = (taps - 1) / 2;
  const fc = 3_400 / 24_000;
  const kernel = new Float64Array(taps);
  let gain = 0;
  for (let i = 0; i < taps; i++) {
    const k = i - half;
    const sinc = k === 0 ? 2 * fc : Math.sin(2 * Math.PI * fc * k) / (Math.PI * k);
    const w = 0.42 - 0.5 * Math.cos((2 * Math.PI * i) / (taps - 1)) + 0.08 * Math.cos((4 * Math.PI * i) / (taps - 1));
    kernel[i] = sinc * w;
    gain += sinc * w;
  }
  const out = new Int16Array(Math.floor(pcm24k.length / 3));
  for (let o = 0; o < out.length; o++) {
    const t = o * 3;
    let acc = 0;
    for (let j = 0; j < taps; j++) acc += (pcm24k[t + j - half] ?? 0) * (kernel[j] ?? 0);
    out[o] = Math.max(-32_768, Math.min(32_767, Math.round(acc / gain)));
  }
  return out;
}

export interface TurnCycle {
  /** The whole cycle (utterance then noise), a whole number of packets. */
  readonly pcm: Int16Array;
  readonly packets: number;
  /** Packets carrying the utterance: the utterance ends at the end of packet `utterancePackets - 1`. */
  readonly utterancePackets: number;
}

/** An utterance (8 kHz speech, padded to whole packets) followed by `gapMs` of low noise. */
export function turnCycle(speech8k: Int16Array, gapMs: number, seed = 2): TurnCycle {
  const utterancePackets = Math.ceil(speech8k.length / SAMPLES_PER_PACKET);
  const packets = utterancePackets + Math.ceil(gapMs / PACKET_MS);
  const pcm = noise(packets * SAMPLES_PER_PACKET, seed);
  pcm.set(speech8k, 0);
  return { pcm, packets, utterancePackets };
}

/** The turn agent's answer: a 24 kHz tone burst (1 kHz, −12 dBFS) with 5 ms edges. */
export function answerTone(durationMs = 600, sampleRate = 24_000): Int16Array {
  const length = Math.round((durationMs / 1000) * sampleRate);
  const edge = Math.round(0.005 * sampleRate);
  const out = new Int16Array(length);
  for (let i = 0; i < length; i++) {
    const env = Math.min(1, i / edge, (length - 1 - i) / edge);
    out[i] = Math.round(8_000 * env * Math.sin((2 * Math.PI * 1_000 * i) / sampleRate));
  }
  return out;
}

export interface BargeInCycle {
  /** The whole cycle (low noise, then the utterance), a whole number of packets. */
  readonly pcm: Int16Array;
  readonly packets: number;
  /** The packet whose first sample starts the utterance: the caller speaks over the agent from here. */
  readonly onsetPacket: number;
}

/**
 * A barge-in call's caller cycle: `leadMs` of low noise while the agent talks, then the utterance (8 kHz speech that
 * starts at its first sample, padded to whole packets). The next cycle starts right after the utterance.
 */
export function bargeInCycle(speech8k: Int16Array, leadMs: number, seed = 3): BargeInCycle {
  const onsetPacket = Math.ceil(leadMs / PACKET_MS);
  const packets = onsetPacket + Math.ceil(speech8k.length / SAMPLES_PER_PACKET);
  const pcm = noise(packets * SAMPLES_PER_PACKET, seed);
  pcm.set(speech8k, onsetPacket * SAMPLES_PER_PACKET);
  return { pcm, packets, onsetPacket };
}

/** Peak of the talker's bed tone: far above the gateway's digital silence (0), far below speech. */
export const TALKER_BED_PEAK = 600;

/**
 * The talker agent's monologue: `clips` (24 kHz speech) back to back until `durationMs`, over a quiet 440 Hz bed so
 * that no 20 ms of it is ever silent: at the caller, a silent packet means the gateway stopped the agent.
 */
export function talkerSpeech(clips: readonly Int16Array[], durationMs: number, sampleRate = 24_000): Int16Array {
  const out = new Int16Array(Math.round((durationMs / 1000) * sampleRate));
  let at = 0;
  while (at < out.length && clips.length > 0) {
    for (const clip of clips) {
      out.set(clip.subarray(0, Math.max(0, out.length - at)), at);
      at += clip.length;
      if (at >= out.length) break;
    }
  }
  for (let i = 0; i < out.length; i++) {
    const bed = TALKER_BED_PEAK * Math.sin((2 * Math.PI * 440 * i) / sampleRate);
    out[i] = Math.max(-32_768, Math.min(32_767, Math.round((out[i] ?? 0) + bed)));
  }
  return out;
}
