import { describe, expect, it } from 'vitest';
import { MediaWorkerError, portSlices } from './worker-plane.js';

describe('portSlices', () => {
  it('cuts the range into disjoint slices of whole even/odd pairs that cover it', () => {
    const slices = portSlices(20000, 29999, 3);
    expect(slices).toHaveLength(3);
    for (const s of slices) {
      expect(s.min % 2).toBe(0);
      expect(s.max % 2).toBe(1);
    }
    expect(slices[0]?.min).toBe(20000);
    expect(slices.at(-1)?.max).toBe(29999);
    for (let i = 1; i < slices.length; i++) expect(slices[i]?.min).toBe((slices[i - 1]?.max ?? 0) + 1);
  });

  it('starts at the first even port and drops a trailing odd one', () => {
    expect(portSlices(20001, 20010, 2)).toEqual([
      { min: 20002, max: 20005 },
      { min: 20006, max: 20009 },
    ]);
  });

  it('refuses more workers than port pairs', () => {
    expect(() => portSlices(20000, 20003, 3)).toThrow(MediaWorkerError);
  });
});
