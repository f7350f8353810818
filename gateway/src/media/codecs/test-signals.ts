/** Test helpers for the codec tests: signals, delay search and SNR. Not part of the public API. */

/** A sine of `hz` at `amplitude`, `samples` long, at `rate`. */
export function sine(hz: number, rate: number, samples: number, amplitude = 10_000): Int16Array {
  const out = new Int16Array(samples);
  for (let i = 0; i < samples; i++) out[i] = Math.round(amplitude * Math.sin((2 * Math.PI * hz * i) / rate));
  return out;
}

/** Speech-like: 20 harmonics of a 140 Hz voice with 1/h roll-off, a slow pitch wobble and a 3 Hz syllable envelope. */
export function speechLike(rate: number, samples: number, amplitude = 9000): Int16Array {
  const out = new Int16Array(samples);
  let phase = 0;
  for (let i = 0; i < samples; i++) {
    const t = i / rate;
    const f0 = 140 * (1 + 0.05 * Math.sin(2 * Math.PI * 1.3 * t));
    phase += (2 * Math.PI * f0) / rate;
    let v = 0;
    for (let h = 1; h <= 20 && h * f0 < rate / 2; h++) v += Math.sin(h * phase + h) / h;
    const envelope = 0.55 + 0.45 * Math.sin(2 * Math.PI * 3 * t);
    out[i] = Math.round(amplitude * 0.5 * v * envelope);
  }
  return out;
}

/** SNR in dB of `out` against `ref`, with `out` delayed by `delay`, skipping `margin` samples at both ends. */
export function snrDb(ref: Int16Array, out: Int16Array, delay: number, margin = 400): number {
  let signal = 0;
  let noise = 0;
  for (let i = margin; i < ref.length - margin; i++) {
    const r = ref[i] ?? 0;
    const e = r - (out[i + delay] ?? 0);
    signal += r * r;
    noise += e * e;
  }
  return noise === 0 ? Infinity : 10 * Math.log10(signal / noise);
}

/** The delay in [0, maxDelay] that maximises the cross-correlation of `out` against `ref`. */
export function findDelay(ref: Int16Array, out: Int16Array, maxDelay: number, margin = 400): number {
  let best = 0;
  let bestCorr = -Infinity;
  for (let d = 0; d <= maxDelay; d++) {
    let c = 0;
    for (let i = margin; i < ref.length - margin; i++) c += (ref[i] ?? 0) * (out[i + d] ?? 0);
    if (c > bestCorr) {
      bestCorr = c;
      best = d;
    }
  }
  return best;
}

export function rms(pcm: Int16Array, from = 0, to = pcm.length): number {
  let s = 0;
  for (let i = from; i < to; i++) s += (pcm[i] ?? 0) ** 2;
  return Math.sqrt(s / Math.max(1, to - from));
}

/** Frequency (Hz) of the strongest DFT bin between `loHz` and `hiHz` in 5 Hz steps. */
export function dominantHz(pcm: Int16Array, rate: number, loHz = 50, hiHz = 4000): number {
  let best = loHz;
  let bestPower = -1;
  for (let hz = loHz; hz <= hiHz; hz += 5) {
    let re = 0;
    let im = 0;
    for (let i = 0; i < pcm.length; i++) {
      const w = (2 * Math.PI * hz * i) / rate;
      re += (pcm[i] ?? 0) * Math.cos(w);
      im += (pcm[i] ?? 0) * Math.sin(w);
    }
    const p = re * re + im * im;
    if (p > bestPower) {
      bestPower = p;
      best = hz;
    }
  }
  return best;
}

/** Deterministic pseudo-random bytes (LCG), so a failing garbage test can be replayed. */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0;
    return s;
  };
}

/** Concatenate frames. */
export function concat(frames: readonly Int16Array[]): Int16Array {
  const total = frames.reduce((n, f) => n + f.length, 0);
  const out = new Int16Array(total);
  let o = 0;
  for (const f of frames) {
    out.set(f, o);
    o += f.length;
  }
  return out;
}
