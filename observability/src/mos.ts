/**
 * ITU-T G.107 (06/2015) E-model, narrowband, for a per-call MOS estimate from measured delay and loss.
 *
 * What is implemented, exactly:
 *   R = Ro − Is − Id − Ie,eff + A                                                            (G.107 eq. 7-1)
 * - Ro and Is: the full formulas (§7.2, §7.3: No, Nos, Nor, Nfo, Iolr, Ist, Iq) evaluated with every loudness,
 *   noise and sidetone parameter at its Table 3 default (SLR 8, RLR 2, STMR 15, LSTR 18, Ds = Dr = 3, Nc −70,
 *   Nfor −64, Ps = Pr = 35, qdu 1, TELR 65, WEPL 110). That gives Ro = 94.77 and Is = 1.41 (the Recommendation's
 *   figures) and R = 93.2 for a zero-delay, loss-free G.711 call.
 * - Id = Idte + Idle + Idd (§7.4) with the talker-echo path delay T = Ta, the listener-echo round trip Tr = 2·Ta,
 *   TELR 65 dB and WEPL 110 dB (the defaults: a well-cancelled echo path), and the delay term
 *   Idd = 25·{(1 + X^(6·sT))^(1/(6·sT)) − 3·(1 + (X/3)^(6·sT))^(1/(6·sT)) + 2}, X = log2(Ta / mT), for Ta > mT,
 *   with the default delay-sensitivity class mT = 100 ms, sT = 1. (The common simplification of Cole &
 *   Rosenbluth, Id ≈ 0.024·d + 0.11·(d − 177.3)·H(d − 177.3), is a fit to these same curves; the tests compare.)
 * - Ie,eff = Ie + (95 − Ie) · Ppl / (Ppl / BurstR + Bpl)                                      (eq. 7-29)
 *   with Ie and Bpl per codec from codec-impairment.ts.
 * - A = 0 (wired access) unless given.
 * - MOS from R (Annex B): 1 for R < 0; 1 + 0.035·R + R·(R − 60)·(100 − R)·7·10⁻⁶ for 0 ≤ R ≤ 100; 4.5 above;
 *   clamped to [1, 4.5] (the polynomial dips just under 1 for R < 6.5).
 *
 * Not modelled: the time-varying (recency) effect of loss bursts, wideband (G.107.1; wideband codecs are scored on
 * this narrowband scale, see codec-impairment.ts), and echo paths worse than the defaults.
 */

export interface EModelInput {
  /** Mouth-to-ear one-way delay Ta, ms. Also the talker-echo path delay T; the listener-echo round trip is 2·Ta. */
  oneWayDelayMs: number;
  /** Ppl: packet-loss probability in percent (0–100), counting packets discarded as too late. */
  packetLossPercent: number;
  /** BurstR: 1 for random loss (default); > 1 when losses come in bursts. */
  burstR?: number;
  /** Equipment impairment of the codec (default 0, G.711). */
  ie?: number;
  /** Packet-loss robustness of the codec (default 25.1, G.711 with Appendix I concealment). */
  bpl?: number;
  /** Advantage factor A (default 0). */
  advantage?: number;
}

export interface EModelResult {
  /** Transmission rating R (narrowband scale, ≤ 100). */
  r: number;
  /** Estimated MOS-CQE, 1…4.5. */
  mos: number;
  ro: number;
  is: number;
  id: number;
  idte: number;
  idle: number;
  idd: number;
  ieEff: number;
}

/** G.107 Table 3 defaults. */
const SLR = 8;
const RLR = 2;
const STMR = 15;
const LSTR = 18;
const DS = 3;
const NC = -70;
const NFOR = -64;
const PS = 35;
const PR = 35;
const QDU = 1;
const TELR = 65;
const WEPL = 110;
const MT = 100;
const ST = 1;

const log10 = Math.log10;

/** Noise floor No (dBm0p) and basic signal-to-noise ratio Ro, §7.2. */
function basicRatio(): { no: number; ro: number } {
  const olr = SLR + RLR;
  const nos = PS - SLR - DS - 100 + 0.004 * (PS - olr - DS - 14) ** 2;
  const pre = PR + 10 * log10(1 + 10 ** ((10 - LSTR) / 10));
  const nor = RLR - 121 + pre + 0.008 * (pre - 35) ** 2;
  const nfo = NFOR + RLR;
  const no = 10 * log10(10 ** (NC / 10) + 10 ** (nos / 10) + 10 ** (nor / 10) + 10 ** (nfo / 10));
  return { no, ro: 15 - 1.5 * (SLR + no) };
}

