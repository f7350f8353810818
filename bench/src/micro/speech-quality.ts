/**
 * Objective speech-quality measures for codec settings (pure). Neither is PESQ; both are documented in docs/codecs.md.
 *
 * - Log-spectral distance (LSD, dB): 20 ms Hann frames (10 ms hop), 512-point FFT; per frame the RMS over cells of
 *   the dB difference (floor 60 dB under the loudest reference cell), averaged over the reference's active frames
 *   (frame energy within 40 dB of the loudest). Two grids: Bark bands (Zwicker's edges up to the Nyquist frequency,
 *   23 bands at 24 kHz: the spectral envelope; a lost band shows here) and FFT bins from 100 Hz up (47 Hz apart:
 *   also the harmonic fine structure, which CELT does not code exactly while it does code band energies).
 *   A third grid, 4 ms frames (2 ms hop, 128-point FFT) in four broad bands (0-1-3-6-12 kHz), follows the time
 *   envelope: a codec that smears an onset over its 20 ms block (pre-echo) shows here and hardly in the others.
 *   0 dB = identical. Phase is ignored, as a listener largely does.
 * - NCC: normalised cross-correlation at the best lag (means removed), the measure of
 *   gateway/test/helpers/correlation.ts `alignSignals`, over the whole signal.
 */

const FFT_SIZE = 512;
/** The short-window grid: 4 ms Hann frames (2 ms hop) in a 128-point FFT, energies in four broad bands. */
const SHORT_FFT_SIZE = 128;
const SHORT_EDGES_HZ = [0, 1000, 3000, 6000, 12_000];
/** Bark band edges in Hz (Zwicker), cut at the Nyquist frequency of the signal. */
const BARK_EDGES_HZ = [0, 100, 200, 300, 400, 510, 630, 770, 920, 1080, 1270, 1480, 1720, 2000, 2320, 2700, 3150, 3700,
  4400, 5300, 6400, 7700, 9500, 12_000, 15_500];

/** In-place radix-2 FFT of (re, im), length a power of two. */
function fft(re: Float64Array, im: Float64Array): void {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      const tr = re[i] ?? 0;
      re[i] = re[j] ?? 0;
      re[j] = tr;
      const ti = im[i] ?? 0;
      im[i] = im[j] ?? 0;
      im[j] = ti;
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const ang = (-2 * Math.PI) / len;
    const wr = Math.cos(ang);
    const wi = Math.sin(ang);
    for (let i = 0; i < n; i += len) {
      let cr = 1;
      let ci = 0;
      for (let k = 0; k < len / 2; k++) {
        const a = i + k;
        const b = a + len / 2;
        const xr = (re[b] ?? 0) * cr - (im[b] ?? 0) * ci;
        const xi = (re[b] ?? 0) * ci + (im[b] ?? 0) * cr;
        re[b] = (re[a] ?? 0) - xr;
        im[b] = (im[a] ?? 0) - xi;
        re[a] = (re[a] ?? 0) + xr;
        im[a] = (im[a] ?? 0) + xi;
        const ncr = cr * wr - ci * wi;
        ci = cr * wi + ci * wr;
        cr = ncr;
      }
    }
  }
}

/** Power spectrum (bins 0..size/2) of each `win`-sample Hann frame at a hop of win/2, starting at `offset`. */
function spectra(pcm: Int16Array, offset: number, win: number, frames: number, size = FFT_SIZE): Float64Array[] {
  const hop = win >> 1;
  const out: Float64Array[] = [];
  const re = new Float64Array(size);
  const im = new Float64Array(size);
  for (let f = 0; f < frames; f++) {
    re.fill(0);
    im.fill(0);
    for (let i = 0; i < win && i < size; i++) {
      const w = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (win - 1));
      re[i] = (pcm[offset + f * hop + i] ?? 0) * w;
    }
    fft(re, im);
    const power = new Float64Array(size / 2 + 1);
    for (let k = 0; k < power.length; k++) power[k] = (re[k] ?? 0) ** 2 + (im[k] ?? 0) ** 2;
    out.push(power);
  }
  return out;
}

/** Sums of `power` over the bands between `edgesHz` below the Nyquist frequency. */
function toBands(power: Float64Array, rate: number, edgesHz = BARK_EDGES_HZ, size = FFT_SIZE): Float64Array {
  const edges = edgesHz.filter((hz) => hz <= rate / 2).map((hz) => Math.round((hz / rate) * size));
  const bands = new Float64Array(edges.length - 1);
  for (let b = 0; b + 1 < edges.length; b++) {
    let e = 0;
    for (let k = edges[b] ?? 0; k < (edges[b + 1] ?? 0); k++) e += power[k] ?? 0;
    bands[b] = e;
  }
  return bands;
}

