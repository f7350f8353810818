import { describe, expect, it } from 'vitest';
import { CallRate } from './call-rate.js';

describe('CallRate', () => {
  it('lets one call a second through at 1 cps and says how long to wait', () => {
    const rate = new CallRate(1);
    expect(rate.take(0)).toBe(0);
    expect(rate.take(100)).toBe(900);
    expect(rate.take(999)).toBe(1);
    expect(rate.take(1000)).toBe(0);
  });

  it('allows a second of burst at 5 cps, then one every 200 ms', () => {
    const rate = new CallRate(5);
    for (let i = 0; i < 5; i++) expect(rate.take(0)).toBe(0);
    expect(rate.take(0)).toBe(200);
    expect(rate.take(200)).toBe(0);
  });

  it('at under 1 cps keeps one call and refills slowly', () => {
    const rate = new CallRate(0.5);
    expect(rate.take(0)).toBe(0);
    expect(rate.take(1000)).toBe(1000);
    expect(rate.take(2000)).toBe(0);
  });
});
