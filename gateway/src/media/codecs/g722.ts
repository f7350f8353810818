/**
 * ITU-T G.722 sub-band ADPCM at 64 kbit/s (mode 1), 16 kHz PCM ↔ one byte per pair of samples.
 *
 * Written from the algorithm in the Recommendation (block names in comments: QUANTL, INVQAL, LOGSCL, SCALEL,
 * UPPOL1/2, UPZERO, FILTEP/Z, PREDIC, and their H counterparts):
 * - a 24-tap QMF splits the input into a 0–4 kHz and a 4–8 kHz band, each at 8 kHz (and joins them on decode);
 * - the lower band is coded by 6-bit ADPCM whose predictor and scale adapt on the 4-bit truncation of the code
 *   (the "embedded" property that makes modes 2 and 3 possible), the higher band by 2-bit ADPCM;
 * - each band has a pole-zero predictor (2 poles, 6 zeros) with sign-sign adaptation, all in 16-bit integer
 *   arithmetic with the Recommendation's saturations, so the bitstream is exact, not approximate.
 * Byte layout: bits 7–6 = higher-band code IH, bits 5–0 = lower-band code IL (RFC 3551: G722 payloads are these
 * bytes, RTP clock 8000 although the audio is 16 kHz).
 *
 * Pure and synchronous. The decoder conceals lost packets with plc.ts; the ADPCM state is not advanced during a
 * loss (G.722 Appendix III/IV are not implemented), the cross-fade on recovery hides the re-convergence.
 *
 * Written for speed on the media path (issue 15), bit-exact with the straightforward version kept in
 * g722-reference.ts (g722-equivalence.test.ts): each band's state is one Int32Array read into locals once per
 * sample, the quantiser is a binary search over its 30 decision levels, and the QMF runs over one delay line
 * extended by the whole frame (no per-sample shifting) with its 12 symmetric taps unrolled.
 */

import type { AudioDecoder, AudioEncoder } from './codec.js';
import { PacketLossConcealer } from './plc.js';

export const G722_SAMPLE_RATE = 16_000;

/** QUANTL decision levels (× det / 4096), lower band, 6 bits. */
const Q6 = Int32Array.from([0, 35, 72, 110, 150, 190, 233, 276, 323, 370, 422, 473, 530, 587, 650, 714, 786, 858, 940, 1023, 1121,
  1219, 1339, 1458, 1612, 1765, 1980, 2195, 2557, 2919]);
/** QUANTL output codes for a negative / positive difference, by decision interval. */
const ILN = Int32Array.from([0, 63, 62, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13,
  12, 11, 10, 9, 8, 7, 6, 5, 4, 0]);
const ILP = Int32Array.from([0, 61, 60, 59, 58, 57, 56, 55, 54, 53, 52, 51, 50, 49, 48, 47, 46, 45, 44, 43, 42, 41,
  40, 39, 38, 37, 36, 35, 34, 33, 32, 0]);
/** INVQBL: 6-bit inverse quantiser (× det / 32768). */
const QM6 = Int32Array.from([-136, -136, -136, -136, -24808, -21904, -19008, -16704, -14984, -13512, -12280, -11192,
  -10232, -9360, -8576, -7856, -7192, -6576, -6000, -5456, -4944, -4464, -4008, -3576, -3168, -2776, -2400, -2032,
  -1688, -1360, -1040, -728, 24808, 21904, 19008, 16704, 14984, 13512, 12280, 11192, 10232, 9360, 8576, 7856, 7192,
  6576, 6000, 5456, 4944, 4464, 4008, 3576, 3168, 2776, 2400, 2032, 1688, 1360, 1040, 728, 432, 136, -432, -136]);
/** INVQAL: 4-bit inverse quantiser used for adaptation. */
const QM4 = Int32Array.from([0, -20456, -12896, -8968, -6288, -4240, -2584, -1200, 20456, 12896, 8968, 6288, 4240,
  2584, 1200, 0]);
/** LOGSCL: 4-bit code → magnitude class → log-scale increment. */
const RL42 = Int32Array.from([0, 7, 6, 5, 4, 3, 2, 1, 7, 6, 5, 4, 3, 2, 1, 0]);
const WL = Int32Array.from([-60, -30, 58, 172, 334, 538, 1198, 3042]);
/** SCALEL/SCALEH: 2^(i/32) × 2048, the log-to-linear table. */
const ILB = Int32Array.from([2048, 2093, 2139, 2186, 2233, 2282, 2332, 2383, 2435, 2489, 2543, 2599, 2656, 2714, 2774,
  2834, 2896, 2960, 3025, 3091, 3158, 3228, 3298, 3371, 3444, 3520, 3597, 3676, 3756, 3838, 3922, 4008]);
