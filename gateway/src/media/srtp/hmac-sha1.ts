/**
 * HMAC-SHA1 (RFC 2104, FIPS 180-4 SHA-1) in JavaScript for the per-packet SRTP tag: the SHA-1 states after the
 * inner (key XOR ipad) and outer (key XOR opad) blocks are computed once per key, so a packet costs the compression
 * of its own blocks plus one outer block, over Int32 arithmetic, with a reused message schedule and scratch block —
 * no allocation and no call into node:crypto per packet (a `createHmac` per packet measured 2–3.3 µs, most of it
 * the JS→C++ crossing and the object; bench/src/micro/srtp.ts). Checked against `createHmac` in hmac-sha1.test.ts.
 */
const BLOCK = 64;
export const SHA1_BYTES = 20;

/** SHA-1 compression of the 16 words already in `w[0..15]` into `state` (5 words). */
function compress(state: Int32Array, w: Int32Array): void {
  for (let t = 16; t < 80; t++) {
    const x = (w[t - 3] ?? 0) ^ (w[t - 8] ?? 0) ^ (w[t - 14] ?? 0) ^ (w[t - 16] ?? 0);
    w[t] = (x << 1) | (x >>> 31);
  }
  let a = state[0] ?? 0;
  let b = state[1] ?? 0;
  let c = state[2] ?? 0;
  let d = state[3] ?? 0;
  let e = state[4] ?? 0;
  for (let t = 0; t < 20; t++) {
    const tmp = (((a << 5) | (a >>> 27)) + ((b & c) | (~b & d)) + e + (w[t] ?? 0) + 0x5a827999) | 0;
    e = d;
    d = c;
    c = (b << 30) | (b >>> 2);
    b = a;
    a = tmp;
  }
  for (let t = 20; t < 40; t++) {
    const tmp = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + (w[t] ?? 0) + 0x6ed9eba1) | 0;
    e = d;
    d = c;
    c = (b << 30) | (b >>> 2);
    b = a;
    a = tmp;
  }
  for (let t = 40; t < 60; t++) {
    const tmp = (((a << 5) | (a >>> 27)) + ((b & c) | (b & d) | (c & d)) + e + (w[t] ?? 0) - 0x70e44324) | 0;
    e = d;
    d = c;
    c = (b << 30) | (b >>> 2);
    b = a;
    a = tmp;
  }
  for (let t = 60; t < 80; t++) {
    const tmp = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + (w[t] ?? 0) - 0x359d3e2a) | 0;
    e = d;
    d = c;
    c = (b << 30) | (b >>> 2);
    b = a;
    a = tmp;
  }
  state[0] = ((state[0] ?? 0) + a) | 0;
  state[1] = ((state[1] ?? 0) + b) | 0;
  state[2] = ((state[2] ?? 0) + c) | 0;
  state[3] = ((state[3] ?? 0) + d) | 0;
  state[4] = ((state[4] ?? 0) + e) | 0;
}

/** Loads the 64-byte block at `buf[at..]` big-endian into `w[0..15]`. */
function load(w: Int32Array, buf: Uint8Array, at: number): void {
  for (let i = 0; i < 16; i++, at += 4) {
    w[i] = ((buf[at] ?? 0) << 24) | ((buf[at + 1] ?? 0) << 16) | ((buf[at + 2] ?? 0) << 8) | (buf[at + 3] ?? 0);
  }
}

const INITIAL = [0x67452301, 0xefcdab89 | 0, 0x98badcfe | 0, 0x10325476, 0xc3d2e1f0 | 0];

export class HmacSha1 {
  private readonly inner = new Int32Array(5);
  private readonly outer = new Int32Array(5);
  private readonly state = new Int32Array(5);
  private readonly w = new Int32Array(80);
  /** The message tail (under one block of data plus the suffix) with its padding: at most two blocks. */
  private readonly tail = new Uint8Array(2 * BLOCK);
  private readonly digest = new Uint8Array(SHA1_BYTES);

