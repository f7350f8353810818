/**
 * Known-answer tests. Sources (expected values copied from the documents, not computed here):
 * - RFC 3711 Appendix B.2 (AES-CM keystream) and B.3 (key derivation);
 * - RFC 7714 §16.1.1 (AEAD_AES_128_GCM SRTP), §17.1 (SRTCP, E=1) and §17.3 (SRTCP, E=0), stated as session keys;
 * - libsrtp test/srtp_driver.c `srtp_validate()` (AES_CM_128_HMAC_SHA1_80 from a master key, SRTP and SRTCP) and
 *   `srtp_validate_gcm()` (AEAD_AES_128_GCM from a 12-byte master salt: pins the zero-padded KDF input).
 */
import { describe, expect, it } from 'vitest';

import { AesCmKeystream } from './aes-cm-transform.js';
import { deriveKey, KDF_LABELS, type SessionKeys } from './kdf.js';
import { createSrtpSession, createSrtpSessionFromTransforms, transformFromSessionKeys } from './session.js';
import type { SrtpSuite } from './types.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function unwrap(r: { ok: true; packet: Buffer } | { ok: false; failure: string }): Buffer {
  if (!r.ok) throw new Error(`refused: ${r.failure}`);
  return r.packet;
}

describe('RFC 3711 B.3 key derivation', () => {
  const masterKey = hex('E1F97A0D3E018BE0D64FA32C06DE4139');
  const masterSalt = hex('0EC675AD498AFEEBB6960B3AABE6');

  it('derives the cipher key, cipher salt and 94-byte auth key', () => {
    expect(toHex(deriveKey(masterKey, masterSalt, KDF_LABELS.rtpEncryption, 16))).toBe('c61e7a93744f39ee10734afe3ff7a087');
    expect(toHex(deriveKey(masterKey, masterSalt, KDF_LABELS.rtpSalt, 14))).toBe('30cbbc08863d8c85d49db34a9ae1');
    expect(toHex(deriveKey(masterKey, masterSalt, KDF_LABELS.rtpAuthentication, 94))).toBe(
      (
        'CEBE321F6FF7716B6FD4AB49AF256A15 6D38BAA48F0A0ACF3C34E2359E6CDBCE E049646C43D9327AD175578EF7227098' +
        '6371C10C9A369AC2F94A8C5FBCDDDC25 6D6E919A48B610EF17C2041E47403576 6B68642C59BBFC2F34DB60DBDFB2'
      )
        .replace(/\s+/g, '')
        .toLowerCase(),
    );
  });
});

describe('RFC 3711 B.2 AES-CM keystream', () => {
  const key = hex('2B7E151628AED2A6ABF7158809CF4F3C');
  const first = 'E03EAD0935C95E80E166B16DD92B4EB4 D23513162B02D0F72A43A2FE4A5F97AB 41E95B3BB0A2E8DD477901E4FCA894C0';
  const last = 'EC8CDF7398607CB0F2D21675EA9EA1E4 362B7C3C6773516318A077D7FC5073AE 6A2CC3787889374FBEB4C81B17BA6C44';

  it('produces the 1044512-octet segment (first and last three blocks)', () => {
    const segment = Buffer.alloc(1044512);
    new AesCmKeystream(key).xor(segment, 0, segment.length, hex('F0F1F2F3F4F5F6F7F8F9FAFBFCFD0000'));
    expect(toHex(segment.subarray(0, 48))).toBe(toHex(hex(first)));
    expect(toHex(segment.subarray(segment.length - 48))).toBe(toHex(hex(last)));
  });

  it('is what an SRTP packet with SSRC 0, ROC 0, SEQ 0 and salt F0…FD is encrypted with (the RFC 3711 IV)', () => {
    const keys: SessionKeys = { encryptionKey: key, authKey: Buffer.alloc(20), salt: hex('F0F1F2F3F4F5F6F7F8F9FAFBFCFD') };
    const transform = transformFromSessionKeys('AES_CM_128_HMAC_SHA1_80', keys, keys);
    const packet = Buffer.alloc(12 + 48);
    packet[0] = 0x80;
    const out = transform.protectRtp(packet, 12, 0, 0, 0);
    expect(toHex(out.subarray(12, 60))).toBe(toHex(hex(first)));
  });
});

