/**
 * Reads a remote SDP (RFC 4566) into a small, fully typed model. sdp-transform does the line parsing; this file
 * checks what it produced at run time, because it is lenient and its typings promise more than it guarantees
 * (an unmatched line is silently dropped, numbers may come back as strings).
 */

import { parse } from 'sdp-transform';
import type { Direction } from './types.js';
import { badSdp, SdpErrorCode } from './errors.js';

export interface RemoteFormat {
  payloadType: number;
  /** Encoding name from `a=rtpmap`, absent for a static payload type sent without one. */
  name?: string;
  clockRate?: number;
  channels: number;
  fmtp?: string;
}

export interface RemoteStream {
  /** Position among the m= lines, from 0. */
  index: number;
  type: string;
  port: number;
  protocol: string;
  /** The m= line's format list as written, for echoing in a rejected stream. */
  formatList: string;
  /** Parsed RTP formats in m= line order; empty for non-RTP protocols. */
  formats: RemoteFormat[];
  /** Media-level c= if present, else session-level. */
  connection?: { ipVersion: 4 | 6; address: string };
  /** Media-level attribute if present, else session-level, else sendrecv. */
  direction: Direction;
  rtcpPort?: number;
  ptimeMs?: number;
  maxPtimeMs?: number;
}

export interface RemoteSdp {
  streams: RemoteStream[];
}

const LINE = /^[a-z]=/;
const DIRECTIONS: readonly Direction[] = ['sendrecv', 'sendonly', 'recvonly', 'inactive'];

function asRecord(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

function asArray(v: unknown): unknown[] {
  return Array.isArray(v) ? (v as unknown[]) : [];
}

/** A finite number, accepting the numeric strings sdp-transform leaves unconverted (`20.0`). */
function asNumber(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN;
  return Number.isFinite(n) ? n : undefined;
}

function asString(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function isRtpProtocol(protocol: string): boolean {
  return protocol.toUpperCase().startsWith('RTP/');
}

function readDirection(v: unknown): Direction | undefined {
  return DIRECTIONS.find((d) => d === v);
}

function readConnection(v: unknown, where: string): RemoteStream['connection'] {
  const c = asRecord(v);
  if (c === undefined) return undefined;
  const version = asNumber(c['version']);
  const address = asString(c['ip']);
  if ((version !== 4 && version !== 6) || address === undefined || address === '') {
    throw badSdp(SdpErrorCode.Parse, `malformed c= line at ${where} level`);
  }
  return { ipVersion: version, address };
}

function readFormats(m: Record<string, unknown>, payloadTypes: number[], index: number): RemoteFormat[] {
  const rtpmaps = new Map<number, Record<string, unknown>>();
  for (const raw of asArray(m['rtp'])) {
    const r = asRecord(raw);
    const pt = asNumber(r?.['payload']);
    if (r !== undefined && pt !== undefined && !rtpmaps.has(pt)) rtpmaps.set(pt, r);
  }
  const fmtps = new Map<number, string>();
  for (const raw of asArray(m['fmtp'])) {
    const f = asRecord(raw);
    const pt = asNumber(f?.['payload']);
    const config = asString(f?.['config']);
    if (pt !== undefined && config !== undefined && !fmtps.has(pt)) fmtps.set(pt, config);
  }
  return payloadTypes.map((payloadType) => {
    const format: RemoteFormat = { payloadType, channels: 1 };
    const map = rtpmaps.get(payloadType);
    if (map !== undefined) {
      const name = asString(map['codec']);
      if (name === undefined || name === '') {
        throw badSdp(SdpErrorCode.Parse, `malformed a=rtpmap for payload type ${payloadType} in m= line ${index + 1}`);
      }
      format.name = name;
      const rate = asNumber(map['rate']);
      if (rate !== undefined) format.clockRate = rate;
      const channels = asNumber(map['encoding']);
      if (channels !== undefined) format.channels = channels;
    }
    const fmtp = fmtps.get(payloadType);
    if (fmtp !== undefined) format.fmtp = fmtp;
    return format;
  });
}

function readStream(raw: unknown, index: number, session: Record<string, unknown>): RemoteStream {
  const m = asRecord(raw);
  const type = asString(m?.['type']);
  const port = asNumber(m?.['port']);
  const protocol = asString(m?.['protocol']);
  if (
    m === undefined ||
    type === undefined ||
    type === '' ||
    protocol === undefined ||
    protocol === '' ||
    port === undefined ||
    !Number.isInteger(port) ||
    port < 0 ||
    port > 65535
  ) {
    throw badSdp(SdpErrorCode.Parse, `malformed m= line ${index + 1}`);
  }
  const formatList = String(m['payloads'] ?? '').trim();
  if (formatList === '') throw badSdp(SdpErrorCode.Parse, `m= line ${index + 1} has no formats`);

  let formats: RemoteFormat[] = [];
  if (isRtpProtocol(protocol)) {
    const payloadTypes = formatList.split(/\s+/).map(Number);
    if (payloadTypes.some((pt) => !Number.isInteger(pt) || pt < 0 || pt > 127)) {
      throw badSdp(SdpErrorCode.Parse, `m= line ${index + 1} has a payload type outside 0-127`);
    }
    formats = readFormats(m, payloadTypes, index);
  }

  const stream: RemoteStream = {
    index,
    type,
    port,
    protocol,
    formatList,
    formats,
    direction: readDirection(m['direction']) ?? readDirection(session['direction']) ?? 'sendrecv',
  };
  const connection =
    readConnection(m['connection'], `m= line ${index + 1}`) ?? readConnection(session['connection'], 'session');
  if (connection !== undefined) stream.connection = connection;
  const rtcpPort = asNumber(asRecord(m['rtcp'])?.['port']);
  if (rtcpPort !== undefined && Number.isInteger(rtcpPort) && rtcpPort > 0 && rtcpPort <= 65535) {
    stream.rtcpPort = rtcpPort;
  }
  const ptime = asNumber(m['ptime'] ?? session['ptime']);
  if (ptime !== undefined) stream.ptimeMs = ptime;
  const maxptime = asNumber(m['maxptime'] ?? session['maxptime']);
  if (maxptime !== undefined) stream.maxPtimeMs = maxptime;
  return stream;
}

/** Parses and checks an SDP body. Throws SdpError 400 naming the fault. Never returns zero streams. */
export function readSdp(text: string): RemoteSdp {
  const lines = text.split(/\r\n|\n/).filter((l) => l.trim() !== '');
  if (lines.length === 0) throw badSdp(SdpErrorCode.Parse, 'empty SDP');
  if (lines[0]?.trim() !== 'v=0') throw badSdp(SdpErrorCode.Parse, 'SDP does not start with v=0');
  const badLine = lines.findIndex((l) => !LINE.test(l));
  if (badLine >= 0) throw badSdp(SdpErrorCode.Parse, `SDP line ${badLine + 1} is not <type>=<value>`);
  if (!lines.some((l) => l.startsWith('o='))) throw badSdp(SdpErrorCode.Parse, 'missing o= line');

  let parsed: unknown;
  try {
    parsed = parse(lines.join('\r\n') + '\r\n');
  } catch (err) {
    throw badSdp(SdpErrorCode.Parse, 'unparsable SDP', err);
  }
  const session = asRecord(parsed);
  if (session === undefined || asRecord(session['origin']) === undefined) {
    throw badSdp(SdpErrorCode.Parse, 'malformed o= line');
  }
  const media = asArray(session['media']);
  if (media.length === 0) throw badSdp(SdpErrorCode.MissingMedia, 'missing m= line');
  return { streams: media.map((m, i) => readStream(m, i, session)) };
}
