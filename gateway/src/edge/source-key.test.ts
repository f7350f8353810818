import { describe, expect, it } from 'vitest';
import { sourceKey } from './source-key.js';

describe('sourceKey', () => {
  it('is the address for IPv4, also IPv4-mapped', () => {
    expect(sourceKey('192.0.2.7')).toBe('192.0.2.7');
    expect(sourceKey('::ffff:192.0.2.7')).toBe('192.0.2.7');
  });

  it('groups IPv6 by /64: one host with many addresses is one source', () => {
    const a = sourceKey('2001:db8:1:2::1');
    expect(sourceKey('2001:db8:1:2:ffff:ffff:ffff:ffff')).toBe(a);
    expect(sourceKey('[2001:db8:1:2::99]')).toBe(a);
    expect(sourceKey('fe80::1%eth0')).toBe(sourceKey('fe80::2'));
    expect(sourceKey('2001:db8:1:3::1')).not.toBe(a);
    expect(a).toBe('20010db800010002::/64');
  });

  it('keeps an unparseable address as it is (its own source)', () => {
    expect(sourceKey('not:an:address:zz')).toBe('not:an:address:zz');
  });
});
