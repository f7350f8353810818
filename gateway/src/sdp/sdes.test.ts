import { describe, expect, it } from 'vitest';
import { SRTP_SUITES } from '../media/srtp/types.js';
import { encodeKey, formatCryptoLine, MAX_CRYPTO_LINE_LENGTH, MAX_CRYPTO_LINES, offeredSuites, parseCryptoLine, readCryptoLines } from './sdes.js';

/** RFC 4568 §9.1's example key (30 bytes: a 16-byte key and a 14-byte salt). */
const RFC_KEY = 'PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR';
const bytes = (n: number, from = 1): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => (from + i) & 0xff));
const GCM_KEY = bytes(28).toString('base64');

describe('parseCryptoLine', () => {
  it('reads RFC 4568 §9.1 line into key and salt', () => {
    const parsed = parseCryptoLine(`1 AES_CM_128_HMAC_SHA1_80 inline:${RFC_KEY}`);
    if (!('key' in parsed)) throw new Error(`skipped: ${parsed.skip}`);
    const raw = Buffer.from(RFC_KEY, 'base64');
    expect(parsed.tag).toBe(1);
    expect(parsed.key.suite).toBe('AES_CM_128_HMAC_SHA1_80');
    expect(Buffer.from(parsed.key.masterKey)).toEqual(raw.subarray(0, 16));
    expect(Buffer.from(parsed.key.masterSalt)).toEqual(raw.subarray(16));
  });

  it('reads the 32-bit tag suite, GCM (28 bytes, padded or not) and a lifetime', () => {
    expect(parseCryptoLine(`7 AES_CM_128_HMAC_SHA1_32 inline:${RFC_KEY}|2^20`)).toMatchObject({ tag: 7, key: { suite: 'AES_CM_128_HMAC_SHA1_32' } });
    expect(parseCryptoLine(`2 AES_CM_128_HMAC_SHA1_80 inline:${RFC_KEY}|1048576`)).toMatchObject({ tag: 2 });
    const gcm = parseCryptoLine(`3 AEAD_AES_128_GCM inline:${GCM_KEY}`);
    expect(gcm).toMatchObject({ tag: 3, key: { suite: 'AEAD_AES_128_GCM' } });
    if ('key' in gcm) expect([gcm.key.masterKey.length, gcm.key.masterSalt.length]).toEqual([16, 12]);
    expect(parseCryptoLine(`3 AEAD_AES_128_GCM inline:${GCM_KEY.replace(/=+$/, '')}`)).toMatchObject({ tag: 3 });
  });

  it.each([
    ['a 30-byte key for GCM', `1 AEAD_AES_128_GCM inline:${RFC_KEY}`, 'key-length'],
    ['a 28-byte key for AES_CM', `1 AES_CM_128_HMAC_SHA1_80 inline:${GCM_KEY}`, 'key-length'],
    ['a short key', '1 AES_CM_128_HMAC_SHA1_80 inline:QUJDREVGR0g=', 'key-length'],
    ['a long key', `1 AES_CM_128_HMAC_SHA1_80 inline:${bytes(46).toString('base64')}`, 'key-length'],
    ['base64 with a bad character', `1 AES_CM_128_HMAC_SHA1_80 inline:${RFC_KEY.slice(0, 39)}*`, 'key-params'],
    ['the URL alphabet', `1 AES_CM_128_HMAC_SHA1_80 inline:${RFC_KEY.slice(0, 39)}_`, 'key-params'],
    ['misplaced padding', `1 AES_CM_128_HMAC_SHA1_80 inline:${RFC_KEY.slice(0, 38)}=`, 'key-params'],
    ['an MKI', `1 AES_CM_128_HMAC_SHA1_80 inline:${RFC_KEY}|2^20|1:4`, 'mki'],
    ['an MKI without lifetime', `1 AES_CM_128_HMAC_SHA1_80 inline:${RFC_KEY}|1:4`, 'mki'],
    ['two keys', `1 AES_CM_128_HMAC_SHA1_80 inline:${RFC_KEY}|2^20|1:4;inline:${RFC_KEY}|2^20|2:4`, 'key-params'],
    ['a bad lifetime', `1 AES_CM_128_HMAC_SHA1_80 inline:${RFC_KEY}|forever`, 'key-params'],
    ['two lifetimes', `1 AES_CM_128_HMAC_SHA1_80 inline:${RFC_KEY}|2^20|2^20`, 'key-params'],
    ['a session parameter', `1 AES_CM_128_HMAC_SHA1_80 inline:${RFC_KEY} KDR=1`, 'session-params'],
    ['UNENCRYPTED_SRTP', `1 AES_CM_128_HMAC_SHA1_80 inline:${RFC_KEY} UNENCRYPTED_SRTP`, 'session-params'],
    ['an unknown suite', `1 AES_256_CM_HMAC_SHA1_80 inline:${bytes(46).toString('base64')}`, 'unknown-suite'],
    ['AEAD_AES_256_GCM', `1 AEAD_AES_256_GCM inline:${bytes(44).toString('base64')}`, 'unknown-suite'],
    ['a prototype key name', `1 __proto__ inline:${RFC_KEY}`, 'unknown-suite'],
    ['another key method', `1 AES_CM_128_HMAC_SHA1_80 uri:https://example.com/key`, 'key-params'],
    ['a tag of ten digits', `1234567890 AES_CM_128_HMAC_SHA1_80 inline:${RFC_KEY}`, 'syntax'],
    ['no tag', `AES_CM_128_HMAC_SHA1_80 inline:${RFC_KEY}`, 'syntax'],
    ['nothing', '', 'syntax'],
    ['an overlong line', `1 AES_CM_128_HMAC_SHA1_80 inline:${RFC_KEY}|2^20 ${'x'.repeat(MAX_CRYPTO_LINE_LENGTH)}`, 'too-long'],
  ])('skips %s', (_label, line, skip) => {
    expect(parseCryptoLine(line)).toEqual({ skip });
  });
});