describe('libsrtp srtp_validate() reference packets (AES_CM_128_HMAC_SHA1_80 / _32 from a master key)', () => {
  const masterKey = hex('e1f97a0d3e018be0d64fa32c06de4139');
  const masterSalt = hex('0ec675ad498afeebb6960b3aabe6');
  const rtpPlain = hex('800f1234decafbadcafebabe' + 'ab'.repeat(16));
  const srtp = hex('800f1234decafbadcafebabe 4e55dc4ce79978d88ca4d215949d2402 b78d6acc99ea179b8dbb');
  const rtcpPlain = hex('81c8000bcafebabe' + 'ab'.repeat(16));
  const srtcp = hex('81c8000bcafebabe 7128035be487b9bdbef89041f977a5a8 80000001 993e08cd54d6c1230798');
  const session = (suite: SrtpSuite) =>
    createSrtpSession({ local: { suite, masterKey, masterSalt }, remote: { suite, masterKey, masterSalt } });

  it('protects and unprotects the SRTP packet', () => {
    expect(toHex(session('AES_CM_128_HMAC_SHA1_80').protectRtp(rtpPlain))).toBe(toHex(srtp));
    expect(toHex(unwrap(session('AES_CM_128_HMAC_SHA1_80').unprotectRtp(srtp)))).toBe(toHex(rtpPlain));
  });

  it('_32 carries the first 4 bytes of the same HMAC', () => {
    const srtp32 = srtp.subarray(0, 28 + 4);
    expect(toHex(session('AES_CM_128_HMAC_SHA1_32').protectRtp(rtpPlain))).toBe(toHex(srtp32));
    expect(toHex(unwrap(session('AES_CM_128_HMAC_SHA1_32').unprotectRtp(srtp32)))).toBe(toHex(rtpPlain));
  });

  it('protects (libsrtp starts SRTCP at index 1, we at 0: our second packet) and unprotects the SRTCP packet', () => {
    const s = session('AES_CM_128_HMAC_SHA1_80');
    expect(toHex(s.protectRtcp(rtcpPlain).subarray(24, 28))).toBe('80000000');
    expect(toHex(s.protectRtcp(rtcpPlain))).toBe(toHex(srtcp));
    expect(toHex(unwrap(session('AES_CM_128_HMAC_SHA1_80').unprotectRtcp(srtcp)))).toBe(toHex(rtcpPlain));
    // SRTCP keeps the 80-bit tag with the _32 suite (RFC 3711 §5.2).
    expect(toHex(unwrap(session('AES_CM_128_HMAC_SHA1_32').unprotectRtcp(srtcp)))).toBe(toHex(rtcpPlain));
  });
});

describe('libsrtp srtp_validate_gcm() reference packets (AEAD_AES_128_GCM from a 16+12-byte master key)', () => {
  const masterKey = hex('000102030405060708090a0b0c0d0e0f');
  const masterSalt = hex('a0a1a2a3a4a5a6a7a8a9aaab');
  const material = { suite: 'AEAD_AES_128_GCM' as const, masterKey, masterSalt };
  const session = () => createSrtpSession({ local: material, remote: material });
  const rtpPlain = hex('800f1234decafbadcafebabe' + 'ab'.repeat(16));
  const srtp = hex('800f1234decafbadcafebabe c5002ede04cfdd2eb91159e0880aa06e d2976826f796b201df3131a127e8a392');
  const rtcpPlain = hex('81c8000bcafebabe' + 'ab'.repeat(16));
  const srtcp = hex('81c8000bcafebabe c98b8b5df0392a55852b6c21ac8e7025 c52c6fbea2b3b446ea31123ba88ce61e 80000001');

  it('protects and unprotects SRTP', () => {
    expect(toHex(session().protectRtp(rtpPlain))).toBe(toHex(srtp));
    expect(toHex(unwrap(session().unprotectRtp(srtp)))).toBe(toHex(rtpPlain));
  });

  it('protects (second packet: index 1) and unprotects SRTCP', () => {
    const s = session();
    s.protectRtcp(rtcpPlain);
    expect(toHex(s.protectRtcp(rtcpPlain))).toBe(toHex(srtcp));
    expect(toHex(unwrap(session().unprotectRtcp(srtcp)))).toBe(toHex(rtcpPlain));
  });
});