/** Higher band: INVQAH levels, QUANTH codes, LOGSCH increments. */
const QM2 = Int32Array.from([-7408, -1616, 7408, 1616]);
const IHN = Int32Array.from([0, 1, 0]);
const IHP = Int32Array.from([0, 3, 2]);
const RH2 = Int32Array.from([2, 1, 2, 1]);
const WH = Int32Array.from([0, -214, 798]);
/*
 * QMF coefficients h(0), h(2), …, h(22) = 3, -11, 12, 32, -210, 951, 3876, -805, 362, -156, 53, -11; the odd ones
 * are the same set reversed (the filter is symmetric). Unrolled as constants in qmfEvenTaps / qmfOddTaps.
 */

function sat(v: number): number {
  return v > 32767 ? 32767 : v < -32768 ? -32768 : v;
}

// One sub-band's adaptive state, as slots of an Int32Array (every value is a 16-bit-saturated or small integer).
/** Signal estimate (PREDIC) and its zero-predictor part (FILTEZ). */
const S = 0;
const SZ = 1;
/** Reconstructed signal r(k-1), r(k-2) and partial reconstructed signal p(k-1), p(k-2). */
const R1 = 2;
const R2 = 3;
const P1 = 4;
const P2 = 5;
/** Pole predictor coefficients. */
const A1 = 6;
const A2 = 7;
/** Quantised differences d(k-1)…d(k-6) at D, D+1…D+5 and zero predictor coefficients b1…b6 at B…B+5. */
const D = 8;
const B = 14;
/** Log scale factor (LOGSCL/LOGSCH) and linear scale factor (SCALEL/SCALEH). */
const NB = 20;
const DET = 21;
const STATE_SLOTS = 22;

function newBand(initialDet: number): Int32Array {
  const st = new Int32Array(STATE_SLOTS);
  st[DET] = initialDet;
  return st;
}

function resetBand(st: Int32Array, initialDet: number): void {
  st.fill(0);
  st[DET] = initialDet;
}

/** LOGSCL + SCALEL (lower band) for the 4-bit adaptation code `ril`. */
function scaleLow(st: Int32Array, ril: number): void {
  let nb = (((st[NB] ?? 0) * 127) >> 7) + (WL[RL42[ril] ?? 0] ?? 0);
  if (nb < 0) nb = 0;
  else if (nb > 18432) nb = 18432;
  st[NB] = nb;
  const shift = 8 - (nb >> 11);
  const m = ILB[(nb >> 6) & 31] ?? 0;
  st[DET] = (shift < 0 ? m << -shift : m >> shift) << 2;
}

/** LOGSCH + SCALEH (higher band). */
function scaleHigh(st: Int32Array, ih: number): void {
  let nb = (((st[NB] ?? 0) * 127) >> 7) + (WH[RH2[ih] ?? 0] ?? 0);
  if (nb < 0) nb = 0;
  else if (nb > 22528) nb = 22528;
  st[NB] = nb;
  const shift = 10 - (nb >> 11);
  const m = ILB[(nb >> 6) & 31] ?? 0;
  st[DET] = (shift < 0 ? m << -shift : m >> shift) << 2;
}

/** `v` when the 16-bit values whose XOR is `x` agree in sign, else `-v` (without a branch). */
function signed(v: number, x: number): number {
  const m = x >> 31;
  return (v ^ m) - m;
}

