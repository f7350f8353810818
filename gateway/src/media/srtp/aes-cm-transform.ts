/**
 * AES_CM_128_HMAC_SHA1_80/_32 (RFC 3711 §4.1.1 and §4.2.1). The keystream for a packet is AES in counter mode from
 * the IV `(k_s·2^16) XOR (SSRC·2^64) XOR (i·2^16)`, i the 48-bit index (ROC·2^16 + SEQ) or the SRTCP index; only
 * the payload is encrypted (after the header, CSRCs and extension; padding is part of the payload and untouched
 * as such). The tag is HMAC-SHA1 over the authenticated portion followed by the ROC (SRTP) or over the packet
 * including the E-bit + index word (SRTCP), truncated to 80 or 32 bits (SRTCP always 80).
 *
 * Cost per packet: the keystream comes from one long-lived AES-ECB cipher encrypting the packet's counter blocks
 * (written into a reused buffer), XORed in place — no cipher object per packet (measured several times cheaper than
 * a `createCipheriv('aes-128-ctr')` per packet: bench/src/micro/srtp.ts). The HMAC is computed in JavaScript from
 * inner/outer SHA-1 states precomputed per key (hmac-sha1.ts), the tag written straight into the output.
 */
import { createCipheriv, type Cipheriv } from 'node:crypto';

import { HmacSha1 } from './hmac-sha1.js';
import type { SessionKeys } from './kdf.js';
import { KeystreamBatch } from './keystream-batch.js';
import { writeU32, type SrtpTransform } from './transform.js';

const BLOCK = 16;
const SRTCP_TAG_BYTES = 10;

/** AES counter-mode keystream XORed over a byte range, from a reused ECB cipher and counter buffer. */
export class AesCmKeystream {
  private readonly ecb: Cipheriv;
  private counters = Buffer.alloc(BLOCK * 16);

  constructor(key: Uint8Array) {
    this.ecb = createCipheriv(key.length === 32 ? 'aes-256-ecb' : 'aes-128-ecb', key, null);
    this.ecb.setAutoPadding(false);
  }

  /** AES-ECB of `blocks` (a whole number of blocks): the counter blocks of a batch, in one call. */
  encrypt(blocks: Uint8Array): Buffer {
    return this.ecb.update(blocks);
  }

  /**
   * XORs the keystream starting at counter block `iv` (16 bytes, low 16 bits zero) over `buf[start, end)`.
   * Packets are far below 2^16 blocks, so the counter never carries out of its low 16 bits.
   */
  xor(buf: Uint8Array, start: number, end: number, iv: Uint8Array): void {
    const length = end - start;
    if (length <= 0) return;
    const blocks = Math.ceil(length / BLOCK);
    if (this.counters.length < blocks * BLOCK) this.counters = Buffer.alloc(blocks * BLOCK * 2);
    const counters = this.counters;
    for (let b = 0; b < blocks; b++) {
      const at = b * BLOCK;
      counters.set(iv, at);
      counters[at + 14] = b >>> 8;
      counters[at + 15] = b & 0xff;
    }
    const stream = this.ecb.update(counters.subarray(0, blocks * BLOCK));
    for (let i = 0; i < length; i++) buf[start + i] = (buf[start + i] ?? 0) ^ (stream[i] ?? 0);
  }
}

interface Direction {
  readonly keystream: AesCmKeystream;
  readonly hmac: HmacSha1;
  readonly salt: Buffer;
}

function direction(keys: SessionKeys): Direction {
  return { keystream: new AesCmKeystream(keys.encryptionKey), hmac: new HmacSha1(keys.authKey), salt: keys.salt };
}

/** Packets per keystream batch and counter blocks kept per packet (192 payload bytes: G.711 20 ms, most Opus). */
export const AES_CM_BATCH_PACKETS = 16;
export const AES_CM_BATCH_BLOCKS = 12;

/** The RFC 3711 IV for (salt, ssrc, index) with block counter 0, at `dst[at..at+16)`. */
function writeIv(dst: Uint8Array, at: number, salt: Uint8Array, ssrc: number, high: number, low: number): void {
  for (let i = 0; i < 14; i++) dst[at + i] = salt[i] ?? 0;
  dst[at + 14] = 0;
  dst[at + 15] = 0;
  dst[at + 4] = (dst[at + 4] ?? 0) ^ (ssrc >>> 24);
  dst[at + 5] = (dst[at + 5] ?? 0) ^ ((ssrc >>> 16) & 0xff);
  dst[at + 6] = (dst[at + 6] ?? 0) ^ ((ssrc >>> 8) & 0xff);
  dst[at + 7] = (dst[at + 7] ?? 0) ^ (ssrc & 0xff);
  dst[at + 8] = (dst[at + 8] ?? 0) ^ (high >>> 24);
  dst[at + 9] = (dst[at + 9] ?? 0) ^ ((high >>> 16) & 0xff);
  dst[at + 10] = (dst[at + 10] ?? 0) ^ ((high >>> 8) & 0xff);
  dst[at + 11] = (dst[at + 11] ?? 0) ^ (high & 0xff);
  dst[at + 12] = (dst[at + 12] ?? 0) ^ ((low >>> 8) & 0xff);
  dst[at + 13] = (dst[at + 13] ?? 0) ^ (low & 0xff);
}

