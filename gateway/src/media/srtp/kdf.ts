/**
 * SRTP key derivation (RFC 3711 §4.3): the AES-CM PRF keyed with the master key, with the key derivation rate 0
 * (SDES without a KDR parameter: session keys are derived once). Labels 0–2 give the SRTP encryption key,
 * authentication key and salt; 3–5 the same for SRTCP.
 *
 * The PRF input block is `(master_salt XOR (label || index DIV kdr)) || 0x0000` where the 7-byte key id sits at the
 * right of the 14-byte salt; with kdr 0 the index part is zero, so only byte 7 (the label) changes. The output is
 * the AES-CTR keystream from that block, cut to the wanted length.
 *
 * AEAD_AES_128_GCM has a 12-byte master salt but uses the same PRF, which takes 14 bytes: the salt is padded with
 * two zero bytes on the right (as libsrtp does; RFC 7714 §11 keeps the RFC 3711 KDF).
 */
import { createCipheriv } from 'node:crypto';

export const KDF_LABELS = {
  rtpEncryption: 0,
  rtpAuthentication: 1,
  rtpSalt: 2,
  rtcpEncryption: 3,
  rtcpAuthentication: 4,
  rtcpSalt: 5,
} as const;

export type KdfLabel = (typeof KDF_LABELS)[keyof typeof KDF_LABELS];

const PRF_SALT_BYTES = 14;

/** `length` bytes of the PRF output for `label` (RFC 3711 §4.3.1/§4.3.3), kdr 0. */
export function deriveKey(masterKey: Uint8Array, masterSalt: Uint8Array, label: KdfLabel, length: number): Buffer {
  const iv = Buffer.alloc(16);
  iv.set(masterSalt.subarray(0, PRF_SALT_BYTES), 0);
  iv[7] = (iv[7] ?? 0) ^ label;
  const cipher = createCipheriv(aesCtrName(masterKey.length), masterKey, iv);
  return cipher.update(Buffer.alloc(length));
}

/** One direction's session keys for one of SRTP or SRTCP. `authKey` is empty for the AEAD suite. */
export interface SessionKeys {
  readonly encryptionKey: Buffer;
  readonly authKey: Buffer;
  readonly salt: Buffer;
}

/** The HMAC-SHA1 session authentication key is 160 bits (RFC 3711 §4.2.1 / §8.2 default n_a). */
export const HMAC_SHA1_KEY_BYTES = 20;

/** Derives the SRTP (labels 0–2) or SRTCP (labels 3–5) session keys. */
export function deriveSessionKeys(
  masterKey: Uint8Array,
  masterSalt: Uint8Array,
  kind: 'rtp' | 'rtcp',
  saltLength: number,
  aead: boolean,
): SessionKeys {
  const base = kind === 'rtp' ? 0 : 3;
  return {
    encryptionKey: deriveKey(masterKey, masterSalt, (base + 0) as KdfLabel, masterKey.length),
    authKey: aead ? Buffer.alloc(0) : deriveKey(masterKey, masterSalt, (base + 1) as KdfLabel, HMAC_SHA1_KEY_BYTES),
    salt: deriveKey(masterKey, masterSalt, (base + 2) as KdfLabel, saltLength),
  };
}

export function aesCtrName(keyLength: number): 'aes-128-ctr' | 'aes-256-ctr' {
  return keyLength === 32 ? 'aes-256-ctr' : 'aes-128-ctr';
}