const { no: NO, ro: RO } = basicRatio();

/** Simultaneous impairment Is = Iolr + Ist + Iq, §7.3 (Ist depends on the echo delay T through STMRo). */
function simultaneousImpairment(tMs: number): number {
  const xolr = SLR + RLR + 0.2 * (64 + NO - RLR);
  const iolr = 20 * ((1 + (xolr / 8) ** 8) ** (1 / 8) - xolr / 8);
  const stmro = -10 * log10(10 ** (-STMR / 10) + Math.exp(-tMs / 4) * 10 ** (-TELR / 10));
  const ist = 12 * (1 + ((stmro - 13) / 6) ** 8) ** (1 / 8) - 28 * (1 + ((stmro + 1) / 19.4) ** 35) ** (1 / 35) - 13 * (1 + ((stmro - 3) / 33) ** 13) ** (1 / 13) + 29;
  const q = 37 - 15 * log10(QDU);
  const g = 1.07 + 0.258 * q + 0.0602 * q * q;
  const y = (RO - 100) / 15 + 46 / 8.4 - g / 9;
  const z = 46 / 30 - g / 40;
  const iq = 15 * log10(1 + 10 ** y + 10 ** z);
  return iolr + ist + iq;
}

/** Delay impairments Idte (talker echo), Idle (listener echo) and Idd (pure delay), §7.4. */
export function delayImpairment(taMs: number): { id: number; idte: number; idle: number; idd: number } {
  const t = Math.max(0, taMs);
  const tr = 2 * t;
  const terv = TELR - 40 * log10((1 + t / 10) / (1 + t / 150)) + 6 * Math.exp(-0.3 * t * t);
  const roe = -1.5 * (NO - RLR);
  const re = 80 + 2.5 * (terv - 14);
  const idte = ((roe - re) / 2 + Math.sqrt((roe - re) ** 2 / 4 + 100) - 1) * (1 - Math.exp(-t));
  const rle = 10.5 * (WEPL + 7) * (tr + 1) ** -0.25;
  const idle = (RO - rle) / 2 + Math.sqrt((RO - rle) ** 2 / 4 + 169);
  let idd = 0;
  if (t > MT) {
    const x = log10(t / MT) / log10(2);
    const k = 6 * ST;
    idd = 25 * ((1 + x ** k) ** (1 / k) - 3 * (1 + (x / 3) ** k) ** (1 / k) + 2);
  }
  return { id: idte + idle + idd, idte, idle, idd };
}

/** Effective equipment impairment under packet loss, eq. 7-29. */
export function effectiveEquipmentImpairment(ie: number, bpl: number, pplPercent: number, burstR = 1): number {
  const ppl = Math.min(100, Math.max(0, pplPercent));
  return ie + ((95 - ie) * ppl) / (ppl / burstR + bpl);
}

/** MOS-CQE from R, G.107 Annex B, clamped to [1, 4.5]. */
export function rToMos(r: number): number {
  if (!(r > 0)) return 1;
  if (r >= 100) return 4.5;
  const mos = 1 + 0.035 * r + r * (r - 60) * (100 - r) * 7e-6;
  return Math.min(4.5, Math.max(1, mos));
}

/** The E-model rating and MOS for one call (see the file comment for exactly what is modelled). */
export function eModel(input: EModelInput): EModelResult {
  const ta = Number.isFinite(input.oneWayDelayMs) ? Math.max(0, input.oneWayDelayMs) : 0;
  const d = delayImpairment(ta);
  const is = simultaneousImpairment(ta);
  const ieEff = effectiveEquipmentImpairment(input.ie ?? 0, input.bpl ?? 25.1, input.packetLossPercent, input.burstR ?? 1);
  const r = RO - is - d.id - ieEff + (input.advantage ?? 0);
  return { r, mos: rToMos(r), ro: RO, is, id: d.id, idte: d.idte, idle: d.idle, idd: d.idd, ieEff };
}
