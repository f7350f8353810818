/**
 * TEST-ONLY REFERENCE: the G.722 codec as it was before the per-frame speed-up (issue 15), kept verbatim (classes
 * renamed) so g722-equivalence.test.ts can prove the fast g722.ts is bit-exact with it and bench/src/micro/codecs.ts
 * can time both in one run. Not exported from the package; do not use it on the media path.
 *
 * Original description follows.
 *
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
 */

import type { AudioDecoder, AudioEncoder } from './codec.js';
import { PacketLossConcealer } from './plc.js';

const G722_SAMPLE_RATE = 16_000;

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
/** QMF coefficients h(0), h(2), …, h(22); the odd ones are the same set reversed (the filter is symmetric). */
const QMF = Int32Array.from([3, -11, 12, 32, -210, 951, 3876, -805, 362, -156, 53, -11]);

function sat(v: number): number {
  return v > 32767 ? 32767 : v < -32768 ? -32768 : v;
}

/** The adaptive state of one sub-band (predictor, quantiser scale). */
class SubBandState {
  /** Signal estimate (PREDIC), pole part (FILTEP), zero part (FILTEZ). */
  s = 0;
  sp = 0;
  sz = 0;
  /** Reconstructed signal and partial reconstructed signal, delayed by 1 and 2. */
  r1 = 0;
  r2 = 0;
  p1 = 0;
  p2 = 0;
  /** Pole predictor coefficients. */
  a1 = 0;
  a2 = 0;
  /** Quantised differences d[1..6] = d(k)…d(k-5) after each sample (d[0] unused) and zero predictor b[1..6]. */
  readonly d = new Int32Array(7);
  readonly b = new Int32Array(7);
  /** Log scale factor and linear scale factor. */
  nb = 0;
  det: number;

  constructor(private readonly initialDet: number) {
    this.det = initialDet;
  }

  reset(): void {
    this.s = this.sp = this.sz = 0;
    this.r1 = this.r2 = this.p1 = this.p2 = 0;
    this.a1 = this.a2 = 0;
    this.d.fill(0);
    this.b.fill(0);
    this.nb = 0;
    this.det = this.initialDet;
  }
}

/** LOGSCL + SCALEL (lower band) for adaptation code class `il4` = RL42[ril]. */
function scaleLow(st: SubBandState, ril: number): void {
  let nb = ((st.nb * 127) >> 7) + (WL[RL42[ril] ?? 0] ?? 0);
  if (nb < 0) nb = 0;
  else if (nb > 18432) nb = 18432;
  st.nb = nb;
  const shift = 8 - (nb >> 11);
  const m = ILB[(nb >> 6) & 31] ?? 0;
  st.det = (shift < 0 ? m << -shift : m >> shift) << 2;
}

/** LOGSCH + SCALEH (higher band). */
function scaleHigh(st: SubBandState, ih: number): void {
  let nb = ((st.nb * 127) >> 7) + (WH[RH2[ih] ?? 0] ?? 0);
  if (nb < 0) nb = 0;
  else if (nb > 22528) nb = 22528;
  st.nb = nb;
  const shift = 10 - (nb >> 11);
  const m = ILB[(nb >> 6) & 31] ?? 0;
  st.det = (shift < 0 ? m << -shift : m >> shift) << 2;
}

