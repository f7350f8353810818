/**
 * Deterministic synthetic signals for the speech-detector tests and benchmark: noise beds, tones, DTMF digits and
 * cough-like bursts. Levels are RMS dBFS with the convention of `test/helpers/audio.ts` (full-scale sine = −3 dBFS)
 * unless a name says "peak". Random signals take a seeded PRNG (`prng(seed)`), so every run sees the same samples.
 */

export type Random = () => number;

/** Linear RMS for a level in dBFS. */
function rmsFor(dbfs: number): number {
  return 32768 * 10 ** (dbfs / 20);
}

function samplesFor(rate: number, ms: number): number {
  return Math.round((rate * ms) / 1000);
}

function toInt16(values: Float64Array): Int16Array {
  return Int16Array.from(values, (v) => Math.max(-32768, Math.min(32767, Math.round(v))));
}

/** Scales `values` to an RMS level of `dbfs`. */
function atRms(values: Float64Array, dbfs: number): Int16Array {
  let sum = 0;
  for (const v of values) sum += v * v;
  const rms = Math.sqrt(sum / Math.max(1, values.length));
  const gain = rms > 0 ? rmsFor(dbfs) / rms : 0;
  return toInt16(values.map((v) => v * gain));
}

export function whiteNoise(rate: number, ms: number, dbfs: number, random: Random): Int16Array {
  return atRms(Float64Array.from({ length: samplesFor(rate, ms) }, () => random() * 2 - 1), dbfs);
}

/** Pink (1/f) noise: Paul Kellet's refined filter over white noise, accurate to ±0.05 dB above 9 Hz at 44.1 kHz. */
export function pinkNoise(rate: number, ms: number, dbfs: number, random: Random): Int16Array {
  const out = new Float64Array(samplesFor(rate, ms));
  let b0 = 0, b1 = 0, b2 = 0, b3 = 0, b4 = 0, b5 = 0, b6 = 0; // prettier-ignore
  for (let i = 0; i < out.length; i++) {
    const w = random() * 2 - 1;
    b0 = 0.99886 * b0 + w * 0.0555179;
    b1 = 0.99332 * b1 + w * 0.0750759;
    b2 = 0.969 * b2 + w * 0.153852;
    b3 = 0.8665 * b3 + w * 0.3104856;
    b4 = 0.55 * b4 + w * 0.5329522;
    b5 = -0.7616 * b5 - w * 0.016898;
    out[i] = b0 + b1 + b2 + b3 + b4 + b5 + b6 + w * 0.5362;
    b6 = w * 0.115926;
  }
  return atRms(out, dbfs);
}

/** Sum of sines at `hz` (one or more), the whole at RMS `dbfs`, with 2 ms raised-cosine edges like a real generator. */
export function tones(rate: number, ms: number, hz: readonly number[], dbfs: number): Int16Array {
  const n = samplesFor(rate, ms);
  const ramp = samplesFor(rate, 2);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let v = 0;
    for (const f of hz) v += Math.sin((2 * Math.PI * f * i) / rate);
    const edge = Math.min(i, n - 1 - i);
    out[i] = edge < ramp ? v * (0.5 - 0.5 * Math.cos((Math.PI * edge) / ramp)) : v;
  }
  // Scale by the steady-state RMS (each unit sine has power 1/2), not the ramped one.
  const gain = rmsFor(dbfs) / Math.sqrt(hz.length / 2);
  return toInt16(out.map((v) => v * gain));
}

const DTMF_LOW = [697, 770, 852, 941] as const;
const DTMF_HIGH = [1209, 1336, 1477, 1633] as const;
const DTMF_KEYS = '123A456B789C*0#D';

/** The frequency pair of a DTMF key (`0-9 * # A-D`). */
export function dtmfPair(key: string): [number, number] {
  const index = DTMF_KEYS.indexOf(key.toUpperCase());
  const low = DTMF_LOW[Math.floor(index / 4)];
  const high = DTMF_HIGH[index % 4];
  if (index < 0 || low === undefined || high === undefined) throw new RangeError(`not a DTMF key: ${key}`);
  return [low, high];
}

/**
 * A cough-like burst: broadband noise, `ms` long (default 150), 5 ms linear attack then exponential decay
 * (τ = ms / 5), with its loudest sample at `peakDbfs` (re full scale). `lowPassHz` tilts the noise like a real
 * cough (a one-pole low-pass); without it the noise is white.
 */
export function coughBurst(rate: number, peakDbfs: number, random: Random, options: { ms?: number; lowPassHz?: number } = {}): Int16Array {
  const ms = options.ms ?? 150;
  const n = samplesFor(rate, ms);
  const attack = samplesFor(rate, 5);
  const tau = samplesFor(rate, ms / 5);
  const a = options.lowPassHz === undefined ? 0 : Math.exp((-2 * Math.PI * options.lowPassHz) / rate);
  const out = new Float64Array(n);
  let state = 0;
  let peak = 0;
  for (let i = 0; i < n; i++) {
    state = a * state + (1 - a) * (random() * 2 - 1);
    const env = i < attack ? i / attack : Math.exp(-(i - attack) / tau);
    out[i] = state * env;
    peak = Math.max(peak, Math.abs(out[i] ?? 0));
  }
  const gain = peak > 0 ? (32768 * 10 ** (peakDbfs / 20)) / peak : 0;
  return toInt16(out.map((v) => v * gain));
}

/** `base` with `signal` added at `atMs` (clipped to 16 bits); `base` is not modified. */
export function mixAt(base: Int16Array, signal: Int16Array, rate: number, atMs: number): Int16Array {
  const out = base.slice();
  const offset = samplesFor(rate, atMs);
  for (let i = 0; i < signal.length && offset + i < out.length; i++) {
    out[offset + i] = Math.max(-32768, Math.min(32767, (out[offset + i] ?? 0) + (signal[i] ?? 0)));
  }
  return out;
}

/** `samples` scaled so that `samples[start, end)` has RMS `dbfs`. */
export function scaleTo(samples: Int16Array, dbfs: number, start = 0, end = samples.length): Int16Array {
  let sum = 0;
  for (let i = start; i < end; i++) sum += (samples[i] ?? 0) ** 2;
  const rms = Math.sqrt(sum / Math.max(1, end - start));
  const gain = rms > 0 ? rmsFor(dbfs) / rms : 0;
  return toInt16(Float64Array.from(samples, (v) => v * gain));
}
