/** Deterministic test audio: PCM16 tones, their bytes, and levels. */

const RATE = 24_000;

/** `ms` of a sine at `hz` and `dbfs` RMS, 24 kHz, starting at `phaseSamples`. */
export function tone(ms: number, options: { hz?: number; dbfs?: number; rate?: number; phaseSamples?: number } = {}): Int16Array {
  const rate = options.rate ?? RATE;
  const hz = options.hz ?? 440;
  const amplitude = 32_768 * 10 ** ((options.dbfs ?? -12) / 20) * Math.SQRT2;
  const phase = options.phaseSamples ?? 0;
  const out = new Int16Array(Math.round((rate * ms) / 1000));
  for (let i = 0; i < out.length; i++) out[i] = Math.round(amplitude * Math.sin((2 * Math.PI * hz * (i + phase)) / rate));
  return out;
}

/** Little-endian bytes of `samples`. */
export function pcmBytes(samples: Int16Array): Uint8Array {
  const out = new Uint8Array(samples.length * 2);
  const view = new DataView(out.buffer);
  for (let i = 0; i < samples.length; i++) view.setInt16(i * 2, samples[i] ?? 0, true);
  return out;
}

/** RMS level in dBFS (−Infinity for digital silence). */
export function rmsDbfs(samples: Int16Array): number {
  if (samples.length === 0) return -Infinity;
  let sum = 0;
  for (const s of samples) sum += s * s;
  return 10 * Math.log10(sum / samples.length / 32_768 ** 2);
}

/** The speech a fake TTS makes for `text`: `msPerChar` ms of tone per character. */
export function speechFor(text: string, msPerChar: number): Int16Array {
  return tone(text.length * msPerChar, { hz: 440, dbfs: -12 });
}