describe('RFC 7714 §16–17 AEAD_AES_128_GCM vectors (session key and salt given)', () => {
  const keys: SessionKeys = {
    encryptionKey: hex('000102030405060708090a0b0c0d0e0f'),
    authKey: Buffer.alloc(0),
    salt: hex('517569642070726f2071756f'),
  };
  const transform = () => transformFromSessionKeys('AEAD_AES_128_GCM', keys, keys);
  const rtpPlain = hex('8040f17b 8041f8d3 5501a0b2 47616c6c 69612065 7374206f 6d6e6973 20646976 69736120 696e2070 61727465 73207472 6573');
  const srtp = hex(
    '8040f17b 8041f8d3 5501a0b2 f24de3a3 fb34de6c acba861c 9d7e4bca be633bd5 0d294e6f 42a5f47a 51c7d19b 36de3adf 8833899d 7f27beb1 6a9152cf 765ee439 0cce',
  );
  const rtcpPlain = hex('81c8000d 4d617273 4e545031 4e545032 52545020 0000042a 0000e930 4c756e61 deadbeef deadbeef deadbeef deadbeef deadbeef');
  const srtcp = hex(
    '81c8000d 4d617273 63e94885 dcdab67c a727d766 2f6b7e99 7ff5c0f7 6c06f32d c676a5f1 730d6fda 4ce09b46 86303ded 0bb9275b c84aa458 96cf4d2f c5abf872 45d9eade 800005d4',
  );
  const srtcpTagOnly = hex(
    '81c8000d 4d617273 4e545031 4e545032 52545020 0000042a 0000e930 4c756e61 deadbeef deadbeef deadbeef deadbeef deadbeef 841dd968 3dd78ec9 2ae58790 125f62b3 000005d4',
  );

  it('§16.1.1 encrypts and tags the RTP packet (ROC 0, SEQ f17b)', () => {
    const session = createSrtpSessionFromTransforms('AEAD_AES_128_GCM', transform(), transform());
    expect(toHex(session.protectRtp(rtpPlain))).toBe(toHex(srtp));
  });

  it('§16.1.2 verifies and decrypts it', () => {
    const session = createSrtpSessionFromTransforms('AEAD_AES_128_GCM', transform(), transform());
    expect(toHex(unwrap(session.unprotectRtp(srtp)))).toBe(toHex(rtpPlain));
  });

  it('§17.1 encrypts and tags the RTCP packet with SRTCP index 0x5d4; §17.2-style decrypt', () => {
    expect(toHex(transform().protectRtcp(rtcpPlain, 0x4d617273, 0x5d4))).toBe(toHex(srtcp));
    const session = createSrtpSessionFromTransforms('AEAD_AES_128_GCM', transform(), transform());
    expect(toHex(unwrap(session.unprotectRtcp(srtcp)))).toBe(toHex(rtcpPlain));
  });

  it('§17.3/17.4 accepts a tagged, unencrypted (E=0) SRTCP packet', () => {
    const session = createSrtpSessionFromTransforms('AEAD_AES_128_GCM', transform(), transform());
    expect(toHex(unwrap(session.unprotectRtcp(srtcpTagOnly)))).toBe(toHex(rtcpPlain));
    const tampered = Buffer.from(srtcpTagOnly);
    tampered[20] = (tampered[20] ?? 0) ^ 1;
    const fresh = createSrtpSessionFromTransforms('AEAD_AES_128_GCM', transform(), transform());
    expect(fresh.unprotectRtcp(tampered)).toEqual({ ok: false, failure: 'auth' });
  });
});
