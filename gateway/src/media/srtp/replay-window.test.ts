import { describe, expect, it } from 'vitest';

import { guessRoc, RolloverCounter } from './packet-index.js';
import { ReplayWindow } from './replay-window.js';

describe('ReplayWindow', () => {
  it('accepts new indices, refuses seen ones and ones at least `size` behind the highest', () => {
    const w = new ReplayWindow(128);
    expect(w.check(500)).toBe(true);
    w.accept(500);
    expect(w.check(500)).toBe(false);
    expect(w.check(373)).toBe(true);
    expect(w.check(372)).toBe(false);
    w.accept(400);
    expect(w.check(400)).toBe(false);
    // A jump further than the window forgets everything below it.
    w.accept(10_000);
    expect(w.check(9_999)).toBe(true);
    expect(w.check(500)).toBe(false);
    expect(w.highestIndex).toBe(10_000);
  });

  it('clears the slots it slides over (an index seen one window ago is not mistaken for a replay)', () => {
    const w = new ReplayWindow(64);
    for (let i = 0; i < 64; i++) w.accept(i);
    w.accept(70);
    for (let i = 65; i < 70; i++) expect(w.check(i)).toBe(true);
    expect(w.check(64)).toBe(true);
    expect(w.check(6)).toBe(false);
    expect(w.check(7)).toBe(false); // seen, still inside the window
  });

  it('handles 48-bit indices exactly', () => {
    const w = new ReplayWindow(128);
    const big = 0xffffffff * 65536 + 65535;
    w.accept(big);
    expect(w.check(big)).toBe(false);
    expect(w.check(big - 1)).toBe(true);
  });
});

describe('guessRoc (RFC 3711 Appendix A)', () => {
  it('guesses ROC-1, ROC and ROC+1 around the wrap', () => {
    expect(guessRoc(3, 100, 101)).toBe(3);
    expect(guessRoc(3, 100, 65500)).toBe(2); // late packet from before the wrap
    expect(guessRoc(3, 65500, 5)).toBe(4); // first packets after the wrap
    expect(guessRoc(3, 65500, 40000)).toBe(3);
  });

  it('advances the ROC and s_l only forward', () => {
    const r = new RolloverCounter(0, 65530);
    r.advance(0, 65535);
    r.advance(1, 2);
    expect([r.roc, r.highestSeq]).toEqual([1, 2]);
    r.advance(0, 65534);
    r.advance(1, 1);
    expect([r.roc, r.highestSeq]).toEqual([1, 2]);
  });
});
