/**
 * AEAD_AES_128_GCM (RFC 7714). SRTP (§8): the 12-byte IV is `(00 00 || SSRC || ROC || SEQ) XOR salt`, the
 * associated data the whole RTP header (CSRCs and extension included), the payload encrypted, a 16-byte tag
 * appended. SRTCP (§9): the IV is `(00 00 || SSRC || 00 00 || 0 || SRTCP index) XOR salt`, the associated data the
 * first 8 bytes plus the E-bit + index word, the rest encrypted; the packet ends `tag || E+index` (the index word
 * follows the tag, unlike the HMAC suites). With E=0 (accepted, never sent) the whole packet is associated data.
 *
 * SRTP packets: the counter keystream (J0 = IV || 1 for the tag mask, inc32(J0)… for the payload) comes from a
 * reused AES-ECB cipher in batches of the next packets (keystream-batch.ts) and GHASH is computed in JavaScript
 * (ghash.ts) — node's GCM needs a cipher object per packet (no re-IV), measured the larger part of the cost.
 * SRTCP (one packet in seconds) keeps node's GCM, the key a KeyObject made once.
 */
import { createCipheriv, createDecipheriv, createSecretKey, type Cipheriv, type KeyObject } from 'node:crypto';

import { Ghash } from './ghash.js';
import type { SessionKeys } from './kdf.js';
import { KeystreamBatch } from './keystream-batch.js';
import { writeU32, type SrtpTransform } from './transform.js';

const TAG = 16;
const BLOCK = 16;
/** Packets per keystream batch; blocks per packet: E(K, J0) and 12 payload blocks (192 bytes). */
export const GCM_BATCH_PACKETS = 16;
export const GCM_BATCH_BLOCKS = 13;

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
  private readonly ecb: Cipheriv;
  private readonly ghash: Ghash;
  private readonly batch: KeystreamBatch;
  private counters = new Uint8Array(GCM_BATCH_BLOCKS * BLOCK);

  constructor(rtpKeys: SessionKeys, rtcpKeys: SessionKeys) {
    this.rtpKey = createSecretKey(rtpKeys.encryptionKey);
    this.rtcpKey = createSecretKey(rtcpKeys.encryptionKey);
    this.rtpSalt = rtpKeys.salt;
    this.rtcpSalt = rtcpKeys.salt;
    this.algorithm = rtpKeys.encryptionKey.length === 32 ? 'aes-256-gcm' : 'aes-128-gcm';
    this.ecb = createCipheriv(rtpKeys.encryptionKey.length === 32 ? 'aes-256-ecb' : 'aes-128-ecb', rtpKeys.encryptionKey, null);
    this.ecb.setAutoPadding(false);
    this.ghash = new Ghash(this.ecb.update(new Uint8Array(BLOCK)));
    const write = (dst: Uint8Array, at: number, ssrc: number, index: number, blocks: number): void =>
      this.writeCounters(dst, at, ssrc, index, blocks);
    this.batch = new KeystreamBatch((c) => this.ecb.update(c), write, GCM_BATCH_BLOCKS, GCM_BATCH_PACKETS);
  }

  /** Counter blocks j = 0..blocks-1 of an SRTP packet: IV || (1 + j), block 0 being J0. */
  private writeCounters(dst: Uint8Array, at: number, ssrc: number, index: number, blocks: number): void {
    const iv = this.fillIv(this.rtpSalt, ssrc, Math.floor(index / 65536), index & 0xffff);
    for (let j = 0; j < blocks; j++) {
      const to = at + j * BLOCK;
      for (let i = 0; i < 12; i++) dst[to + i] = iv[i] ?? 0;
      writeU32(dst, to + 12, j + 1);
    }
  }

  /**
   * The keystream of SRTP packet (ssrc, roc, seq) for `blocks` blocks (E(K, J0) first): sets `this.stream` and
   * returns the offset in it, from a batch or, when the packet does not fit one, encrypted alone.
   */
  private keystream(ssrc: number, roc: number, seq: number, blocks: number): number {
    const index = roc * 65536 + seq;
    const at = this.batch.lookup(ssrc, index, blocks);
    if (at >= 0) {
      this.stream = this.batch.stream;
      return at;
    }
    if (this.counters.length < blocks * BLOCK) this.counters = new Uint8Array(blocks * BLOCK * 2);
    this.writeCounters(this.counters, 0, ssrc, index, blocks);
    this.stream = this.ecb.update(this.counters.subarray(0, blocks * BLOCK));
    return 0;
  }

  private stream: Uint8Array = new Uint8Array(0);

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
    const out = Buffer.allocUnsafe(length + TAG);
    out.set(packet, 0);
    const bodyLength = length - headerLength;
    const at = this.keystream(ssrc, roc, seq, 1 + Math.ceil(bodyLength / BLOCK));
    const stream = this.stream;
    for (let i = 0; i < bodyLength; i++) out[headerLength + i] = (out[headerLength + i] ?? 0) ^ (stream[at + BLOCK + i] ?? 0);
    const ghash = this.ghash;
    ghash.reset();
    ghash.update(out, 0, headerLength);
    ghash.update(out, headerLength, length);
    ghash.finish(headerLength, bodyLength);
    ghash.tag(stream, at, out, length);
    return out;
  }

  unprotectRtp(packet: Uint8Array, headerLength: number, ssrc: number, roc: number, seq: number): Buffer | undefined {
    const length = packet.length - TAG;
    const bodyLength = length - headerLength;
    if (bodyLength < 0) return undefined;
    const ghash = this.ghash;
    ghash.reset();
    ghash.update(packet, 0, headerLength);
    ghash.update(packet, headerLength, length);
    ghash.finish(headerLength, bodyLength);
    const at = this.keystream(ssrc, roc, seq, 1 + Math.ceil(bodyLength / BLOCK));
    const stream = this.stream;
    if (!ghash.verify(stream, at, packet, length)) return undefined;
    const out = Buffer.allocUnsafe(length);
    out.set(packet.subarray(0, length), 0);
    for (let i = 0; i < bodyLength; i++) out[headerLength + i] = (out[headerLength + i] ?? 0) ^ (stream[at + BLOCK + i] ?? 0);
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
