/**
 * RTCP (RFC 3550 §6): sender and receiver reports, SDES CNAME and BYE, in compound packets. Building is for what
 * we send (a report, a CNAME, optionally BYE); parsing accepts any compound packet and keeps what it does not
 * know as `unknown` (APP, feedback, XR). `parseRtcp` never throws: a compound packet that fails the RFC 3550 A.2
 * validity checks parses to `[]`.
 */
export { ReceptionStats, type ReceptionStatsOptions } from './reception-stats.js';

export const RTCP_SR = 200;
export const RTCP_RR = 201;
export const RTCP_SDES = 202;
export const RTCP_BYE = 203;

/** One reception report block (RFC 3550 §6.4.1). */
export interface ReportBlock {
  ssrc: number;
  /** Fraction lost since the previous report, as an 8-bit fixed-point number (lost/expected × 256). */
  fractionLost: number;
  /** Cumulative packets lost, signed 24-bit (duplicates can make it negative). */
  cumulativeLost: number;
  /** Extended highest sequence number received (cycles << 16 | seq). */
  highestSeq: number;
  /** Interarrival jitter in timestamp units. */
  jitter: number;
  /** Middle 32 bits of the NTP timestamp of the last SR received from this source, 0 if none. */
  lastSr: number;
  /** Delay since that SR, in units of 1/65536 s, 0 if none. */
  delaySinceLastSr: number;
}

export interface NtpTime {
  /** Seconds since 1900 (32-bit, wraps in 2036). */
  seconds: number;
  /** Fraction of a second in units of 2^-32. */
  fraction: number;
}

export type RtcpPacket =
  | {
      type: 'sr';
      ssrc: number;
      ntp: NtpTime;
      rtpTimestamp: number;
      packetCount: number;
      octetCount: number;
      reports: ReportBlock[];
    }
  | { type: 'rr'; ssrc: number; reports: ReportBlock[] }
  | { type: 'sdes'; chunks: { ssrc: number; cname?: string }[] }
  | { type: 'bye'; ssrcs: number[]; reason?: string }
  | { type: 'unknown'; packetType: number; count: number; body: Uint8Array };

const NTP_UNIX_OFFSET_S = 2_208_988_800;

/** NTP time of a wall-clock instant given in Unix ms (the caller reads the clock; this stays pure). */
export function ntpFromUnixMs(unixMs: number): NtpTime {
  const totalS = unixMs / 1000 + NTP_UNIX_OFFSET_S;
  const seconds = Math.floor(totalS);
  return { seconds: seconds >>> 0, fraction: Math.floor((totalS - seconds) * 2 ** 32) >>> 0 };
}

/** The compact NTP form used by LSR: the middle 32 bits. */
export function ntpMiddle32(ntp: NtpTime): number {
  return (((ntp.seconds & 0xffff) << 16) | (ntp.fraction >>> 16)) >>> 0;
}

// ---- building ----

export interface RtcpCommonOptions {
  /** Our SSRC. */
  ssrc: number;
  /** At most 31 blocks (RFC 3550's RC field); more throw. */
  reports?: ReportBlock[];
  /** Our CNAME; RFC 3550 requires one in every compound packet. */
  cname: string;
  /** Append a BYE for `ssrc` (with an optional reason) to end the session. */
  bye?: { reason?: string };
}

export interface SenderReportOptions extends RtcpCommonOptions {
  ntp: NtpTime;
  rtpTimestamp: number;
  packetCount: number;
  octetCount: number;
}

/** Compound RR + SDES(CNAME) [+ BYE]. */
export function buildReceiverReport(options: RtcpCommonOptions): Uint8Array {
  const reports = options.reports ?? [];
  const rr = new Uint8Array(8 + 24 * reports.length);
  header(rr, reports.length, RTCP_RR);
  put32(rr, 4, options.ssrc);
  writeBlocks(rr, 8, reports);
  return concat([rr, sdes(options.ssrc, options.cname), ...bye(options)]);
}

