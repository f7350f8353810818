import { describe, expect, it } from 'vitest';
import { ApiAccess, isLoopback } from './auth.js';

const KEY = 'k3y-'.repeat(8);

describe('ApiAccess', () => {
  const access = new ApiAccess([{ name: 'first', key: KEY }, { name: 'second', key: `${KEY}2` }]);
  const check = (authorization: string | undefined, remoteAddress = '203.0.113.5') => access.check({ headers: { authorization }, remoteAddress });

  it('accepts each configured key from anywhere and names it', () => {
    expect(check(`Bearer ${KEY}`)).toEqual({ ok: true, client: 'first' });
    expect(check(`bearer ${KEY}2`)).toEqual({ ok: true, client: 'second' });
  });

  it('refuses missing, other schemes, wrong keys of any length', () => {
    expect(check(undefined)).toEqual({ ok: false, code: 'API_KEY_MISSING' });
    expect(check(`Basic ${KEY}`)).toEqual({ ok: false, code: 'API_KEY_MISSING' });
    expect(check('Bearer')).toEqual({ ok: false, code: 'API_KEY_MISSING' });
    for (const wrong of ['x', KEY.slice(1), `${KEY}22`, KEY.toUpperCase(), 'y'.repeat(10_000)]) {
      expect(check(`Bearer ${wrong}`)).toEqual({ ok: false, code: 'API_KEY_INVALID' });
    }
  });

  it('keys apply to loopback clients too', () => {
    expect(check(undefined, '127.0.0.1')).toEqual({ ok: false, code: 'API_KEY_MISSING' });
  });

  it('without keys: loopback clients only, keys or not', () => {
    const open = new ApiAccess([]);
    expect(open.keyed).toBe(false);
    expect(open.check({ headers: {}, remoteAddress: '127.0.0.1' })).toEqual({ ok: true, client: 'loopback' });
    expect(open.check({ headers: { authorization: `Bearer ${KEY}` }, remoteAddress: '10.0.0.1' })).toEqual({ ok: false, code: 'LOOPBACK_ONLY' });
    expect(open.check({ headers: {}, remoteAddress: undefined })).toEqual({ ok: false, code: 'LOOPBACK_ONLY' });
  });

  it('says at start-up who can reach the API', () => {
    expect(access.describe('0.0.0.0')).toBe('API: bearer keys required (first, second)');
    expect(new ApiAccess([]).describe('127.0.0.1')).toContain('reachable from this host only');
    expect(new ApiAccess([]).describe('0.0.0.0')).toContain('answer loopback clients only');
  });
});

describe('isLoopback', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.255.0.9', true],
    ['::1', true],
    ['::ffff:127.0.0.1', true],
    ['10.0.0.1', false],
    ['::ffff:10.0.0.1', false],
    ['128.0.0.1', false],
    ['::2', false],
    ['1270.0.0.1', false],
  ])('%s → %s', (address, expected) => expect(isLoopback(address)).toBe(expected));
});
