import { describe, expect, it } from 'vitest';
import { CidrError } from './cidr.js';
import { TrunkMatcher, type TrunkSpec } from './trunks.js';

const carrierA: TrunkSpec = { name: 'carrier-a', allow: ['127.0.0.1/32', '10.0.0.0/8'] };
const carrierB: TrunkSpec = { name: 'carrier-b', allow: ['10.1.0.0/16', '2001:db8::/32'] };
const authOnly: TrunkSpec = { name: 'roaming', allow: [], auth: { username: 'roam', password: 'secret' } };

describe('TrunkMatcher', () => {
  const matcher = new TrunkMatcher([carrierA, carrierB, authOnly]);

  it('returns the first trunk in config order whose allowlist contains the source', () => {
    expect(matcher.match('10.1.2.3')).toBe(carrierA);
    expect(matcher.match('127.0.0.1')).toBe(carrierA);
    expect(matcher.match('2001:db8::7')).toBe(carrierB);
    expect(matcher.match('::ffff:10.1.2.3')).toBe(carrierA);
  });

  it('returns undefined for an unknown source', () => {
    expect(matcher.match('192.0.2.1')).toBeUndefined();
    expect(matcher.match('garbage')).toBeUndefined();
  });

  it('order decides overlaps', () => {
    expect(new TrunkMatcher([carrierB, carrierA]).match('10.1.2.3')).toBe(carrierB);
  });

  it('finds auth-only trunks by username', () => {
    expect(matcher.byUsername('roam')).toBe(authOnly);
    expect(matcher.byUsername('nobody')).toBeUndefined();
  });

  it('is open only when no trunks are configured', () => {
    expect(new TrunkMatcher([]).open).toBe(true);
    expect(new TrunkMatcher([]).match('192.0.2.1')).toBeUndefined();
    expect(matcher.open).toBe(false);
  });

  it('rejects an invalid CIDR', () => {
    expect(() => new TrunkMatcher([{ name: 'x', allow: ['10.0.0.0/99'] }])).toThrow(CidrError);
  });
});
