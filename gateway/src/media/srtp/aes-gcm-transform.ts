/**
 * AEAD_AES_128_GCM (RFC 7714). SRTP (§8): the 12-byte IV is `(00 00 || SSRC || ROC || SEQ) XOR salt`, the
 * associated data the whole RTP header (CSRCs and extension included), the payload encrypted, a 16-byte tag
 * appended. SRTCP (§9): the IV is `(00 00 || SSRC || 00 00 || 0 || SRTCP index) XOR salt`, the associated data the
 * first 8 bytes plus the E-bit + index word, the rest encrypted; the packet ends `tag || E+index` (the index word
 * follows the tag, unlike the HMAC suites). With E=0 (accepted, never sent) the whole packet is associated data.
 *
 * Node's GCM needs a cipher object per packet (no re-IV); the key is a KeyObject made once.
 */
import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject } from 'node:crypto';

import type { SessionKeys } from './kdf.js';
import { writeU32, type SrtpTransform } from './transform.js';

const TAG = 16;

export class AesGcmTransform implements SrtpTransform {
  readonly rtpOverhead = TAG;
  readonly rtcpOverhead = TAG + 4;
  private readonly rtpKey: KeyObject;
  private readonly rtcpKey: KeyObject;
  private readonly rtpSalt: Buffer;
  private readonly rtcpSalt: Buffer;
  private readonly algorithm: 'aes-128-gcm' | 'aes-256-gcm';
  private readonly iv = Buffer.alloc(12);
  private readonly rtcpAad = Buffer.alloc(12);

  constructor(rtpKeys: SessionKeys, rtcpKeys: SessionKeys) {
    this.rtpKey = createSecretKey(rtpKeys.encryptionKey);
    this.rtcpKey = createSecretKey(rtcpKeys.encryptionKey);
    this.rtpSalt = rtpKeys.salt;
    this.rtcpSalt = rtcpKeys.salt;
    this.algorithm = rtpKeys.encryptionKey.length === 32 ? 'aes-256-gcm' : 'aes-128-gcm';
  }

  /** (00 00 || ssrc || a || b) XOR salt, where a is 32 bits and b 16 bits (ROC, SEQ) or (0, ...) for SRTCP. */
  private fillIv(salt: Buffer, ssrc: number, a: number, b: number): Buffer {
    const iv = this.iv;
    iv[0] = 0;
    iv[1] = 0;
    writeU32(iv, 2, ssrc);
    writeU32(iv, 6, a);
    iv[10] = (b >>> 8) & 0xff;
    iv[11] = b & 0xff;
    for (let i = 0; i < 12; i++) iv[i] = (iv[i] ?? 0) ^ (salt[i] ?? 0);
    return iv;
  }

  /** SRTCP IV: 00 00 || SSRC || 00 00 || 0·index(31) — the index's 32-bit word split as (high 16, low 16). */
  private fillRtcpIv(ssrc: number, index: number): Buffer {
    return this.fillIv(this.rtcpSalt, ssrc, (index >>> 16) & 0x7fff, index & 0xffff);
  }

  protectRtp(packet: Uint8Array, headerLength: number, ssrc: number, roc: number, seq: number): Buffer {
    const length = packet.length;
    const cipher = createCipheriv(this.algorithm, this.rtpKey, this.fillIv(this.rtpSalt, ssrc, roc, seq), { authTagLength: TAG });
    cipher.setAAD(packet.subarray(0, headerLength));
    const body = cipher.update(packet.subarray(headerLength));
    cipher.final();
    const out = Buffer.allocUnsafe(length + TAG);
    out.set(packet.subarray(0, headerLength), 0);
    out.set(body, headerLength);
    out.set(cipher.getAuthTag(), length);
    return out;
  }

  unprotectRtp(packet: Uint8Array, headerLength: number, ssrc: number, roc: number, seq: number): Buffer | undefined {
    const length = packet.length - TAG;
    const decipher = createDecipheriv(this.algorithm, this.rtpKey, this.fillIv(this.rtpSalt, ssrc, roc, seq), { authTagLength: TAG });
    decipher.setAuthTag(packet.subarray(length));
    decipher.setAAD(packet.subarray(0, headerLength));
    const body = decipher.update(packet.subarray(headerLength, length));
    try {
      decipher.final();
    } catch {
      return undefined;
    }
    const out = Buffer.allocUnsafe(length);
    out.set(packet.subarray(0, headerLength), 0);
    out.set(body, headerLength);
    return out;
  }

  protectRtcp(packet: Uint8Array, ssrc: number, index: number): Buffer {
    const length = packet.length;
    const word = (0x80000000 | index) >>> 0;
    const aad = this.rtcpAad;
    aad.set(packet.subarray(0, 8), 0);
    writeU32(aad, 8, word);
    const cipher = createCipheriv(this.algorithm, this.rtcpKey, this.fillRtcpIv(ssrc, index), { authTagLength: TAG });
    cipher.setAAD(aad);
    const body = cipher.update(packet.subarray(8));
    cipher.final();
    const out = Buffer.allocUnsafe(length + TAG + 4);
    out.set(packet.subarray(0, 8), 0);
    out.set(body, 8);
    out.set(cipher.getAuthTag(), length);
    writeU32(out, length + TAG, word);
    return out;
  }

  rtcpIndexOffset(length: number): number {
    return length - 4;
  }

  unprotectRtcp(packet: Uint8Array, ssrc: number, index: number, encrypted: boolean): Buffer | undefined {
    const tagAt = packet.length - 4 - TAG;
    const wordBytes = packet.subarray(tagAt + TAG);
    const decipher = createDecipheriv(this.algorithm, this.rtcpKey, this.fillRtcpIv(ssrc, index), { authTagLength: TAG });
    decipher.setAuthTag(packet.subarray(tagAt, tagAt + TAG));
    let out: Buffer;
    if (encrypted) {
      const aad = this.rtcpAad;
      aad.set(packet.subarray(0, 8), 0);
      aad.set(wordBytes, 8);
      decipher.setAAD(aad);
      const body = decipher.update(packet.subarray(8, tagAt));
      out = Buffer.allocUnsafe(tagAt);
      out.set(packet.subarray(0, 8), 0);
      out.set(body, 8);
    } else {
      decipher.setAAD(Buffer.concat([packet.subarray(0, tagAt), wordBytes]));
      out = Buffer.from(packet.subarray(0, tagAt));
    }
    try {
      decipher.final();
    } catch {
      return undefined;
    }
    return out;
  }
}