/** Compound SR + SDES(CNAME) [+ BYE]. */
export function buildSenderReport(options: SenderReportOptions): Uint8Array {
  const reports = options.reports ?? [];
  const sr = new Uint8Array(28 + 24 * reports.length);
  header(sr, reports.length, RTCP_SR);
  put32(sr, 4, options.ssrc);
  put32(sr, 8, options.ntp.seconds);
  put32(sr, 12, options.ntp.fraction);
  put32(sr, 16, options.rtpTimestamp);
  put32(sr, 20, options.packetCount);
  put32(sr, 24, options.octetCount);
  writeBlocks(sr, 28, reports);
  return concat([sr, sdes(options.ssrc, options.cname), ...bye(options)]);
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: false });

function header(buf: Uint8Array, count: number, packetType: number): void {
  if (count > 31) throw new RangeError('RTCP: more than 31 items in one packet');
  if (buf.length % 4 !== 0) throw new RangeError('RTCP: packet length must be a multiple of 4');
  buf[0] = 0x80 | count;
  buf[1] = packetType;
  const words = buf.length / 4 - 1;
  buf[2] = (words >>> 8) & 0xff;
  buf[3] = words & 0xff;
}

function writeBlocks(buf: Uint8Array, offset: number, reports: readonly ReportBlock[]): void {
  let o = offset;
  for (const r of reports) {
    put32(buf, o, r.ssrc);
    const lost = Math.max(-0x800000, Math.min(0x7fffff, Math.trunc(r.cumulativeLost))) & 0xffffff;
    put32(buf, o + 4, ((Math.max(0, Math.min(255, r.fractionLost)) << 24) | lost) >>> 0);
    put32(buf, o + 8, r.highestSeq);
    put32(buf, o + 12, Math.max(0, Math.floor(r.jitter)));
    put32(buf, o + 16, r.lastSr);
    put32(buf, o + 20, r.delaySinceLastSr);
    o += 24;
  }
}

function sdes(ssrc: number, cname: string): Uint8Array {
  let text = encoder.encode(cname);
  if (text.length > 255) text = text.subarray(0, 255);
  // header 4 + ssrc 4 + type 1 + len 1 + text + at least one null, padded to 32 bits
  const size = Math.ceil((4 + 4 + 2 + text.length + 1) / 4) * 4;
  const buf = new Uint8Array(size);
  header(buf, 1, RTCP_SDES);
  put32(buf, 4, ssrc);
  buf[8] = 1; // CNAME
  buf[9] = text.length;
  buf.set(text, 10);
  return buf;
}

function bye(options: RtcpCommonOptions): Uint8Array[] {
  if (options.bye === undefined) return [];
  let reason = options.bye.reason === undefined ? undefined : encoder.encode(options.bye.reason);
  if (reason !== undefined && reason.length > 255) reason = reason.subarray(0, 255);
  const size = reason === undefined ? 8 : Math.ceil((8 + 1 + reason.length) / 4) * 4;
  const buf = new Uint8Array(size);
  header(buf, 1, RTCP_BYE);
  put32(buf, 4, options.ssrc);
  if (reason !== undefined) {
    buf[8] = reason.length;
    buf.set(reason, 9);
  }
  return [buf];
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const p of parts) size += p.length;
  const out = new Uint8Array(size);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function put32(buf: Uint8Array, i: number, v: number): void {
  buf[i] = v >>> 24;
  buf[i + 1] = (v >>> 16) & 0xff;
  buf[i + 2] = (v >>> 8) & 0xff;
  buf[i + 3] = v & 0xff;
}

// ---- parsing ----

function u8(buf: Uint8Array, i: number): number {
  return buf[i] ?? 0;
}

function u32(buf: Uint8Array, i: number): number {
  return ((u8(buf, i) << 24) | (u8(buf, i + 1) << 16) | (u8(buf, i + 2) << 8) | u8(buf, i + 3)) >>> 0;
}

/**
 * Parses a compound RTCP packet. Validity (RFC 3550 A.2, relaxed so reduced-size RTCP of RFC 5506 also parses):
 * every packet version 2, lengths that add up exactly to the datagram, padding only on the last packet.
 * Anything else gives `[]`.
 */
