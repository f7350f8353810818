/**
 * Pure tones for end-to-end tests, and the measures that tell them apart when they come back: a test that has
 * each party play its own frequency knows from the received audio what reached whom. Pure and synchronous.
 */

/** A sine at `hz`, `ms` long, `rmsDbfsLevel` RMS (peak 3 dB higher), sampled at `sampleRate`. */
export function sine(sampleRate: number, hz: number, rmsDbfsLevel: number, ms: number): Int16Array {
  const amplitude = 32_768 * 10 ** (rmsDbfsLevel / 20) * Math.SQRT2;
  const out = new Int16Array(Math.round((sampleRate * ms) / 1000));
  for (let i = 0; i < out.length; i++) out[i] = Math.round(amplitude * Math.sin((2 * Math.PI * hz * i) / sampleRate));
  return out;
}

/** Power of `hz` in `samples` (Goertzel), per sample: compare frequencies within one signal. */
export function powerAt(samples: Int16Array, sampleRate: number, hz: number): number {
  const k = 2 * Math.cos((2 * Math.PI * hz) / sampleRate);
  let s1 = 0;
  let s2 = 0;
  for (const x of samples) {
    const s = x + k * s1 - s2;
    s2 = s1;
    s1 = s;
  }
  return (s1 * s1 + s2 * s2 - k * s1 * s2) / Math.max(1, samples.length);
}

/** Frequency of a steady tone from its zero crossings (Hz); 0 for no samples. */
export function zeroCrossingHz(samples: Int16Array, sampleRate: number): number {
  if (samples.length === 0) return 0;
  let crossings = 0;
  for (let i = 1; i < samples.length; i++) if ((samples[i - 1] ?? 0) < 0 !== (samples[i] ?? 0) < 0) crossings++;
  return (crossings / 2) * (sampleRate / samples.length);
}
