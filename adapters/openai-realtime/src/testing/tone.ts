/** Deterministic test audio at 24 kHz: a sine of `hz` at `dbfs` (RMS), `ms` long, phase 0 at sample 0. */
export function tone(ms: number, hz = 440, dbfs = -12, rate = 24_000): Int16Array {
  const amplitude = 32_768 * 10 ** (dbfs / 20) * Math.SQRT2;
  const out = new Int16Array(Math.round((rate * ms) / 1000));
  for (let i = 0; i < out.length; i++) out[i] = Math.round(amplitude * Math.sin((2 * Math.PI * hz * i) / rate));
  return out;
}

/** RMS level of `pcm` in dBFS (-Infinity for digital silence). */
export function levelDbfs(pcm: Int16Array): number {
  if (pcm.length === 0) return Number.NEGATIVE_INFINITY;
  let sum = 0;
  for (const v of pcm) sum += (v / 32_768) ** 2;
  return 10 * Math.log10(sum / pcm.length);
}