export function parseRtcp(buf: Uint8Array): RtcpPacket[] {
  const out: RtcpPacket[] = [];
  let offset = 0;
  while (offset < buf.length) {
    if (offset + 4 > buf.length) return [];
    const b0 = u8(buf, offset);
    if (b0 >> 6 !== 2) return [];
    const count = b0 & 0x1f;
    const packetType = u8(buf, offset + 1);
    const size = (((u8(buf, offset + 2) << 8) | u8(buf, offset + 3)) + 1) * 4;
    const end = offset + size;
    if (end > buf.length) return [];
    let bodyEnd = end;
    if ((b0 & 0x20) !== 0) {
      if (end !== buf.length) return []; // padding only on the last packet
      const padding = u8(buf, end - 1);
      if (padding === 0 || offset + 4 + padding > end) return [];
      bodyEnd = end - padding;
    }
    const packet = parseOne(buf.subarray(offset, bodyEnd), packetType, count);
    if (packet === undefined) return [];
    out.push(packet);
    offset = end;
  }
  return out;
}

function parseOne(p: Uint8Array, packetType: number, count: number): RtcpPacket | undefined {
  switch (packetType) {
    case RTCP_SR: {
      if (p.length < 28 + 24 * count) return undefined;
      return {
        type: 'sr',
        ssrc: u32(p, 4),
        ntp: { seconds: u32(p, 8), fraction: u32(p, 12) },
        rtpTimestamp: u32(p, 16),
        packetCount: u32(p, 20),
        octetCount: u32(p, 24),
        reports: readBlocks(p, 28, count),
      };
    }
    case RTCP_RR:
      if (p.length < 8 + 24 * count) return undefined;
      return { type: 'rr', ssrc: u32(p, 4), reports: readBlocks(p, 8, count) };
    case RTCP_SDES:
      return parseSdes(p, count);
    case RTCP_BYE: {
      if (p.length < 4 + 4 * count) return undefined;
      const ssrcs: number[] = [];
      for (let i = 0; i < count; i++) ssrcs.push(u32(p, 4 + 4 * i));
      const o = 4 + 4 * count;
      if (o < p.length) {
        const length = u8(p, o);
        if (o + 1 + length > p.length) return undefined;
        return { type: 'bye', ssrcs, reason: decoder.decode(p.subarray(o + 1, o + 1 + length)) };
      }
      return { type: 'bye', ssrcs };
    }
    default:
      return { type: 'unknown', packetType, count, body: p.subarray(4) };
  }
}

function readBlocks(p: Uint8Array, offset: number, count: number): ReportBlock[] {
  const blocks: ReportBlock[] = [];
  for (let i = 0, o = offset; i < count; i++, o += 24) {
    const lostWord = u32(p, o + 4);
    const lost24 = lostWord & 0xffffff;
    blocks.push({
      ssrc: u32(p, o),
      fractionLost: lostWord >>> 24,
      cumulativeLost: lost24 & 0x800000 ? lost24 - 0x1000000 : lost24,
      highestSeq: u32(p, o + 8),
      jitter: u32(p, o + 12),
      lastSr: u32(p, o + 16),
      delaySinceLastSr: u32(p, o + 20),
    });
  }
  return blocks;
}

function parseSdes(p: Uint8Array, count: number): RtcpPacket | undefined {
  const chunks: { ssrc: number; cname?: string }[] = [];
  let o = 4;
  for (let i = 0; i < count; i++) {
    if (o + 4 > p.length) return undefined;
    const chunk: { ssrc: number; cname?: string } = { ssrc: u32(p, o) };
    o += 4;
    for (;;) {
      if (o >= p.length) return undefined;
      const itemType = u8(p, o);
      if (itemType === 0) {
        o = (o + 4) & ~3; // the null item, then padding to the next 32-bit boundary
        break;
      }
      if (o + 2 > p.length) return undefined;
      const length = u8(p, o + 1);
      if (o + 2 + length > p.length) return undefined;
      if (itemType === 1) chunk.cname = decoder.decode(p.subarray(o + 2, o + 2 + length));
      o += 2 + length;
    }
    chunks.push(chunk);
  }
  return { type: 'sdes', chunks };
}
