/**
 * RTP fixed header (RFC 3550 §5.1), hand-written: parsing returns views into the datagram (`subarray`, no copies),
 * serializing writes into a caller's buffer when one is given. Anything that is not a well-formed RTP v2 packet
 * parses to `undefined`; nothing here throws on hostile input.
 */

/** A header extension (RFC 3550 §5.3.1): the 16-bit profile word and the extension body (a multiple of 4 bytes). */
export interface RtpHeaderExtension {
  profile: number;
  data: Uint8Array;
}

export interface RtpPacket {
  payloadType: number;
  marker: boolean;
  /** 16-bit sequence number. */
  sequenceNumber: number;
  /** 32-bit RTP timestamp (unsigned). */
  timestamp: number;
  /** 32-bit SSRC (unsigned). */
  ssrc: number;
  csrcs: number[];
  extension?: RtpHeaderExtension;
  payload: Uint8Array;
  /**
   * Padding bytes at the end, including the trailing count byte (P bit set when > 0). Parsed packets keep it so
   * `serializeRtp(parseRtp(raw))` gives back `raw`; serialized padding is zeros followed by the count.
   */
  paddingLength?: number;
}

export const RTP_HEADER_BYTES = 12;

/** Byte `i`, or 0 past the end (callers check lengths first; this keeps the types honest without `!`). */
function u8(buf: Uint8Array, i: number): number {
  return buf[i] ?? 0;
}

function u16(buf: Uint8Array, i: number): number {
  return (u8(buf, i) << 8) | u8(buf, i + 1);
}

function u32(buf: Uint8Array, i: number): number {
  return ((u8(buf, i) << 24) | (u8(buf, i + 1) << 16) | (u8(buf, i + 2) << 8) | u8(buf, i + 3)) >>> 0;
}

function put32(buf: Uint8Array, i: number, v: number): void {
  buf[i] = v >>> 24;
  buf[i + 1] = (v >>> 16) & 0xff;
  buf[i + 2] = (v >>> 8) & 0xff;
  buf[i + 3] = v & 0xff;
}

/**
 * RFC 5761 §4 demultiplexing of RTP and RTCP on one port: RTCP packet types 192–223 in the second byte (which for
 * RTP would be marker + payload type 64–95, a range RTP must not use when muxing). Also requires version 2 and the
 * RTCP minimum length, so stray bytes are not taken for RTCP.
 */
export function isRtcp(buf: Uint8Array): boolean {
  if (buf.length < 8 || u8(buf, 0) >> 6 !== 2) return false;
  const pt = u8(buf, 1);
  return pt >= 192 && pt <= 223;
}

/** Parses an RTP v2 packet; `undefined` if too short, not version 2, or a CSRC/extension/padding length overruns. */
export function parseRtp(buf: Uint8Array): RtpPacket | undefined {
  const length = buf.length;
  if (length < RTP_HEADER_BYTES) return undefined;
  const b0 = u8(buf, 0);
  if (b0 >> 6 !== 2) return undefined;
  const b1 = u8(buf, 1);
  const csrcCount = b0 & 0x0f;
  let offset = RTP_HEADER_BYTES + csrcCount * 4;
  if (offset > length) return undefined;
  const csrcs: number[] = [];
  for (let i = RTP_HEADER_BYTES; i < offset; i += 4) csrcs.push(u32(buf, i));

  let extension: RtpHeaderExtension | undefined;
  if ((b0 & 0x10) !== 0) {
    if (offset + 4 > length) return undefined;
    const profile = u16(buf, offset);
    const extBytes = u16(buf, offset + 2) * 4;
    offset += 4;
    if (offset + extBytes > length) return undefined;
    extension = { profile, data: buf.subarray(offset, offset + extBytes) };
    offset += extBytes;
  }

  let end = length;
  let paddingLength = 0;
  if ((b0 & 0x20) !== 0) {
    paddingLength = u8(buf, length - 1);
    if (paddingLength === 0 || offset + paddingLength > length) return undefined;
    end = length - paddingLength;
  }

  const packet: RtpPacket = {
    payloadType: b1 & 0x7f,
    marker: (b1 & 0x80) !== 0,
    sequenceNumber: u16(buf, 2),
    timestamp: u32(buf, 4),
    ssrc: u32(buf, 8),
    csrcs,
    payload: buf.subarray(offset, end),
  };
  if (extension !== undefined) packet.extension = extension;
  if (paddingLength > 0) packet.paddingLength = paddingLength;
  return packet;
}

/** Bytes `serializeRtp` will write for `p`. */
export function rtpSize(p: RtpPacket): number {
  const ext = p.extension === undefined ? 0 : 4 + p.extension.data.length;
  return RTP_HEADER_BYTES + p.csrcs.length * 4 + ext + p.payload.length + (p.paddingLength ?? 0);
}

/**
 * Serializes `p`. With `out` (large enough), writes into it and returns the written prefix as a view; otherwise
 * allocates. Throws `RangeError` on a packet that cannot be encoded (more than 15 CSRCs, an extension body that is
 * not a multiple of 4 bytes, padding outside 1–255, `out` too small): those are programming errors, not input.
 */
export function serializeRtp(p: RtpPacket, out?: Uint8Array): Uint8Array {
  const size = rtpSize(p);
  const padding = p.paddingLength ?? 0;
  if (p.csrcs.length > 15) throw new RangeError('RTP: more than 15 CSRCs');
  if (padding < 0 || padding > 255) throw new RangeError('RTP: padding must be 0-255 bytes');
  if (p.extension !== undefined && p.extension.data.length % 4 !== 0) {
    throw new RangeError('RTP: header extension body must be a multiple of 4 bytes');
  }
  let buf: Uint8Array;
  if (out === undefined) buf = new Uint8Array(size);
  else if (out.length < size) throw new RangeError(`RTP: output buffer too small (${out.length} < ${size})`);
  else buf = out;

  buf[0] = 0x80 | (padding > 0 ? 0x20 : 0) | (p.extension !== undefined ? 0x10 : 0) | p.csrcs.length;
  buf[1] = (p.marker ? 0x80 : 0) | (p.payloadType & 0x7f);
  buf[2] = (p.sequenceNumber >>> 8) & 0xff;
  buf[3] = p.sequenceNumber & 0xff;
  put32(buf, 4, p.timestamp);
  put32(buf, 8, p.ssrc);
  let offset = RTP_HEADER_BYTES;
  for (const csrc of p.csrcs) {
    put32(buf, offset, csrc);
    offset += 4;
  }
  if (p.extension !== undefined) {
    const words = p.extension.data.length / 4;
    buf[offset] = (p.extension.profile >>> 8) & 0xff;
    buf[offset + 1] = p.extension.profile & 0xff;
    buf[offset + 2] = (words >>> 8) & 0xff;
    buf[offset + 3] = words & 0xff;
    buf.set(p.extension.data, offset + 4);
    offset += 4 + p.extension.data.length;
  }
  buf.set(p.payload, offset);
  offset += p.payload.length;
  if (padding > 0) {
    buf.fill(0, offset, offset + padding - 1);
    buf[offset + padding - 1] = padding;
  }
  return out === undefined ? buf : buf.subarray(0, size);
}
