import { describe, expect, it } from 'vitest';
import { callMos, callQualityInput, type CallQualitySummary } from './call-quality.js';
import { eModel } from './mos.js';

const base: CallQualitySummary = {
  codec: 'PCMU',
  durationMs: 60_000,
  packetsExpected: 3000,
  packetsLost: 0,
  jitterMs: 4,
  oneWayDelayMs: 120,
  jitterBufferDepthMs: 40,
};

describe('call quality → E-model', () => {
  it('counts late discards as loss and uses the measured delay', () => {
    const input = callQualityInput({ ...base, packetsLost: 90, packetsLate: 60 });
    expect(input?.packetLossPercent).toBeCloseTo(5, 10);
    expect(input?.oneWayDelayMs).toBe(120);
    expect(input?.bpl).toBe(25.1);
  });

  it('rates the worse direction when the caller reports downlink loss', () => {
    const input = callQualityInput({ ...base, packetsLost: 30, downlink: { packetsExpected: 3000, packetsLost: 240 } });
    expect(input?.packetLossPercent).toBeCloseTo(8, 10);
  });

  it('never lets the delay be less than the jitter buffer alone', () => {
    expect(callQualityInput({ ...base, oneWayDelayMs: 10, jitterBufferDepthMs: 60 })?.oneWayDelayMs).toBe(60);
  });

  it('returns the same rating as eModel for the derived input, plus what it used', () => {
    const summary = { ...base, packetsLost: 30 };
    const rated = callMos(summary);
    const direct = eModel({ oneWayDelayMs: 120, packetLossPercent: 1, ie: 0, bpl: 25.1 });
    expect(rated?.r).toBeCloseTo(direct.r, 10);
    expect(rated?.mos).toBeCloseTo(direct.mos, 10);
    expect(rated?.packetLossPercent).toBeCloseTo(1, 10);
    expect(rated?.codecKnown).toBe(true);
  });

  it('cannot rate a call without packets or with non-finite numbers', () => {
    expect(callMos({ ...base, packetsExpected: 0 })).toBeUndefined();
    expect(callMos({ ...base, oneWayDelayMs: Number.NaN })).toBeUndefined();
    expect(callMos({ ...base, packetsLost: -1 })).toBeUndefined();
  });
});