/** Block 4 (both bands): RECONS, PARREC, UPPOL2, UPPOL1, UPZERO, DELAYA, FILTEP, FILTEZ, PREDIC. */
function adapt(st: SubBandState, dx: number): void {
  const r0 = sat(st.s + dx);
  const p0 = sat(st.sz + dx);

  // UPPOL2
  const sg0 = p0 >> 15;
  const sg1 = st.p1 >> 15;
  const sg2 = st.p2 >> 15;
  const wa = sat(st.a1 << 2);
  let wb = sg0 === sg1 ? -wa : wa;
  if (wb > 32767) wb = 32767;
  let ap2 = (wb >> 7) + (sg0 === sg2 ? 128 : -128) + ((st.a2 * 32512) >> 15);
  if (ap2 > 12288) ap2 = 12288;
  else if (ap2 < -12288) ap2 = -12288;

  // UPPOL1
  let ap1 = sat((sg0 === sg1 ? 192 : -192) + ((st.a1 * 32640) >> 15));
  const lim = sat(15360 - ap2);
  if (ap1 > lim) ap1 = lim;
  else if (ap1 < -lim) ap1 = -lim;

  // UPZERO: d[1..6] hold d(k-1)…d(k-6); b[i] is updated in place. Then DELAYA: d[1..6] become d(k)…d(k-5).
  const d = st.d;
  const b = st.b;
  const step = dx === 0 ? 0 : 128;
  const sgd = dx >> 15;
  for (let i = 1; i < 7; i++) {
    b[i] = sat((((d[i] ?? 0) >> 15) === sgd ? step : -step) + (((b[i] ?? 0) * 32640) >> 15));
  }
  for (let i = 6; i > 1; i--) d[i] = d[i - 1] ?? 0;
  d[1] = dx;
  st.r2 = st.r1;
  st.r1 = r0;
  st.p2 = st.p1;
  st.p1 = p0;
  st.a2 = ap2;
  st.a1 = ap1;

  // FILTEP
  const sp = sat(((ap1 * sat(r0 + r0)) >> 15) + ((ap2 * sat(st.r2 + st.r2)) >> 15));
  st.sp = sp;
  // FILTEZ
  let sz = 0;
  for (let i = 6; i > 0; i--) sz += ((b[i] ?? 0) * sat((d[i] ?? 0) * 2)) >> 15;
  st.sz = sat(sz);
  // PREDIC
  st.s = sat(sp + st.sz);
}

/** G.722 encoder: 16 kHz PCM in, one byte per two samples out. An odd trailing sample waits for the next call. */
export class G722ReferenceEncoder implements AudioEncoder {
  readonly sampleRate = G722_SAMPLE_RATE;
  private readonly low = new SubBandState(32);
  private readonly high = new SubBandState(8);
  /** Transmit QMF delay line, oldest first. */
  private readonly x = new Int32Array(24);
  private pending: number | null = null;

  encode(pcm: Int16Array): Uint8Array {
    const total = pcm.length + (this.pending === null ? 0 : 1);
    const out = new Uint8Array(total >> 1);
    let j = 0;
    let first = this.pending;
    for (let o = 0; o < out.length; o++) {
      let s0: number;
      if (first !== null) {
        s0 = first;
        first = null;
      } else {
        s0 = pcm[j++] ?? 0;
      }
      const s1 = pcm[j++] ?? 0;
      out[o] = this.encodePair(s0, s1);
    }
    this.pending = j < pcm.length ? (pcm[j] ?? 0) : first;
    return out;
  }

  reset(): void {
    this.low.reset();
    this.high.reset();
    this.x.fill(0);
    this.pending = null;
  }