/** Block 4 (both bands): RECONS, PARREC, UPPOL2, UPPOL1, UPZERO, DELAYA, FILTEP, FILTEZ, PREDIC. */
function adapt(st: Int32Array, dx: number): void {
  const sz0 = st[SZ] ?? 0;
  const r0 = sat((st[S] ?? 0) + dx);
  const p0 = sat(sz0 + dx);
  const a1 = st[A1] ?? 0;
  const a2 = st[A2] ?? 0;
  const r1 = st[R1] ?? 0;

  // UPPOL2
  // Sign agreement without branches (they are data-dependent, so mispredicted half the time): for 16-bit values
  // `(x ^ y) >> 31` is 0 when the signs agree and -1 when they differ, and `(v ^ m) - m` is v when m is 0, -v when -1.
  const m1 = (p0 ^ (st[P1] ?? 0)) >> 31;
  const m2 = (p0 ^ (st[P2] ?? 0)) >> 31;
  const wa = sat(a1 << 2);
  let wb = (wa ^ ~m1) - ~m1; // -wa when sg0 = sg1, else wa
  if (wb > 32767) wb = 32767;
  let ap2 = (wb >> 7) + ((128 ^ m2) - m2) + ((a2 * 32512) >> 15);
  if (ap2 > 12288) ap2 = 12288;
  else if (ap2 < -12288) ap2 = -12288;

  // UPPOL1
  let ap1 = sat(((192 ^ m1) - m1) + ((a1 * 32640) >> 15));
  const lim = sat(15360 - ap2);
  if (ap1 > lim) ap1 = lim;
  else if (ap1 < -lim) ap1 = -lim;

  // UPZERO on d(k-1)…d(k-6), then DELAYA (d(k)…d(k-5)); FILTEZ on the new delay line as we go.
  const step = dx === 0 ? 0 : 128;
  const d1 = st[D] ?? 0;
  const d2 = st[D + 1] ?? 0;
  const d3 = st[D + 2] ?? 0;
  const d4 = st[D + 3] ?? 0;
  const d5 = st[D + 4] ?? 0;
  const d6 = st[D + 5] ?? 0;
  const b1 = sat(signed(step, d1 ^ dx) + (((st[B] ?? 0) * 32640) >> 15));
  const b2 = sat(signed(step, d2 ^ dx) + (((st[B + 1] ?? 0) * 32640) >> 15));
  const b3 = sat(signed(step, d3 ^ dx) + (((st[B + 2] ?? 0) * 32640) >> 15));
  const b4 = sat(signed(step, d4 ^ dx) + (((st[B + 3] ?? 0) * 32640) >> 15));
  const b5 = sat(signed(step, d5 ^ dx) + (((st[B + 4] ?? 0) * 32640) >> 15));
  const b6 = sat(signed(step, d6 ^ dx) + (((st[B + 5] ?? 0) * 32640) >> 15));
  st[B] = b1;
  st[B + 1] = b2;
  st[B + 2] = b3;
  st[B + 3] = b4;
  st[B + 4] = b5;
  st[B + 5] = b6;
  st[D] = dx;
  st[D + 1] = d1;
  st[D + 2] = d2;
  st[D + 3] = d3;
  st[D + 4] = d4;
  st[D + 5] = d5;
  st[R2] = r1;
  st[R1] = r0;
  st[P2] = st[P1] ?? 0;
  st[P1] = p0;
  st[A2] = ap2;
  st[A1] = ap1;

  // FILTEP, FILTEZ, PREDIC
  const sp = sat(((ap1 * sat(r0 + r0)) >> 15) + ((ap2 * sat(r1 + r1)) >> 15));
  const sz = sat(
    ((b1 * sat(dx * 2)) >> 15) +
      ((b2 * sat(d1 * 2)) >> 15) +
      ((b3 * sat(d2 * 2)) >> 15) +
      ((b4 * sat(d3 * 2)) >> 15) +
      ((b5 * sat(d4 * 2)) >> 15) +
      ((b6 * sat(d5 * 2)) >> 15),
  );
  st[SZ] = sz;
  st[S] = sat(sp + sz);
}

/** The transmit/receive QMF's even taps over `x[at]`…`x[at + 23]` (oldest first): Σ x[at+2i]·h(2i) (h(2i) = QMF[i]). */
function qmfEvenTaps(x: Int32Array, at: number): number {
  return (
    3 * (x[at] ?? 0) - 11 * (x[at + 2] ?? 0) + 12 * (x[at + 4] ?? 0) + 32 * (x[at + 6] ?? 0) -
    210 * (x[at + 8] ?? 0) + 951 * (x[at + 10] ?? 0) + 3876 * (x[at + 12] ?? 0) - 805 * (x[at + 14] ?? 0) +
    362 * (x[at + 16] ?? 0) - 156 * (x[at + 18] ?? 0) + 53 * (x[at + 20] ?? 0) - 11 * (x[at + 22] ?? 0)
  );
}

