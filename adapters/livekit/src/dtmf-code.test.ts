import { describe, expect, it } from 'vitest';
import { dtmfCode } from './dtmf-code.js';

describe('dtmfCode', () => {
  it('maps digits to RFC 4733 event codes', () => {
    expect(['0', '9', '*', '#', 'A', 'b', 'D'].map(dtmfCode)).toEqual([0, 9, 10, 11, 12, 13, 15]);
    expect(dtmfCode('E')).toBeUndefined();
    expect(dtmfCode('12')).toBeUndefined();
  });
});
