import { describe, expect, it } from 'vitest';
import { CidrError, CidrSet, parseCidr, parseIp } from './cidr.js';

describe('parseCidr', () => {
  it('parses IPv4 and IPv6 networks', () => {
    expect(parseCidr('10.0.0.0/8')).toMatchObject({ family: 4, prefixLength: 8, address: Uint8Array.from([10, 0, 0, 0]) });
    const v6 = parseCidr('2001:db8::/32');
    expect(v6.family).toBe(6);
    expect(v6.prefixLength).toBe(32);
    expect([...v6.address.subarray(0, 4)]).toEqual([0x20, 0x01, 0x0d, 0xb8]);
  });

  it('takes a bare address as a single host', () => {
    expect(parseCidr('192.0.2.7').prefixLength).toBe(32);
    expect(parseCidr('::1').prefixLength).toBe(128);
  });

  it('clears host bits', () => {
    expect([...parseCidr('10.1.2.3/12').address]).toEqual([10, 0, 0, 0]);
    expect([...parseCidr('10.31.2.3/12').address]).toEqual([10, 16, 0, 0]);
  });

  it.each([
    '10.0.0.0/33',
    '10.0.0.0/',
    '10.0.0.0/-1',
    '10.0.0.0/8/8',
    '::/129',
    '256.0.0.0/8',
    '10.0.0/8',
    '010.0.0.1',
    'example.com/24',
    '1:2:3:4:5:6:7:8:9',
    '1::2::3',
    '1.2.3.4::',
    '::ffff:1.2.3.4.5',
    'fe80::1%eth0',
    '',
  ])('rejects %j with a CidrError naming it', (text) => {
    let caught: unknown;
    try {
      parseCidr(text);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(CidrError);
    expect(caught).toMatchObject({ code: 'CIDR_INVALID', cidr: text, message: expect.stringContaining(`'${text}'`) });
  });
});

describe('parseIp', () => {
  it.each([
    ['::', Array<number>(16).fill(0)],
    ['::1', [...Array<number>(15).fill(0), 1]],
    ['1::', [0, 1, ...Array<number>(14).fill(0)]],
    ['2001:db8:0:0:0:0:0:1', [0x20, 0x01, 0x0d, 0xb8, ...Array<number>(11).fill(0), 1]],
    ['::ffff:10.1.2.3', [...Array<number>(10).fill(0), 0xff, 0xff, 10, 1, 2, 3]],
    ['FFFF::', [0xff, 0xff, ...Array<number>(14).fill(0)]],
  ])('%s', (text, bytes) => {
    expect([...(parseIp(text) ?? [])]).toEqual(bytes);
  });
});

describe('CidrSet', () => {
  const set = new CidrSet(['127.0.0.1/32', '10.0.0.0/8', '172.16.0.0/12', '2001:db8::/32', '192.0.2.7']);

  it('matches IPv4 addresses inside any entry and nothing outside', () => {
    expect(set.contains('127.0.0.1')).toBe(true);
    expect(set.contains('127.0.0.2')).toBe(false);
    expect(set.contains('10.255.255.255')).toBe(true);
    expect(set.contains('11.0.0.0')).toBe(false);
    expect(set.contains('172.31.255.255')).toBe(true);
    expect(set.contains('172.32.0.0')).toBe(false);
    expect(set.contains('192.0.2.7')).toBe(true);
    expect(set.contains('192.0.2.8')).toBe(false);
  });

  it('matches IPv6 addresses', () => {
    expect(set.contains('2001:db8::1')).toBe(true);
    expect(set.contains('2001:db8:ffff:ffff::')).toBe(true);
    expect(set.contains('2001:db9::1')).toBe(false);
    expect(set.contains('[2001:db8::1]')).toBe(true);
    expect(set.contains('2001:db8::1%eth0')).toBe(true);
  });

  it('treats IPv4-mapped IPv6 addresses as the IPv4 address', () => {
    expect(set.contains('::ffff:10.1.2.3')).toBe(true);
    expect(set.contains('::ffff:0a01:0203')).toBe(true);
    expect(set.contains('::ffff:11.1.2.3')).toBe(false);
    const mapped = new CidrSet(['::ffff:10.0.0.0/104']);
    expect(mapped.contains('10.9.9.9')).toBe(true);
    expect(mapped.contains('11.9.9.9')).toBe(false);
  });

  it('does not confuse IPv4 with IPv6 outside the mapped range', () => {
    expect(new CidrSet(['::/96']).contains('10.0.0.1')).toBe(false);
    expect(new CidrSet(['::a00:1']).contains('10.0.0.1')).toBe(false);
  });

  it('handles /0 and non-byte-aligned prefixes', () => {
    const all = new CidrSet(['0.0.0.0/0', '::/0']);
    expect(all.contains('203.0.113.9')).toBe(true);
    expect(all.contains('2001:db8::5')).toBe(true);
    const odd = new CidrSet(['192.168.1.128/25']);
    expect(odd.contains('192.168.1.128')).toBe(true);
    expect(odd.contains('192.168.1.255')).toBe(true);
    expect(odd.contains('192.168.1.127')).toBe(false);
  });

  it('returns false for garbage without throwing', () => {
    expect(set.contains('')).toBe(false);
    expect(set.contains('not-an-ip')).toBe(false);
    expect(set.contains('10.0.0.256')).toBe(false);
  });

  it('an empty set contains nothing', () => {
    expect(new CidrSet([]).contains('127.0.0.1')).toBe(false);
  });

  it('throws a CidrError naming the bad entry', () => {
    expect(() => new CidrSet(['10.0.0.0/8', '10.0.0.0/40'])).toThrow(/'10\.0\.0\.0\/40'/);
  });
});
