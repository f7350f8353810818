import { describe, expect, it } from 'vitest';
import { callKindOf } from '../src/load/call-mix.js';

describe('callKindOf', () => {
  it('puts a turn call last and a barge-in call at the offset of every group of ten', () => {
    const mix = { turnEvery: 10, bargeInEvery: 10, bargeInOffset: 4 };
    const kinds = Array.from({ length: 20 }, (_, n) => callKindOf(n, mix));
    expect(kinds.filter((k) => k === 'turn').length).toBe(2);
    expect(kinds.filter((k) => k === 'bargeIn').length).toBe(2);
    expect([kinds[4], kinds[9], kinds[14], kinds[19]]).toEqual(['bargeIn', 'turn', 'bargeIn', 'turn']);
  });

  it('lets the turn slot win a collision, and 0 switch a kind off', () => {
    expect(callKindOf(9, { turnEvery: 10, bargeInEvery: 10, bargeInOffset: 9 })).toBe('turn');
    expect(callKindOf(4, { turnEvery: 0, bargeInEvery: 0, bargeInOffset: 4 })).toBe('echo');
    expect(callKindOf(9, { turnEvery: 0, bargeInEvery: 5, bargeInOffset: 4 })).toBe('bargeIn');
  });
});
