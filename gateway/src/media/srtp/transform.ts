/**
 * What a suite does to one packet once the session has worked out its index: the AES-CM + HMAC-SHA1 transform
 * (RFC 3711) and the AES-GCM one (RFC 7714) both implement this, so the session's counters, rollover and replay
 * logic are written once. `unprotect*` returns `undefined` when the tag does not verify (nothing is decrypted then).
 */

export interface SrtpTransform {
  /** Bytes added to an RTP packet (the tag). */
  readonly rtpOverhead: number;
  /** Bytes added to an RTCP packet (the E-bit + index word and the tag). */
  readonly rtcpOverhead: number;
  protectRtp(packet: Uint8Array, headerLength: number, ssrc: number, roc: number, seq: number): Buffer;
  unprotectRtp(packet: Uint8Array, headerLength: number, ssrc: number, roc: number, seq: number): Buffer | undefined;
  /** Encrypts (E=1) and tags with the 31-bit SRTCP `index`, appending the index word and the tag. */
  protectRtcp(packet: Uint8Array, ssrc: number, index: number): Buffer;
  /** Where the E-bit + index word sits in a protected RTCP packet of `length` bytes. */
  rtcpIndexOffset(length: number): number;
  unprotectRtcp(packet: Uint8Array, ssrc: number, index: number, encrypted: boolean): Buffer | undefined;
}

/** Writes `value` as 32-bit big-endian at `offset` (no bounds or type checks: callers size their buffers). */
export function writeU32(buf: Uint8Array, offset: number, value: number): void {
  buf[offset] = value >>> 24;
  buf[offset + 1] = (value >>> 16) & 0xff;
  buf[offset + 2] = (value >>> 8) & 0xff;
  buf[offset + 3] = value & 0xff;
}

export function readU32(buf: Uint8Array, offset: number): number {
  return (((buf[offset] ?? 0) << 24) | ((buf[offset + 1] ?? 0) << 16) | ((buf[offset + 2] ?? 0) << 8) | (buf[offset + 3] ?? 0)) >>> 0;
}
