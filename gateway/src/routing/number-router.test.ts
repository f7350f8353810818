import { describe, expect, it } from 'vitest';
import { normalizeNumber } from './number.js';
import { parseNumberPattern, RoutingError } from './number-pattern.js';
import { NumberRouter } from './number-router.js';

describe('parseNumberPattern', () => {
  it('classifies exact, prefix and catch-all patterns', () => {
    expect(parseNumberPattern('+1 555 010 0001')).toEqual({ kind: 'exact', key: '+15550100001', source: '+1 555 010 0001' });
    expect(parseNumberPattern('Alice')).toEqual({ kind: 'exact', key: 'alice', source: 'Alice' });
    expect(parseNumberPattern('+1555*')).toEqual({ kind: 'prefix', key: '+1555', source: '+1555*' });
    expect(parseNumberPattern('+1-555*').key).toBe('+1555');
    expect(parseNumberPattern('0044*').key).toBe('+44');
    expect(parseNumberPattern('+*').key).toBe('+');
    expect(parseNumberPattern('1*').key).toBe('1');
    expect(parseNumberPattern('*')).toEqual({ kind: 'catch-all', key: '', source: '*' });
  });

  it('normalises exact patterns with the given options', () => {
    expect(parseNumberPattern('5550100001', { defaultCountryCode: '1' }).key).toBe('+15550100001');
  });

  it.each([
    ['+1*5', "'*' may appear only at the end"],
    ['**', "'*' may appear only at the end"],
    ['alice*', 'a prefix must be digits'],
    ['+1x*', 'a prefix must be digits'],
    ['', 'must not be empty'],
    ['  ', 'must not be empty'],
    ['<sip:@host>', 'no number or user part'],
  ])('rejects %j', (pattern, why) => {
    let caught: unknown;
    try {
      parseNumberPattern(pattern);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(RoutingError);
    expect(caught).toMatchObject({ code: 'ROUTING_INVALID_PATTERN', message: expect.stringContaining(why) });
  });
});

describe('NumberRouter', () => {
  const router = new NumberRouter<string>([
    ['+15550100001', 'exact'],
    ['+1555*', 'us-555'],
    ['+15550*', 'us-5550'],
    ['+44*', 'uk'],
    ['alice', 'alice'],
    ['*', 'default'],
  ]);

  it('prefers the exact match over every prefix', () => {
    expect(router.lookup('+15550100001')).toEqual({ value: 'exact', pattern: '+15550100001' });
  });

  it('picks the longest matching prefix', () => {
    expect(router.lookup('+15550100002')).toEqual({ value: 'us-5550', pattern: '+15550*' });
    expect(router.lookup('+15559999999')).toEqual({ value: 'us-555', pattern: '+1555*' });
    expect(router.lookup('+442079460000')).toEqual({ value: 'uk', pattern: '+44*' });
  });

  it('a prefix matches the number equal to it', () => {
    expect(router.lookup('+1555')?.value).toBe('us-555');
  });

  it('falls back to the catch-all, including for user names and the empty string', () => {
    expect(router.lookup('+33123456789')).toEqual({ value: 'default', pattern: '*' });
    expect(router.lookup('bob')?.value).toBe('default');
    expect(router.lookup('')?.value).toBe('default');
    expect(router.lookup('alice')?.value).toBe('alice');
  });

  it('returns undefined when nothing matches and there is no catch-all', () => {
    const noDefault = new NumberRouter([['+1555*', 1]]);
    expect(noDefault.lookup('+1666')).toBeUndefined();
    expect(noDefault.lookup('+155')).toBeUndefined();
    expect(noDefault.lookup('1555')).toBeUndefined();
  });

  it('matches exact patterns written in any carrier spelling', () => {
    const r = new NumberRouter([
      ['tel:+1-555-010-0001', 'a'],
      ['sip:Bob@example.com', 'b'],
    ]);
    expect(r.lookup(normalizeNumber('sip:+15550100001@h;user=phone'))).toEqual({ value: 'a', pattern: 'tel:+1-555-010-0001' });
    expect(r.lookup(normalizeNumber('<sip:bob@other>'))?.value).toBe('b');
  });

  it('normalises exact patterns with the options it is given', () => {
    const r = new NumberRouter([['5550100001', 'nanp']], { defaultCountryCode: '1' });
    expect(r.lookup('+15550100001')?.value).toBe('nanp');
  });

  it('counts every pattern in size', () => {
    expect(router.size).toBe(6);
    expect(new NumberRouter([]).size).toBe(0);
  });

  it('accepts a Map as its entries', () => {
    const r = new NumberRouter(new Map([['+1*', 'one']]));
    expect(r.lookup('+12')?.value).toBe('one');
  });

  it.each([
    [['15550100001', '+1 555 010 0001'], "'15550100001' and '+1 555 010 0001' both normalise to '+15550100001'"],
    [['+1555*', '+1-555*'], "'+1555*' and '+1-555*'"],
    [['*', ' * '], "'*' and ' * '"],
    [['Alice', 'alice'], "'Alice' and 'alice'"],
  ])('rejects duplicates after normalisation: %j', (patterns, listed) => {
    let caught: unknown;
    try {
      new NumberRouter(patterns.map((p) => [p, 0] as const));
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(RoutingError);
    expect(caught).toMatchObject({ code: 'ROUTING_DUPLICATE_PATTERN', message: expect.stringContaining(listed) });
  });

  it('rejects an invalid pattern', () => {
    expect(() => new NumberRouter([['+1*5', 0]])).toThrow(RoutingError);
  });

  it('stays correct with many exact numbers and prefixes', () => {
    const entries: [string, number][] = [];
    for (let i = 0; i < 5000; i++) entries.push([`+1555${String(i).padStart(7, '0')}`, i]);
    for (let i = 0; i < 100; i++) entries.push([`+44${String(i).padStart(2, '0')}*`, -i]);
    const big = new NumberRouter(entries);
    expect(big.size).toBe(5100);
    expect(big.lookup('+15550004321')?.value).toBe(4321);
    expect(big.lookup('+4407123')?.value).toBe(-7);
    expect(big.lookup('+15559999999')).toBeUndefined();
  });
});