/** The SRTP direction's keystream batches: counter blocks b = 0..blocks-1 of the packet's IV. */
function rtpBatch(d: Direction): KeystreamBatch {
  const salt = d.salt;
  const write = (dst: Uint8Array, at: number, ssrc: number, index: number, blocks: number): void => {
    writeIv(dst, at, salt, ssrc, Math.floor(index / 65536), index & 0xffff);
    for (let b = 1; b < blocks; b++) {
      const to = at + b * BLOCK;
      for (let i = 0; i < 14; i++) dst[to + i] = dst[at + i] ?? 0;
      dst[to + 14] = b >>> 8;
      dst[to + 15] = b & 0xff;
    }
  };
  return new KeystreamBatch((c) => d.keystream.encrypt(c), write, AES_CM_BATCH_BLOCKS, AES_CM_BATCH_PACKETS);
}

export class AesCmHmacTransform implements SrtpTransform {
  readonly rtpOverhead: number;
  readonly rtcpOverhead = 4 + SRTCP_TAG_BYTES;
  private readonly rtp: Direction;
  private readonly rtcp: Direction;
  private readonly rtpBatch: KeystreamBatch;
  private readonly iv = Buffer.alloc(BLOCK);
  private readonly rocBytes = Buffer.alloc(4);

  constructor(rtpKeys: SessionKeys, rtcpKeys: SessionKeys, private readonly tagLength: number) {
    this.rtpOverhead = tagLength;
    this.rtp = direction(rtpKeys);
    this.rtcp = direction(rtcpKeys);
    this.rtpBatch = rtpBatch(this.rtp);
  }

  /** XORs the SRTP keystream of (ssrc, roc, seq) over `buf[start, end)`: from a batch when it fits, else alone. */
  private xorRtp(buf: Uint8Array, start: number, end: number, ssrc: number, roc: number, seq: number): void {
    const length = end - start;
    if (length <= 0) return;
    const batch = this.rtpBatch;
    const at = batch.lookup(ssrc, roc * 65536 + seq, Math.ceil(length / BLOCK));
    if (at < 0) {
      this.rtp.keystream.xor(buf, start, end, this.fillIv(this.rtp.salt, ssrc, roc, seq));
      return;
    }
    const stream = batch.stream;
    for (let i = 0; i < length; i++) buf[start + i] = (buf[start + i] ?? 0) ^ (stream[at + i] ?? 0);
  }

  /** Fills `this.iv` with (salt·2^16) XOR (ssrc·2^64) XOR (index·2^16), index = high·2^16 + low. */
  private fillIv(salt: Buffer, ssrc: number, high: number, low: number): Buffer {
    writeIv(this.iv, 0, salt, ssrc, high, low);
    return this.iv;
  }

  protectRtp(packet: Uint8Array, headerLength: number, ssrc: number, roc: number, seq: number): Buffer {
    const length = packet.length;
    const out = Buffer.allocUnsafe(length + this.tagLength);
    out.set(packet, 0);
    this.xorRtp(out, headerLength, length, ssrc, roc, seq);
    writeU32(this.rocBytes, 0, roc);
    this.rtp.hmac.mac(out, length, this.rocBytes, out, length, this.tagLength);
    return out;
  }

  unprotectRtp(packet: Uint8Array, headerLength: number, ssrc: number, roc: number, seq: number): Buffer | undefined {
    const length = packet.length - this.tagLength;
    writeU32(this.rocBytes, 0, roc);
    if (length < 0 || !this.rtp.hmac.verify(packet, length, this.rocBytes, packet, length, this.tagLength)) return undefined;
    const out = Buffer.allocUnsafe(length);
    out.set(packet.subarray(0, length), 0);
    this.xorRtp(out, headerLength, length, ssrc, roc, seq);
    return out;
  }

  protectRtcp(packet: Uint8Array, ssrc: number, index: number): Buffer {
    const length = packet.length;
    const out = Buffer.allocUnsafe(length + this.rtcpOverhead);
    out.set(packet, 0);
    this.rtcp.keystream.xor(out, 8, length, this.fillIv(this.rtcp.salt, ssrc, Math.floor(index / 65536), index & 0xffff));
    writeU32(out, length, (0x80000000 | index) >>> 0);
    this.rtcp.hmac.mac(out, length + 4, undefined, out, length + 4, SRTCP_TAG_BYTES);
    return out;
  }

  rtcpIndexOffset(length: number): number {
    return length - SRTCP_TAG_BYTES - 4;
  }

  unprotectRtcp(packet: Uint8Array, ssrc: number, index: number, encrypted: boolean): Buffer | undefined {
    const authenticated = packet.length - SRTCP_TAG_BYTES;
    if (authenticated < 0 || !this.rtcp.hmac.verify(packet, authenticated, undefined, packet, authenticated, SRTCP_TAG_BYTES)) return undefined;
    const length = authenticated - 4;
    const out = Buffer.allocUnsafe(length);
    out.set(packet.subarray(0, length), 0);
    if (encrypted) this.rtcp.keystream.xor(out, 8, length, this.fillIv(this.rtcp.salt, ssrc, Math.floor(index / 65536), index & 0xffff));
    return out;
  }
}