/** The odd taps: Σ x[at+2i+1]·h(2i+1), where h(2i+1) = h(22-2i) = QMF[11-i] (the filter is symmetric). */
function qmfOddTaps(x: Int32Array, at: number): number {
  return (
    -11 * (x[at + 1] ?? 0) + 53 * (x[at + 3] ?? 0) - 156 * (x[at + 5] ?? 0) + 362 * (x[at + 7] ?? 0) -
    805 * (x[at + 9] ?? 0) + 3876 * (x[at + 11] ?? 0) + 951 * (x[at + 13] ?? 0) - 210 * (x[at + 15] ?? 0) +
    32 * (x[at + 17] ?? 0) + 12 * (x[at + 19] ?? 0) - 11 * (x[at + 21] ?? 0) + 3 * (x[at + 23] ?? 0)
  );
}

/** QMF history kept between calls: the 22 newest samples of the delay line. */
const QMF_HISTORY = 22;

/** A delay line with room for QMF_HISTORY + `samples`: `line` itself while large enough, else a copy of its history. */
function lineFor(line: Int32Array<ArrayBuffer>, samples: number): Int32Array<ArrayBuffer> {
  if (line.length >= QMF_HISTORY + samples) return line;
  const bigger = new Int32Array(QMF_HISTORY + samples);
  bigger.set(line.subarray(0, QMF_HISTORY));
  return bigger;
}

/** Q6 padded to 32 entries with its last level, for the fixed five-step search in quantInterval. */
const Q6_PADDED = Int32Array.from({ length: 32 }, (_, i) => Q6[Math.min(i, 29)] ?? 0);

/**
 * QUANTL's decision interval of `wd` (1…30): the smallest i in 1…29 with wd < (Q6[i]·det) >> 12, else 30, the
 * result of the Recommendation's linear scan. The thresholds never decrease with i, so this is 1 + the number of
 * thresholds ≤ wd, found by a five-step binary search whose steps add `half` or 0 without a branch.
 */
function quantInterval(wd: number, det: number): number {
  let pos = 0;
  pos += 16 & ((((Q6_PADDED[pos + 16] ?? 0) * det) >> 12) - 1 - wd) >> 31;
  pos += 8 & ((((Q6_PADDED[pos + 8] ?? 0) * det) >> 12) - 1 - wd) >> 31;
  pos += 4 & ((((Q6_PADDED[pos + 4] ?? 0) * det) >> 12) - 1 - wd) >> 31;
  pos += 2 & ((((Q6_PADDED[pos + 2] ?? 0) * det) >> 12) - 1 - wd) >> 31;
  pos += 1 & ((((Q6_PADDED[pos + 1] ?? 0) * det) >> 12) - 1 - wd) >> 31;
  return (pos > 29 ? 29 : pos) + 1;
}

/** G.722 encoder: 16 kHz PCM in, one byte per two samples out. An odd trailing sample waits for the next call. */
export class G722Encoder implements AudioEncoder {
  readonly sampleRate = G722_SAMPLE_RATE;
  private readonly low = newBand(32);
  private readonly high = newBand(8);
  /** Transmit QMF delay line: QMF_HISTORY samples of history, then the current call's samples. */
  private line: Int32Array<ArrayBuffer> = new Int32Array(QMF_HISTORY + 320);
  private pending: number | null = null;

