/** The JavaScript HMAC-SHA1 against node:crypto's `createHmac` over random keys and every length class. */
import { createHmac, randomBytes } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import { HmacSha1 } from './hmac-sha1.js';

describe('HmacSha1', () => {
  it('equals createHmac(sha1) for data of 0..1500 bytes, with and without a 4-byte suffix, random 20-byte keys', () => {
    const out = new Uint8Array(24);
    for (let length = 0; length <= 1500; length++) {
      const key = randomBytes(20);
      const data = randomBytes(length + 3); // the MAC covers a prefix of a longer buffer, as for an SRTP packet
      const suffix = length % 2 === 0 ? randomBytes(4) : undefined;
      const hmac = createHmac('sha1', key).update(data.subarray(0, length));
      if (suffix !== undefined) hmac.update(suffix);
      const expected = hmac.digest();
      new HmacSha1(key).mac(data, length, suffix, out, 2, 20);
      expect(Buffer.from(out.subarray(2, 22)).toString('hex'), `length ${length}`).toBe(expected.toString('hex'));
    }
  });

  it('keeps no state between packets (one instance, many MACs) and handles the RFC 2202 test case 2 key', () => {
    const mac = new HmacSha1(Buffer.from('Jefe'));
    const out = new Uint8Array(20);
    for (let i = 0; i < 3; i++) {
      mac.mac(Buffer.from('what do ya want for nothing?'), 28, undefined, out, 0, 20);
      expect(Buffer.from(out).toString('hex')).toBe('effcdf6ae5eb2fa2d27416d5f184df9c259a7c79');
    }
  });

  it('verify() accepts the right truncated tag and refuses one flipped bit anywhere in it', () => {
    const key = randomBytes(20);
    const data = randomBytes(172);
    const tag = createHmac('sha1', key).update(data).digest().subarray(0, 10);
    const mac = new HmacSha1(key);
    expect(mac.verify(data, 172, undefined, tag, 0, 10)).toBe(true);
    for (let bit = 0; bit < 80; bit++) {
      const bad = Buffer.from(tag);
      bad[bit >> 3] = (bad[bit >> 3] ?? 0) ^ (1 << (bit & 7));
      expect(mac.verify(data, 172, undefined, bad, 0, 10)).toBe(false);
    }
  });
});
