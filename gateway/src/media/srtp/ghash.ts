/**
 * GHASH (NIST SP 800-38D §6.4) in JavaScript with Shoup's 8-bit tables: per key, the products `b·H` for the 256
 * byte values (4 KB), so a block costs 16 table steps over Uint32 arithmetic (no allocation, no call into
 * node:crypto). Used by the AEAD_AES_128_GCM SRTP transform with a batched counter keystream instead of a GCM
 * cipher object per packet. Checked against node's aes-128-gcm in fast-path.test.ts.
 *
 * Bit order: a block is a 128-bit big-endian number whose most significant bit is the coefficient of x^0; a
 * multiplication by x is a right shift, reduced by XOR of 0xE1 into the top byte (x^128 = x^7 + x^2 + x + 1).
 */

/** R8[r]: the reduction of r·x^128 (r the byte shifted out by a right shift of 8), as the top 16 bits. */
const R8 = (() => {
  const table = new Int32Array(256);
  for (let r = 0; r < 256; r++) {
    // The byte r sits at coefficients x^120..x^127 (the low byte); shift right 8 times, one bit at a time.
    let hi = 0; // coefficients x^0..x^15 as a 16-bit big-endian number
    let low = r;
    for (let k = 0; k < 8; k++) {
      const carry = low & 1;
      low >>>= 1;
      hi >>>= 1;
      if (carry !== 0) hi ^= 0xe100;
    }
    table[r] = hi;
  }
  return table;
})();

export class Ghash {
  /** M[4b..4b+3]: b·H as four big-endian words, b a byte at coefficients x^0..x^7. */
  private readonly m = new Int32Array(1024);
  private readonly y = new Int32Array(4);

  /** `h` = E(K, 0^128). */
  constructor(h: Uint8Array) {
    const m = this.m;
    let v0 = word(h, 0);
    let v1 = word(h, 4);
    let v2 = word(h, 8);
    let v3 = word(h, 12);
    // M[0x80] = H, M[0x40] = H·x, …, M[1] = H·x^7; the others by XOR (multiplication is linear).
    for (let bit = 0x80; bit > 0; bit >>>= 1) {
      m[bit * 4] = v0;
      m[bit * 4 + 1] = v1;
      m[bit * 4 + 2] = v2;
      m[bit * 4 + 3] = v3;
      const carry = v3 & 1;
      v3 = (v3 >>> 1) | (v2 << 31);
      v2 = (v2 >>> 1) | (v1 << 31);
      v1 = (v1 >>> 1) | (v0 << 31);
      v0 = (v0 >>> 1) ^ (carry !== 0 ? 0xe1000000 | 0 : 0);
    }
    for (let b = 2; b < 256; b <<= 1) {
      for (let j = 1; j < b; j++) {
        for (let w = 0; w < 4; w++) m[(b + j) * 4 + w] = (m[b * 4 + w] ?? 0) ^ (m[j * 4 + w] ?? 0);
      }
    }
  }

  reset(): void {
    this.y.fill(0);
  }

  /** Absorbs `buf[start, end)`, its last block zero-padded (GCM pads A and C each to a block boundary). */
  update(buf: Uint8Array, start: number, end: number): void {
    const y = this.y;
    const m = this.m;
    let y0 = y[0] ?? 0;
    let y1 = y[1] ?? 0;
    let y2 = y[2] ?? 0;
    let y3 = y[3] ?? 0;
    for (let at = start; at < end; at += 16) {
      if (at + 16 <= end) {
        y0 ^= word(buf, at);
        y1 ^= word(buf, at + 4);
        y2 ^= word(buf, at + 8);
        y3 ^= word(buf, at + 12);
      } else {
        y0 ^= partialWord(buf, at, end);
        y1 ^= partialWord(buf, at + 4, end);
        y2 ^= partialWord(buf, at + 8, end);
        y3 ^= partialWord(buf, at + 12, end);
      }
      // Z = Y·H by Horner over the bytes of Y from the last (x^120..x^127) to the first.
      let z0 = 0;
      let z1 = 0;
      let z2 = 0;
      let z3 = 0;
      for (let i = 15; i >= 0; i--) {
        const rem = z3 & 0xff;
        z3 = (z3 >>> 8) | (z2 << 24);
        z2 = (z2 >>> 8) | (z1 << 24);
        z1 = (z1 >>> 8) | (z0 << 24);
        z0 = (z0 >>> 8) ^ ((R8[rem] ?? 0) << 16);
        const w = i < 4 ? y0 : i < 8 ? y1 : i < 12 ? y2 : y3;
        const b = ((w >>> ((3 - (i & 3)) * 8)) & 0xff) * 4;
        z0 ^= m[b] ?? 0;
        z1 ^= m[b + 1] ?? 0;
        z2 ^= m[b + 2] ?? 0;
        z3 ^= m[b + 3] ?? 0;
      }
      y0 = z0;
      y1 = z1;
      y2 = z2;
      y3 = z3;
    }
    y[0] = y0;
    y[1] = y1;
    y[2] = y2;
    y[3] = y3;
  }

  /** Absorbs the length block (bit lengths of A and C, 64 bits each) — packets are far below 2^29 bytes. */
  finish(aadBytes: number, ctBytes: number): void {
    const len = this.lengths;
    len.fill(0);
    writeBe32(len, 4, aadBytes * 8);
    writeBe32(len, 12, ctBytes * 8);
    this.update(len, 0, 16);
  }

  private readonly lengths = new Uint8Array(16);

  /** Writes GHASH XOR `mask[maskAt, +16)` (E(K, J0)) at `out[outAt..]`: the GCM tag. */
  tag(mask: Uint8Array, maskAt: number, out: Uint8Array, outAt: number): void {
    for (let w = 0; w < 4; w++) {
      const v = this.y[w] ?? 0;
      for (let k = 0; k < 4; k++) {
        const i = w * 4 + k;
        out[outAt + i] = ((v >>> ((3 - k) * 8)) & 0xff) ^ (mask[maskAt + i] ?? 0);
      }
    }
  }

  /** Whether GHASH XOR `mask[maskAt, +16)` equals `tag[tagAt, +16)`, compared in constant time. */
  verify(mask: Uint8Array, maskAt: number, tag: Uint8Array, tagAt: number): boolean {
    let diff = 0;
    for (let w = 0; w < 4; w++) {
      const v = this.y[w] ?? 0;
      for (let k = 0; k < 4; k++) {
        const i = w * 4 + k;
        diff |= ((v >>> ((3 - k) * 8)) & 0xff) ^ (mask[maskAt + i] ?? 0) ^ (tag[tagAt + i] ?? 0);
      }
    }
    return diff === 0;
  }
}

function word(buf: Uint8Array, at: number): number {
  return ((buf[at] ?? 0) << 24) | ((buf[at + 1] ?? 0) << 16) | ((buf[at + 2] ?? 0) << 8) | (buf[at + 3] ?? 0);
}

/** The big-endian word at `at` with the bytes at or past `end` taken as zero. */
function partialWord(buf: Uint8Array, at: number, end: number): number {
  let v = 0;
  for (let k = 0; k < 4; k++) v |= (at + k < end ? (buf[at + k] ?? 0) : 0) << (24 - 8 * k);
  return v;
}

function writeBe32(buf: Uint8Array, at: number, value: number): void {
  buf[at] = value >>> 24;
  buf[at + 1] = (value >>> 16) & 0xff;
  buf[at + 2] = (value >>> 8) & 0xff;
  buf[at + 3] = value & 0xff;
}