describe('readCryptoLines', () => {
  it('keeps the usable lines in order, the first of a repeated tag', () => {
    const lines = readCryptoLines([
      `1 AES_256_CM_HMAC_SHA1_80 inline:${bytes(46).toString('base64')}`,
      `2 AEAD_AES_128_GCM inline:${GCM_KEY}`,
      `3 AES_CM_128_HMAC_SHA1_80 inline:${RFC_KEY}|2^20|1:32`,
      `4 AES_CM_128_HMAC_SHA1_80 inline:${RFC_KEY}`,
      `4 AES_CM_128_HMAC_SHA1_32 inline:${RFC_KEY}`,
    ]);
    expect(lines.map((l) => [l.tag, l.key.suite])).toEqual([
      [2, 'AEAD_AES_128_GCM'],
      [4, 'AES_CM_128_HMAC_SHA1_80'],
    ]);
  });

  it(`looks at no more than ${MAX_CRYPTO_LINES} lines`, () => {
    const junk = Array.from({ length: 10_000 }, (_, i) => `${i + 1} BOGUS inline:${RFC_KEY}`);
    const good = `99999 AES_CM_128_HMAC_SHA1_80 inline:${RFC_KEY}`;
    expect(readCryptoLines([...junk.slice(0, MAX_CRYPTO_LINES - 1), good])).toHaveLength(1);
    expect(readCryptoLines([...junk, good])).toHaveLength(0);
    expect(offeredSuites(junk)).toEqual(['BOGUS']);
  });
});

describe('formatCryptoLine', () => {
  it('round-trips every suite', () => {
    for (const suite of Object.keys(SRTP_SUITES) as (keyof typeof SRTP_SUITES)[]) {
      const info = SRTP_SUITES[suite];
      const key = { suite, masterKey: bytes(info.keyLength, 7), masterSalt: bytes(info.saltLength, 100) };
      const line = formatCryptoLine(5, key);
      expect(line).toBe(`5 ${suite} inline:${encodeKey(key)}`);
      const parsed = parseCryptoLine(line);
      if (!('key' in parsed)) throw new Error(`${suite} skipped: ${parsed.skip}`);
      expect(Buffer.from(parsed.key.masterKey)).toEqual(Buffer.from(key.masterKey));
      expect(Buffer.from(parsed.key.masterSalt)).toEqual(Buffer.from(key.masterSalt));
    }
  });
});