  private encodePair(s0: number, s1: number): number {
    // Transmit QMF
    const x = this.x;
    for (let i = 0; i < 22; i++) x[i] = x[i + 2] ?? 0;
    x[22] = s0;
    x[23] = s1;
    let sumOdd = 0;
    let sumEven = 0;
    for (let i = 0; i < 12; i++) {
      sumOdd += (x[2 * i] ?? 0) * (QMF[i] ?? 0);
      sumEven += (x[2 * i + 1] ?? 0) * (QMF[11 - i] ?? 0);
    }
    // QMF DC gain 4096 (>> 12), two filters summed (>> 1), 15-bit input to the ADPCM (>> 1).
    const xlow = (sumEven + sumOdd) >> 14;
    const xhigh = (sumEven - sumOdd) >> 14;

    // Lower band: SUBTRA, QUANTL
    const low = this.low;
    const el = sat(xlow - low.s);
    const wd = el >= 0 ? el : -(el + 1);
    const det = low.det;
    let i = 1;
    while (i < 30 && wd >= ((Q6[i] ?? 0) * det) >> 12) i++;
    const il = el < 0 ? (ILN[i] ?? 0) : (ILP[i] ?? 0);
    // INVQAL, LOGSCL, SCALEL, block 4
    const ril = il >> 2;
    const dlow = (det * (QM4[ril] ?? 0)) >> 15;
    scaleLow(low, ril);
    adapt(low, dlow);

    // Higher band: SUBTRA, QUANTH, INVQAH, LOGSCH, SCALEH, block 4
    const high = this.high;
    const eh = sat(xhigh - high.s);
    const wh = eh >= 0 ? eh : -(eh + 1);
    const mih = wh >= (564 * high.det) >> 12 ? 2 : 1;
    const ih = eh < 0 ? (IHN[mih] ?? 0) : (IHP[mih] ?? 0);
    const dhigh = (high.det * (QM2[ih] ?? 0)) >> 15;
    scaleHigh(high, ih);
    adapt(high, dhigh);

    return (ih << 6) | il;
  }
}

/** G.722 decoder: one byte → two 16 kHz samples. Every byte is a valid code, so it never throws. */
export class G722ReferenceDecoder implements AudioDecoder {
  readonly sampleRate = G722_SAMPLE_RATE;
  private readonly low = new SubBandState(32);
  private readonly high = new SubBandState(8);
  /** Receive QMF delay line, oldest first. */
  private readonly x = new Int32Array(24);
  private readonly plc = new PacketLossConcealer(G722_SAMPLE_RATE);

  decode(payload: Uint8Array): Int16Array {
    const out = new Int16Array(payload.length * 2);
    const low = this.low;
    const high = this.high;
    const x = this.x;
    for (let j = 0; j < payload.length; j++) {
      const code = payload[j] ?? 0;
      const il = code & 0x3f;
      const ih = code >> 6;

      // Lower band: INVQBL, RECONS, LIMIT (output path, 6 bits)
      const det = low.det;
      let rlow = low.s + ((det * (QM6[il] ?? 0)) >> 15);
      if (rlow > 16383) rlow = 16383;
      else if (rlow < -16384) rlow = -16384;
      // INVQAL, LOGSCL, SCALEL, block 4 (adaptation path, 4 bits)
      const ril = il >> 2;
      const dlow = (det * (QM4[ril] ?? 0)) >> 15;
      scaleLow(low, ril);
      adapt(low, dlow);

      // Higher band: INVQAH, RECONS, LIMIT, LOGSCH, SCALEH, block 4
      const dhigh = (high.det * (QM2[ih] ?? 0)) >> 15;
      let rhigh = high.s + dhigh;
      if (rhigh > 16383) rhigh = 16383;
      else if (rhigh < -16384) rhigh = -16384;
      scaleHigh(high, ih);
      adapt(high, dhigh);

      // Receive QMF
      for (let i = 0; i < 22; i++) x[i] = x[i + 2] ?? 0;
      x[22] = rlow + rhigh;
      x[23] = rlow - rhigh;
      let xout1 = 0;
      let xout2 = 0;
      for (let i = 0; i < 12; i++) {
        xout2 += (x[2 * i] ?? 0) * (QMF[i] ?? 0);
        xout1 += (x[2 * i + 1] ?? 0) * (QMF[11 - i] ?? 0);
      }
      out[2 * j] = sat(xout1 >> 11);
      out[2 * j + 1] = sat(xout2 >> 11);
    }
    return this.plc.receive(out);
  }

  conceal(samples: number): Int16Array {
    return this.plc.conceal(samples);
  }

  reset(): void {
    this.low.reset();
    this.high.reset();
    this.x.fill(0);
    this.plc.reset();
  }
}