  encode(pcm: Int16Array): Uint8Array {
    // The sample stream is [pending sample, if any, ...pcm]; whole pairs are coded, an odd last sample waits.
    const first = this.pending;
    const carried = first === null ? 0 : 1;
    const total = pcm.length + carried;
    const pairs = total >> 1;
    const out = new Uint8Array(pairs);
    const x = (this.line = lineFor(this.line, 2 * pairs));
    if (first !== null && pairs > 0) x[QMF_HISTORY] = first;
    const used = 2 * pairs - carried;
    for (let j = 0; j < used; j++) x[QMF_HISTORY + carried + j] = pcm[j] ?? 0;
    this.pending = (total & 1) === 0 ? null : pcm.length > 0 ? (pcm[pcm.length - 1] ?? 0) : first;

    const low = this.low;
    const high = this.high;
    for (let o = 0; o < pairs; o++) {
      const sumOdd = qmfEvenTaps(x, 2 * o);
      const sumEven = qmfOddTaps(x, 2 * o);
      // QMF DC gain 4096 (>> 12), two filters summed (>> 1), 15-bit input to the ADPCM (>> 1).
      const xlow = (sumEven + sumOdd) >> 14;
      const xhigh = (sumEven - sumOdd) >> 14;

      // Lower band: SUBTRA, QUANTL, INVQAL, LOGSCL, SCALEL, block 4
      const el = sat(xlow - (low[S] ?? 0));
      const det = low[DET] ?? 0;
      const i = quantInterval(el >= 0 ? el : ~el, det); // ~el = -(el + 1)
      const il = el < 0 ? (ILN[i] ?? 0) : (ILP[i] ?? 0);
      const ril = il >> 2;
      const dlow = (det * (QM4[ril] ?? 0)) >> 15;
      scaleLow(low, ril);
      adapt(low, dlow);

      // Higher band: SUBTRA, QUANTH, INVQAH, LOGSCH, SCALEH, block 4
      const eh = sat(xhigh - (high[S] ?? 0));
      const wh = eh >= 0 ? eh : ~eh;
      const hdet = high[DET] ?? 0;
      const mih = wh >= (564 * hdet) >> 12 ? 2 : 1;
      const ih = eh < 0 ? (IHN[mih] ?? 0) : (IHP[mih] ?? 0);
      const dhigh = (hdet * (QM2[ih] ?? 0)) >> 15;
      scaleHigh(high, ih);
      adapt(high, dhigh);

      out[o] = (ih << 6) | il;
    }
    x.copyWithin(0, 2 * pairs, 2 * pairs + QMF_HISTORY);
    return out;
  }

  reset(): void {
    resetBand(this.low, 32);
    resetBand(this.high, 8);
    this.line.fill(0);
    this.pending = null;
  }
}

/** G.722 decoder: one byte → two 16 kHz samples. Every byte is a valid code, so it never throws. */
export class G722Decoder implements AudioDecoder {
  readonly sampleRate = G722_SAMPLE_RATE;
  private readonly low = newBand(32);
  private readonly high = newBand(8);
  /** Receive QMF delay line: QMF_HISTORY samples of history, then the current call's samples. */
  private line: Int32Array<ArrayBuffer> = new Int32Array(QMF_HISTORY + 320);
  private readonly plc = new PacketLossConcealer(G722_SAMPLE_RATE);

  decode(payload: Uint8Array): Int16Array {
    const n = payload.length;
    const out = new Int16Array(n * 2);
    const low = this.low;
    const high = this.high;
    const x = (this.line = lineFor(this.line, 2 * n));
    for (let j = 0; j < n; j++) {
      const code = payload[j] ?? 0;
      const il = code & 0x3f;
      const ih = code >> 6;

      // Lower band: INVQBL, RECONS, LIMIT (output path, 6 bits); INVQAL, LOGSCL, SCALEL, block 4 (4 bits)
      const det = low[DET] ?? 0;
      let rlow = (low[S] ?? 0) + ((det * (QM6[il] ?? 0)) >> 15);
      if (rlow > 16383) rlow = 16383;
      else if (rlow < -16384) rlow = -16384;
      const ril = il >> 2;
      const dlow = (det * (QM4[ril] ?? 0)) >> 15;
      scaleLow(low, ril);
      adapt(low, dlow);

      // Higher band: INVQAH, RECONS, LIMIT, LOGSCH, SCALEH, block 4
      const dhigh = ((high[DET] ?? 0) * (QM2[ih] ?? 0)) >> 15;
      let rhigh = (high[S] ?? 0) + dhigh;
      if (rhigh > 16383) rhigh = 16383;
      else if (rhigh < -16384) rhigh = -16384;
      scaleHigh(high, ih);
      adapt(high, dhigh);

      // Receive QMF
      x[QMF_HISTORY + 2 * j] = rlow + rhigh;
      x[QMF_HISTORY + 2 * j + 1] = rlow - rhigh;
      out[2 * j] = sat(qmfOddTaps(x, 2 * j) >> 11);
      out[2 * j + 1] = sat(qmfEvenTaps(x, 2 * j) >> 11);
    }
    x.copyWithin(0, 2 * n, 2 * n + QMF_HISTORY);
    return this.plc.receive(out);
  }

  conceal(samples: number): Int16Array {
    return this.plc.conceal(samples);
  }

  reset(): void {
    resetBand(this.low, 32);
    resetBand(this.high, 8);
    this.line.fill(0);
    this.plc.reset();
  }
}
