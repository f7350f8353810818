/**
 * Linear-phase low-pass FIR design by weighted least squares (pure, float64; run once at module load).
 *
 * A symmetric filter of `taps = 2M + 1` coefficients has the zero-phase response A(ω) = Σₖ aₖ·cos(kω), k = 0..M
 * (a₀ = h[M], aₖ = 2·h[M ± k]). We minimise
 *
 *   ∫₀^ωp (A(ω) − 1)² dω + stopWeight · ∫ωs^π A(ω)² dω
 *
 * (the band between ωp and ωs is left free). The integrals of products of cosines are closed-form, so the normal
 * equations Q·a = b are exact and small ((M+1)², e.g. 67 × 67): solved by Gaussian elimination with partial
 * pivoting in well under a millisecond. Least squares is not minimax: for the same stopband peak an equiripple
 * (Parks–McClellan) design is some 15–20 % shorter, but this one is a few lines, has no convergence to get wrong,
 * and its peak error sits next to the band edges where the spec tests look.
 */

/** ∫ₐᵇ cos(mω) dω. */
function integralOfCos(m: number, a: number, b: number): number {
  return m === 0 ? b - a : (Math.sin(m * b) - Math.sin(m * a)) / m;
}

/** ∫ₐᵇ cos(jω)·cos(kω) dω. */
function integralOfCosProduct(j: number, k: number, a: number, b: number): number {
  return 0.5 * (integralOfCos(j - k, a, b) + integralOfCos(j + k, a, b));
}

export interface LowpassSpec {
  /** Odd number of taps (the filter is symmetric about its centre tap, a whole-sample delay of (taps − 1) / 2). */
  readonly taps: number;
  readonly rateHz: number;
  /** Passband edge: the fit holds the gain at 1 from 0 to here. */
  readonly passHz: number;
  /** Stopband edge: the fit holds the gain at 0 from here to Nyquist. */
  readonly stopHz: number;
  /** Weight of the stopband error against the passband's (> 1 trades passband ripple for stopband depth). */
  readonly stopWeight: number;
}

/** The filter's coefficients, unity gain at DC up to the fit's passband error. */
export function designLowpass(spec: LowpassSpec): Float64Array {
  const { taps, rateHz, passHz, stopHz, stopWeight } = spec;
  if (!Number.isInteger(taps) || taps < 3 || taps % 2 === 0) throw new RangeError(`taps must be odd and ≥ 3, got ${taps}`);
  if (!(passHz > 0 && passHz < stopHz && stopHz < rateHz / 2)) throw new RangeError('need 0 < passHz < stopHz < rateHz / 2');
  const m = (taps - 1) / 2;
  const n = m + 1;
  const wp = (2 * Math.PI * passHz) / rateHz;
  const ws = (2 * Math.PI * stopHz) / rateHz;
  // Row-major n × n normal matrix and right-hand side.
  const q = new Float64Array(n * n);
  const b = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    b[j] = integralOfCos(j, 0, wp);
    for (let k = 0; k < n; k++) {
      q[j * n + k] = integralOfCosProduct(j, k, 0, wp) + stopWeight * integralOfCosProduct(j, k, ws, Math.PI);
    }
  }
  const a = solve(q, b, n);
  const h = new Float64Array(taps);
  h[m] = a[0] ?? 0;
  for (let k = 1; k <= m; k++) {
    const half = (a[k] ?? 0) / 2;
    h[m - k] = half;
    h[m + k] = half;
  }
  return h;
}

/** Solves q·x = b (q row-major n × n; both are overwritten) by Gaussian elimination with partial pivoting. */
function solve(q: Float64Array, b: Float64Array, n: number): Float64Array {
  const at = (r: number, c: number): number => q[r * n + c] ?? 0;
  for (let c = 0; c < n; c++) {
    let pivot = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(at(r, c)) > Math.abs(at(pivot, c))) pivot = r;
    if (pivot !== c) {
      for (let k = 0; k < n; k++) {
        const t = at(c, k);
        q[c * n + k] = at(pivot, k);
        q[pivot * n + k] = t;
      }
      const t = b[c] ?? 0;
      b[c] = b[pivot] ?? 0;
      b[pivot] = t;
    }
    const d = at(c, c);
    if (d === 0) throw new RangeError('singular least-squares system');
    for (let r = c + 1; r < n; r++) {
      const f = at(r, c) / d;
      if (f === 0) continue;
      for (let k = c; k < n; k++) q[r * n + k] = at(r, k) - f * at(c, k);
      b[r] = (b[r] ?? 0) - f * (b[c] ?? 0);
    }
  }
  const x = new Float64Array(n);
  for (let r = n - 1; r >= 0; r--) {
    let s = b[r] ?? 0;
    for (let k = r + 1; k < n; k++) s -= at(r, k) * (x[k] ?? 0);
    x[r] = s / at(r, r);
  }
  return x;
}

/** |H(f)| of `h` at `freqHz` (for tests and documentation). */
export function magnitudeAt(h: ArrayLike<number>, rateHz: number, freqHz: number): number {
  const w = (2 * Math.PI * freqHz) / rateHz;
  let re = 0;
  let im = 0;
  for (let k = 0; k < h.length; k++) {
    const c = h[k] ?? 0;
    re += c * Math.cos(w * k);
    im -= c * Math.sin(w * k);
  }
  return Math.hypot(re, im);
}
