/**
 * Reads a remote SDP (RFC 4566) into a small, fully typed model. sdp-transform does the line parsing; this file
 * checks what it produced at run time, because it is lenient and its typings promise more than it guarantees
 * (an unmatched line is silently dropped, numbers may come back as strings).
 */

import { isIPv4, isIPv6 } from 'node:net';
import { parse } from 'sdp-transform';
import type { Direction } from './types.js';
import { badSdp, SdpErrorCode } from './errors.js';
import { MAX_CRYPTO_LINES } from './sdes.js';

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
  /** Media-level c= if present, else session-level; absent when that c= is unusable (see `fault`). */
  connection?: { ipVersion: 4 | 6; address: string };
  /** Media-level attribute if present, else session-level, else sendrecv. */
  direction: Direction;
  /** From `a=rtcp` (RFC 3605), checked to be 1–65535. */
  rtcpPort?: number;
  /** The address `a=rtcp` names, when it names one (a checked IP literal). */
  rtcpAddress?: string;
  /**
   * Why this stream's transport cannot be used, for a 488 naming it: its c= is malformed or not a unicast IP
   * literal of its address type, or its `a=rtcp` port or address is invalid. Undefined when usable.
   */
  fault?: string;
  ptimeMs?: number;
  maxPtimeMs?: number;
  /** The stream's `a=crypto:` values as written (SDES, RFC 4568), the first MAX_CRYPTO_LINES; read by sdes.ts. */
  crypto: string[];
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

/** At most 64 printable characters of remote text, for a reason phrase or a log line. */
function shown(text: string): string {
  const clean = text.replace(/[^\x21-\x7e]/g, '?');
  return clean.length > 64 ? `${clean.slice(0, 61)}...` : clean;
}

function isMulticast(address: string, ipVersion: 4 | 6): boolean {
  if (ipVersion === 6) return /^ff/i.test(address);
  const first = Number(address.split('.')[0]);
  return first >= 224 && first <= 239;
}

/**
 * Why `address` cannot be a media destination of IP version `ipVersion` (undefined when it can): we send only to
 * unicast IP literals, never to a name (a DNS lookup per packet, on a name any caller chooses) or a multicast group.
 */
function addressFault(address: string, ipVersion: number): string | undefined {
  if (ipVersion !== 4 && ipVersion !== 6) return `unsupported address type IP${shown(String(ipVersion))}`;
  const literal = ipVersion === 4 ? isIPv4(address) : isIPv6(address);
  if (!literal) return `'${shown(address)}' is not an IPv${ipVersion} address`;
  if (isMulticast(address, ipVersion)) return `'${shown(address)}' is a multicast address`;
  return undefined;
}

type ConnectionRead = { connection: NonNullable<RemoteStream['connection']> } | { fault: string } | undefined;

function readConnection(v: unknown, where: string): ConnectionRead {
  const c = asRecord(v);
  if (c === undefined) return undefined;
  const version = asNumber(c['version']);
  const address = asString(c['ip']);
  if (version === undefined || address === undefined || address === '') return { fault: `malformed c= line at ${where} level` };
  const fault = addressFault(address, version);
  if (fault !== undefined) return { fault: `invalid c= line at ${where} level: ${fault}` };
  return { connection: { ipVersion: version === 6 ? 6 : 4, address } };
}

/** `a=rtcp:port [IN IP4|IP6 address]` (RFC 3605), checked: a port of 1–65535 and, when given, a unicast address. */
function readRtcp(v: unknown, stream: RemoteStream): void {
  const r = asRecord(v);
  if (r === undefined) return;
  const port = asNumber(r['port']);
  if (port === undefined || !Number.isInteger(port) || port < 1 || port > 65535) {
    stream.fault ??= `invalid a=rtcp port '${shown(String(r['port'] ?? ''))}' in m= line ${stream.index + 1}`;
    return;
  }
  stream.rtcpPort = port;
  const address = asString(r['address']);
  if (address === undefined) return;
  const fault = addressFault(address, asNumber(r['ipVer']) ?? Number.NaN);
  if (fault !== undefined) stream.fault ??= `invalid a=rtcp address in m= line ${stream.index + 1}: ${fault}`;
  else stream.rtcpAddress = address;
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
    crypto: [],
  };
  const connection =
    readConnection(m['connection'], `m= line ${index + 1}`) ?? readConnection(session['connection'], 'session');
  if (connection !== undefined && 'fault' in connection) stream.fault = connection.fault;
  else if (connection !== undefined) stream.connection = connection.connection;
  readRtcp(m['rtcp'], stream);
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
  const streams = media.map((m, i) => readStream(m, i, session));
  collectCrypto(lines, streams);
  return { streams };
}

/**
 * Each m= section's `a=crypto` values, from the raw lines: sdp-transform keeps one session parameter and drops the
 * rest silently, and SDES must see exactly what was offered. Session-level `a=crypto` means nothing (ignored).
 */
function collectCrypto(lines: readonly string[], streams: RemoteStream[]): void {
  let index = -1;
  for (const line of lines) {
    if (line.startsWith('m=')) index++;
    else if (index >= 0 && line.startsWith('a=crypto:')) {
      const stream = streams[index];
      if (stream !== undefined && stream.crypto.length < MAX_CRYPTO_LINES) stream.crypto.push(line.slice('a=crypto:'.length).trimEnd());
    }
  }
}