  constructor(key: Uint8Array) {
    if (key.length > BLOCK) throw new RangeError(`HMAC-SHA1 key of ${key.length} bytes (at most ${BLOCK} here)`);
    const pad = new Uint8Array(BLOCK);
    for (const [state, byte] of [
      [this.inner, 0x36],
      [this.outer, 0x5c],
    ] as const) {
      for (let i = 0; i < BLOCK; i++) pad[i] = (key[i] ?? 0) ^ byte;
      state.set(INITIAL);
      load(this.w, pad, 0);
      compress(state, this.w);
    }
  }

  /**
   * Writes the first `length` bytes (≤ 20) of the MAC of `data[0, dataLength)` followed by `suffix` (the ROC for
   * SRTP, empty for SRTCP) into `out` at `outOffset`.
   */
  mac(data: Uint8Array, dataLength: number, suffix: Uint8Array | undefined, out: Uint8Array, outOffset: number, length: number): void {
    this.compute(data, dataLength, suffix);
    const digest = this.digest;
    for (let i = 0; i < length; i++) out[outOffset + i] = digest[i] ?? 0;
  }

  /** Whether `tag[tagOffset, +length)` equals the first `length` bytes of the MAC, compared in constant time. */
  verify(data: Uint8Array, dataLength: number, suffix: Uint8Array | undefined, tag: Uint8Array, tagOffset: number, length: number): boolean {
    this.compute(data, dataLength, suffix);
    const digest = this.digest;
    let diff = 0;
    for (let i = 0; i < length; i++) diff |= (digest[i] ?? 0) ^ (tag[tagOffset + i] ?? 0);
    return diff === 0;
  }

  private compute(data: Uint8Array, dataLength: number, suffix: Uint8Array | undefined): void {
    const state = this.state;
    const w = this.w;
    state.set(this.inner);
    const full = dataLength - (dataLength % BLOCK);
    for (let at = 0; at < full; at += BLOCK) {
      load(w, data, at);
      compress(state, w);
    }
    const tail = this.tail;
    let n = 0;
    for (let i = full; i < dataLength; i++) tail[n++] = data[i] ?? 0;
    if (suffix !== undefined) for (let i = 0; i < suffix.length; i++) tail[n++] = suffix[i] ?? 0;
    const messageBytes = BLOCK + dataLength + (suffix === undefined ? 0 : suffix.length);
    tail[n++] = 0x80;
    const end = n + 8 <= BLOCK ? BLOCK : 2 * BLOCK;
    tail.fill(0, n, end - 4);
    // Bit length, big-endian in the last 8 bytes (packets are far below 2^29 bytes: the high word is 0).
    const bits = messageBytes * 8;
    tail[end - 4] = bits >>> 24;
    tail[end - 3] = (bits >>> 16) & 0xff;
    tail[end - 2] = (bits >>> 8) & 0xff;
    tail[end - 1] = bits & 0xff;
    for (let at = 0; at < end; at += BLOCK) {
      load(w, tail, at);
      compress(state, w);
    }
    // Outer hash: the outer state over one block holding the inner digest and its padding (84 bytes in all).
    for (let i = 0; i < 5; i++) w[i] = state[i] ?? 0;
    w[5] = 0x80000000 | 0;
    for (let i = 6; i < 15; i++) w[i] = 0;
    w[15] = (BLOCK + SHA1_BYTES) * 8;
    state.set(this.outer);
    compress(state, w);
    const digest = this.digest;
    for (let i = 0; i < 5; i++) {
      const v = state[i] ?? 0;
      digest[i * 4] = v >>> 24;
      digest[i * 4 + 1] = (v >>> 16) & 0xff;
      digest[i * 4 + 2] = (v >>> 8) & 0xff;
      digest[i * 4 + 3] = v & 0xff;
    }
  }
}
