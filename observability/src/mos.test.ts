import { describe, expect, it } from 'vitest';
import { codecImpairment } from './codec-impairment.js';
import { delayImpairment, eModel, effectiveEquipmentImpairment, rToMos } from './mos.js';

/** Cole & Rosenbluth (2001), the common fit to G.107's delay curves with default echo values. */
const coleRosenbluthId = (d: number): number => 0.024 * d + (d > 177.3 ? 0.11 * (d - 177.3) : 0);

describe('E-model (G.107)', () => {
  it('reproduces the Recommendation default figures: Ro 94.77, Is 1.41, Id 0.15, R 93.2', () => {
    const r = eModel({ oneWayDelayMs: 0, packetLossPercent: 0 });
    expect(r.ro).toBeCloseTo(94.77, 2);
    expect(r.is).toBeCloseTo(1.41, 2);
    expect(r.id).toBeCloseTo(0.15, 2);
    expect(r.ieEff).toBe(0);
    expect(r.r).toBeCloseTo(93.2, 1);
    expect(r.mos).toBeCloseTo(4.41, 2);
  });

  it('converts R to MOS with Annex B at the published reference points, clamped to [1, 4.5]', () => {
    expect(rToMos(93.2)).toBeCloseTo(4.41, 2);
    expect(rToMos(80)).toBeCloseTo(4.02, 2);
    expect(rToMos(70)).toBeCloseTo(3.6, 2);
    expect(rToMos(60)).toBeCloseTo(3.1, 2);
    expect(rToMos(50)).toBeCloseTo(2.58, 2);
    expect(rToMos(3)).toBe(1); // the polynomial gives 0.989 here
    expect(rToMos(0)).toBe(1);
    expect(rToMos(-20)).toBe(1);
    expect(rToMos(100)).toBe(4.5);
    expect(rToMos(130)).toBe(4.5);
    expect(rToMos(Number.NaN)).toBe(1);
  });

  it('has no pure-delay impairment up to mT = 100 ms, and Idd(200 ms) = 3.04 (X = 1)', () => {
    expect(delayImpairment(100).idd).toBe(0);
    expect(delayImpairment(80).idd).toBe(0);
    // X = 1: 25·((2)^(1/6) − 3·(1 + 3^-6)^(1/6) + 2)
    expect(delayImpairment(200).idd).toBeCloseTo(25 * (2 ** (1 / 6) - 3 * (1 + 3 ** -6) ** (1 / 6) + 2), 10);
    expect(delayImpairment(200).idd).toBeCloseTo(3.04, 2);
  });

  it('tracks the Cole & Rosenbluth delay fit within 0.5 up to 300 ms (Id 3.8 at 150 ms, 20.7 at 300 ms)', () => {
    for (const d of [0, 50, 100, 150, 200, 250, 300]) expect(Math.abs(delayImpairment(d).id - coleRosenbluthId(d))).toBeLessThan(0.5);
    expect(delayImpairment(150).id).toBeCloseTo(3.82, 1);
    expect(delayImpairment(300).id).toBeCloseTo(20.7, 1);
    // Beyond ~350 ms the linear fit keeps rising while G.107's Idd flattens.
    expect(delayImpairment(500).id).toBeLessThan(coleRosenbluthId(500));
  });

  it('rates a loss-free G.711 call at 150 ms one-way delay MOS 4.3–4.4 (the G.114 "acceptable" limit)', () => {
    const r = eModel({ oneWayDelayMs: 150, packetLossPercent: 0 });
    expect(r.r).toBeGreaterThan(89);
    expect(r.r).toBeLessThan(90.5);
    expect(r.mos).toBeGreaterThan(4.3);
    expect(r.mos).toBeLessThan(4.4);
  });

  it('is monotonic: more delay or more loss never rates higher', () => {
    let last = Infinity;
    for (let d = 0; d <= 800; d += 25) {
      const r = eModel({ oneWayDelayMs: d, packetLossPercent: 0 }).r;
      expect(r).toBeLessThanOrEqual(last + 1e-9);
      last = r;
    }
    last = Infinity;
    for (let p = 0; p <= 40; p += 0.5) {
      const r = eModel({ oneWayDelayMs: 50, packetLossPercent: p }).r;
      expect(r).toBeLessThanOrEqual(last + 1e-9);
      last = r;
    }
  });

  it('computes Ie,eff by eq. 7-29: 5 % random loss on G.711 with PLC (Bpl 25.1) → Ie,eff 15.8, R 77.4, MOS 3.92', () => {
    expect(effectiveEquipmentImpairment(0, 25.1, 5)).toBeCloseTo((95 * 5) / (5 + 25.1), 10);
    const r = eModel({ oneWayDelayMs: 0, packetLossPercent: 5, ...codecImpairment('PCMU') });
    expect(r.ieEff).toBeCloseTo(15.78, 2);
    expect(r.r).toBeCloseTo(77.4, 1);
    expect(r.mos).toBeCloseTo(3.92, 2);
  });

  it('punishes loss without concealment (Bpl 4.3) and bursty loss (BurstR > 1) harder', () => {
    const noPlc = codecImpairment('PCMA', { plc: false });
    expect(noPlc.bpl).toBe(4.3);
    expect(eModel({ oneWayDelayMs: 0, packetLossPercent: 2, ...noPlc }).ieEff).toBeCloseTo(190 / 6.3, 6); // 30.2
    const random = eModel({ oneWayDelayMs: 0, packetLossPercent: 5, burstR: 1 }).r;
    const bursty = eModel({ oneWayDelayMs: 0, packetLossPercent: 5, burstR: 2 }).r;
    expect(bursty).toBeLessThan(random);
    expect(eModel({ oneWayDelayMs: 0, packetLossPercent: 100 }).ieEff).toBeCloseTo((95 * 100) / (100 + 25.1), 6);
  });

  it('treats unknown codecs conservatively and wideband codecs on the narrowband scale', () => {
    expect(codecImpairment('G722')).toEqual({ ie: 0, bpl: 25.1, known: true });
    expect(codecImpairment('opus')).toEqual({ ie: 0, bpl: 25.1, known: true });
    expect(codecImpairment('AMR-WB')).toEqual({ ie: 0, bpl: 4.3, known: false });
    expect(eModel({ oneWayDelayMs: 0, packetLossPercent: 0, ...codecImpairment('G722') }).mos).toBeLessThanOrEqual(4.5);
  });
});