export interface SpectralDistance {
  /** Bark-band LSD, dB: the spectral envelope. */
  readonly bandDb: number;
  /** Per-bin LSD from 100 Hz to the Nyquist frequency, dB: also the fine (harmonic) structure. */
  readonly binDb: number;
  /** LSD of 4 ms frames in four broad bands, dB: the time envelope (pre-echo, smeared onsets). */
  readonly shortDb: number;
}

/** Mean over the reference's active frames of the RMS dB difference per row (floor 60 dB under the loudest cell). */
function meanLsd(ref: Float64Array[], deg: Float64Array[], active: boolean[], from: number): number {
  let max = 0;
  for (const row of ref) for (const e of row) max = Math.max(max, e);
  const floor = max * 1e-6;
  let total = 0;
  let counted = 0;
  for (let f = 0; f < ref.length; f++) {
    const r = ref[f];
    const d = deg[f];
    if (r === undefined || d === undefined || active[f] !== true) continue;
    let sq = 0;
    for (let k = from; k < r.length; k++) {
      const diff = 10 * Math.log10(((r[k] ?? 0) + floor) / ((d[k] ?? 0) + floor));
      sq += diff * diff;
    }
    total += Math.sqrt(sq / (r.length - from));
    counted++;
  }
  return counted === 0 ? Number.NaN : total / counted;
}

/** Frames whose energy is within 40 dB of the loudest frame's. */
function activeFrames(rows: Float64Array[]): boolean[] {
  const energy = rows.map((p) => p.reduce((a, b) => a + b, 0));
  const loudest = Math.max(...energy);
  return energy.map((e) => e >= loudest * 1e-4);
}

/** Band, bin and short-window LSD between `reference` and `degraded[i + lag]` (see the file comment). */
export function spectralDistance(reference: Int16Array, degraded: Int16Array, lag: number, rate: number): SpectralDistance {
  const hop = Math.round(rate / 100);
  const frames = Math.floor((Math.min(reference.length, degraded.length - lag) - 2 * hop) / hop);
  const win = 2 * hop;
  const refSpec = spectra(reference, 0, win, frames);
  const degSpec = spectra(degraded, lag, win, frames);
  const bandDb = meanLsd(refSpec.map((p) => toBands(p, rate)), degSpec.map((p) => toBands(p, rate)), activeFrames(refSpec), 0);
  const binDb = meanLsd(refSpec, degSpec, activeFrames(refSpec), Math.round((100 / rate) * FFT_SIZE));
  const shortWin = Math.round(rate / 250);
  const shortFrames = Math.floor((Math.min(reference.length, degraded.length - lag) - shortWin) / (shortWin >> 1));
  const shortBands = (pcm: Int16Array, at: number): Float64Array[] =>
    spectra(pcm, at, shortWin, shortFrames, SHORT_FFT_SIZE).map((p) => toBands(p, rate, SHORT_EDGES_HZ, SHORT_FFT_SIZE));
  const refShort = shortBands(reference, 0);
  const shortDb = meanLsd(refShort, shortBands(degraded, lag), activeFrames(refShort), 0);
  return { bandDb, binDb, shortDb };
}

/** Best lag in [minLag, maxLag] by normalised cross-correlation (means removed) and the NCC there. */
export function bestLag(reference: Int16Array, degraded: Int16Array, minLag: number, maxLag: number): { lag: number; ncc: number } {
  let best = { lag: minLag, ncc: Number.NEGATIVE_INFINITY };
  const mean = (x: Int16Array, from: number, n: number): number => {
    let s = 0;
    for (let i = 0; i < n; i++) s += x[from + i] ?? 0;
    return s / n;
  };
  for (let lag = minLag; lag <= maxLag; lag++) {
    const n = Math.min(reference.length, degraded.length - lag);
    const mr = mean(reference, 0, n);
    const md = mean(degraded, lag, n);
    let dot = 0;
    let er = 0;
    let ed = 0;
    for (let i = 0; i < n; i++) {
      const r = (reference[i] ?? 0) - mr;
      const d = (degraded[i + lag] ?? 0) - md;
      dot += r * d;
      er += r * r;
      ed += d * d;
    }
    const ncc = er > 0 && ed > 0 ? dot / Math.sqrt(er * ed) : 0;
    if (ncc > best.ncc) best = { lag, ncc };
  }
  return best;
}
