import { describe, expect, it } from 'vitest';
import { normalizeNumber } from './number.js';

describe('normalizeNumber', () => {
  it.each([
    ['+15550100001', '+15550100001'],
    ['15550100001', '+15550100001'],
    ['tel:+1-555-010-0001', '+15550100001'],
    ['tel:+1 (555) 010.0001', '+15550100001'],
    ['sip:+15550100001@carrier.example;user=phone', '+15550100001'],
    ['SIPS:+15550100001@carrier.example:5061;transport=tls', '+15550100001'],
    ['<sip:+15550100001@10.0.0.1>', '+15550100001'],
    ['"Bob" <sip:+15550100001@h>;tag=x', '+15550100001'],
    ['"Bob <boss>" <sip:+15550100001@h>;tag=x', '+15550100001'],
    ['Bob <sip:15550100001@h>', '+15550100001'],
    ['sip:%2B15550100001@h', '+15550100001'],
    ['sip:+15550100001;phone-context=+1;isub=12@h', '+15550100001'],
    ['tel:+15550100001;isub=1234', '+15550100001'],
    ['tel:5550100;phone-context=+1555', '5550100'],
    ['00442079460000', '+442079460000'],
    ['sip:0044 20 7946 0000@h', '+442079460000'],
    ['sip:+15550100001:secret@h', '+15550100001'],
    ['  +15550100001  ', '+15550100001'],
  ])('%s → %s', (raw, expected) => {
    expect(normalizeNumber(raw)).toBe(expected);
  });

  it('keeps short digit strings (extensions) without a +', () => {
    expect(normalizeNumber('sip:1001@pbx')).toBe('1001');
    expect(normalizeNumber('5550100')).toBe('5550100');
  });

  it('does not invent a + for national numbers with a 0 trunk prefix', () => {
    expect(normalizeNumber('02079460000')).toBe('02079460000');
  });

  it('returns non-numbers lower-cased and otherwise unchanged', () => {
    expect(normalizeNumber('sip:Alice@example.com')).toBe('alice');
    expect(normalizeNumber('"Anon" <sip:Anonymous@anonymous.invalid>;tag=1')).toBe('anonymous');
    expect(normalizeNumber('anything')).toBe('anything');
    expect(normalizeNumber('sip:alice.smith@h')).toBe('alice.smith');
    expect(normalizeNumber('sip:*67@h')).toBe('*67');
    expect(normalizeNumber('+')).toBe('+');
    expect(normalizeNumber('+1555abc')).toBe('+1555abc');
  });

  it('returns an empty string for empty input or an empty user part', () => {
    expect(normalizeNumber('')).toBe('');
    expect(normalizeNumber('   ')).toBe('');
    expect(normalizeNumber('<sip:@host>')).toBe('');
  });

  it('never throws on malformed escapes or brackets', () => {
    expect(normalizeNumber('sip:%G1bob@h')).toBe('%g1bob');
    expect(normalizeNumber('sip:100%@h')).toBe('100%');
    expect(normalizeNumber('"Unterminated <sip:+15550100001@h')).toBe('"unterminated <sip:+15550100001');
    expect(normalizeNumber('<sip:+15550100001@h')).toBe('+15550100001');
  });

  describe('defaultCountryCode', () => {
    it('completes 10-digit NANP national numbers for code 1', () => {
      expect(normalizeNumber('5550100001', { defaultCountryCode: '1' })).toBe('+15550100001');
      expect(normalizeNumber('(555) 010-0001', { defaultCountryCode: '1' })).toBe('+15550100001');
      expect(normalizeNumber('15550100001', { defaultCountryCode: '1' })).toBe('+15550100001');
    });

    it('without a default, a 10-digit number is taken as international', () => {
      expect(normalizeNumber('5550100001')).toBe('+5550100001');
    });

    it('drops the 0 trunk prefix for other codes', () => {
      expect(normalizeNumber('020 7946 0000', { defaultCountryCode: '44' })).toBe('+442079460000');
      expect(normalizeNumber('020 7946 0000', { defaultCountryCode: '+44' })).toBe('+442079460000');
    });

    it('leaves international and short numbers alone', () => {
      expect(normalizeNumber('+442079460000', { defaultCountryCode: '1' })).toBe('+442079460000');
      expect(normalizeNumber('00442079460000', { defaultCountryCode: '1' })).toBe('+442079460000');
      expect(normalizeNumber('1001', { defaultCountryCode: '44' })).toBe('1001');
    });

    it('ignores an invalid code', () => {
      expect(normalizeNumber('5550100001', { defaultCountryCode: 'x1' })).toBe('+5550100001');
      expect(normalizeNumber('5550100001', { defaultCountryCode: null })).toBe('+5550100001');
    });
  });
});
