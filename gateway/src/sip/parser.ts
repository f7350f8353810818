/**
 * SIP message parser (RFC 3261 §7), hardened for traffic from the internet (RFC 4475).
 *
 * Decisions (tests named after the RFC 4475 messages are in parser-rfc4475.test.ts):
 * - Leading CRLFs before the start line are skipped (§7.5). Bare LF line ends are accepted anywhere.
 * - Runs of SP/HTAB between start-line elements and after the SIP-Version are tolerated (RFC 4475 §3.1.2.9
 *   "lwsstart" and §3.1.2.10 "trws" allow a liberal element to ignore them; serialising writes single SPs, as
 *   §3.1.2.9 requires of anything that forwards). A Request-Line that then has more than three elements (LWS
 *   inside the Request-URI, §3.1.2.8 "lwsruri") or a Request-URI without a scheme (`<sip:...>`, §3.1.2.7
 *   "ltgtruri") is a 400.
 * - SIP-Version is compared case-insensitively (RFC 3261 §7.1); `SIP/x.y` other than 2.0 is a 505.
 * - Control characters in the start line, and a CR not followed by LF anywhere in the head, are a 400. Header
 *   values may carry other control characters: a quoted-pair can escape NUL, BEL or DEL (RFC 4475 "intmeth").
 * - The head is decoded as UTF-8; invalid UTF-8 becomes U+FFFD (then the message no longer round-trips).
 * - `body` is a view into `buf` (no copy): copy it if you keep the message and reuse the buffer.
 * - A head without the empty line is accepted on datagrams when it ends with a line end (empty body); otherwise
 *   400. On streams use `frameLength`, which always needs the empty line.
 * - On failure the SipParseError carries what could be salvaged (`partial`), so a 400/505/513 can still be sent.
 */

import { SipError, SipErrorCode, SipParseError } from './errors.js';
import type { SipParsePartial } from './errors.js';
import { getHeaders } from './message.js';
import type { SipHeader, SipMessage, SipRequest } from './message.js';
import { isToken, parseCSeq, parseNameAddr, parseVias, splitHeaderList } from './headers.js';
import { isSipUri, parseUri, uriScheme } from './uri.js';

export interface ParseOptions {
  /** Largest accepted message in bytes (default 65535). Larger → SipParseError 513. */
  maxMessageBytes?: number;
  /** UDP (default true): Content-Length may be absent (body = rest of datagram). False: Content-Length required. */
  datagram?: boolean;
}

export const DEFAULT_MAX_MESSAGE_BYTES = 65535;

const LF_CRLF = Buffer.from('\n\r\n');
const LF_LF = Buffer.from('\n\n');

interface HeadEnd {
  /** Index of the LF that ends the last header line (exclusive end of the head text). */
  textEnd: number;
  bodyStart: number;
}

function fail(status: number, reason: string, code: string, partial?: SipParsePartial): SipParseError {
  return new SipParseError(status, reason, partial === undefined ? { code } : { code, partial });
}

function skipLineEnds(buf: Buffer, pos: number): number {
  while (pos < buf.length && (buf[pos] === 0x0d || buf[pos] === 0x0a)) pos++;
  return pos;
}

/** Find the empty line ending the head (CRLF CRLF, LF LF or a mix) within the first `limit` bytes. */
function findHeadEnd(buf: Buffer, start: number, limit: number): HeadEnd | undefined {
  const view = limit < buf.length ? buf.subarray(0, limit) : buf;
  const a = view.indexOf(LF_CRLF, start);
  const b = (a >= 0 ? view.subarray(0, a + 1) : view).indexOf(LF_LF, start);
  if (b >= 0) return { textEnd: b, bodyStart: b + 2 };
  if (a >= 0) return { textEnd: a, bodyStart: a + 3 };
  return undefined;
}

function isWs(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

function trimWs(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && isWs(s.charCodeAt(a))) a++;
  while (b > a && isWs(s.charCodeAt(b - 1))) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

interface Fault {
  status: number;
  reason: string;
  code: string;
}

type StartLine =
  | { kind: 'request'; method: string; uri: string }
  | { kind: 'response'; status: number; reason: string }
  | Fault;

function isSipVersion(v: string): boolean {
  return v.length === 7 && v.toUpperCase() === 'SIP/2.0';
}

function versionFault(v: string, what: string): Fault {
  if (/^SIP\/[0-9]{1,5}\.[0-9]{1,5}$/i.test(v)) {
    return { status: 505, reason: `Version Not Supported - ${v}`, code: SipErrorCode.BadVersion };
  }
  return { status: 400, reason: `Bad Request - Malformed ${what}`, code: SipErrorCode.BadStartLine };
}

function parseStartLine(line: string): StartLine {
  if (line.length === 0 || isWs(line.charCodeAt(0))) {
    return { status: 400, reason: 'Bad Request - Malformed start line', code: SipErrorCode.BadStartLine };
  }
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) {
      return { status: 400, reason: 'Bad Request - Control character in start line', code: SipErrorCode.Binary };
    }
  }
  const sp = line.search(/[ \t]/);
  const first = sp < 0 ? line : line.slice(0, sp);
  if (first.length >= 4 && first.slice(0, 4).toUpperCase() === 'SIP/') {
    if (!isSipVersion(first)) return versionFault(first, 'Status-Line');
    let pos = sp < 0 ? line.length : sp;
    while (pos < line.length && isWs(line.charCodeAt(pos))) pos++;
    const code = line.slice(pos, pos + 3);
    const after = line.charCodeAt(pos + 3);
    if (!/^[1-6][0-9][0-9]$/.test(code) || !(Number.isNaN(after) || isWs(after))) {
      return { status: 400, reason: 'Bad Request - Malformed Status-Line', code: SipErrorCode.BadStartLine };
    }
    pos += 3;
    while (pos < line.length && isWs(line.charCodeAt(pos))) pos++;
    return { kind: 'response', status: Number(code), reason: trimWs(line.slice(pos)) };
  }
  const parts = line.split(/[ \t]+/);
  if (parts[parts.length - 1] === '') parts.pop(); // trailing SP after the version ("trws")
  const [method = '', uri = '', version = ''] = parts;
  if (!isToken(method)) {
    return { status: 400, reason: 'Bad Request - Malformed start line', code: SipErrorCode.BadStartLine };
  }
  if (parts.length !== 3) {
    if (parts.length > 3 && !isSipVersion(version) && isSipVersion(parts[parts.length - 1] ?? '')) {
      return { status: 400, reason: 'Bad Request - Whitespace in Request-URI', code: SipErrorCode.BadStartLine };
    }
    return { status: 400, reason: 'Bad Request - Malformed Request-Line', code: SipErrorCode.BadStartLine };
  }
  if (!isSipVersion(version)) return versionFault(version, 'Request-Line');
  if (uriScheme(uri) === undefined || /[<>"]/.test(uri)) {
    return { status: 400, reason: 'Bad Request - Malformed Request-URI', code: SipErrorCode.BadStartLine };
  }
  return { kind: 'request', method, uri };
}

interface Head {
  startLine: string;
  start: StartLine;
  headers: SipHeader[];
  /** Raw Content-Length values in order. */
  contentLengths: string[];
  fault?: Fault;
}

function isContentLength(name: string): boolean {
  const c = name.charCodeAt(0) | 0x20;
  if (name.length === 1) return c === 0x6c; // l
  return name.length === 14 && c === 0x63 && name.toLowerCase() === 'content-length';
}

/** Parse start line and header lines. Collects every well-formed header even after a fault (for salvage). */
function parseHead(text: string): Head {
  const lines = text.split('\n');
  const first = lines[0] ?? '';
  const startLine = first.endsWith('\r') ? first.slice(0, -1) : first;
  const start = parseStartLine(startLine);
  const head: Head = { startLine, start, headers: [], contentLengths: [] };
  if ('status' in start && !('kind' in start)) head.fault = start;
  let name: string | undefined;
  let value = '';
  for (let i = 1; i <= lines.length; i++) {
    let line = i < lines.length ? (lines[i] ?? '') : '';
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line.includes('\r')) {
      head.fault ??= {
        status: 400,
        reason: `Bad Request - Malformed header at line ${i + 1} (bare CR)`,
        code: SipErrorCode.BadHeader,
      };
      continue;
    }
    if (i < lines.length && isWs(line.charCodeAt(0))) {
      // Line folding (RFC 3261 §7.3.1): the CRLF and surrounding whitespace become one SP.
      if (name !== undefined) {
        const more = trimWs(line);
        if (more.length > 0) value = value.length > 0 ? `${value} ${more}` : more;
        continue;
      }
      head.fault ??= {
        status: 400,
        reason: `Bad Request - Malformed header at line ${i + 1} (continuation without a header)`,
        code: SipErrorCode.BadHeader,
      };
      continue;
    }
    if (name !== undefined) {
      head.headers.push({ name, value });
      if (isContentLength(name)) head.contentLengths.push(value);
      name = undefined;
    }
    if (i === lines.length) break;
    const colon = line.indexOf(':');
    const rawName = colon < 0 ? '' : trimWs(line.slice(0, colon));
    if (colon < 0 || !isToken(rawName)) {
      const why = colon < 0 ? 'no colon' : 'invalid header name';
      head.fault ??= {
        status: 400,
        reason: `Bad Request - Malformed header at line ${i + 1} (${why})`,
        code: SipErrorCode.BadHeader,
      };
      continue;
    }
    name = rawName;
    value = trimWs(line.slice(colon + 1));
  }
  return head;
}

function partialOf(head: Head): SipParsePartial {
  return { startLine: head.startLine, headers: head.headers };
}

/**
 * Content-Length from its raw values: a number, `undefined` when absent, or a Fault (non-numeric, negative,
 * differing duplicates). Values above 10 digits become Infinity (they exceed any message).
 */
function contentLengthOf(values: readonly string[]): number | undefined | Fault {
  let out: number | undefined;
  for (const raw of values) {
    const v = trimWs(raw);
    if (!/^[0-9]+$/.test(v)) {
      return { status: 400, reason: 'Bad Request - Invalid Content-Length', code: SipErrorCode.BadContentLength };
    }
    const n = v.length > 10 ? Infinity : Number(v);
    if (out !== undefined && out !== n) {
      return {
        status: 400,
        reason: 'Bad Request - Conflicting Content-Length values',
        code: SipErrorCode.BadContentLength,
      };
    }
    out = n;
  }
  return out;
}

function tooLarge(buf: Buffer, start: number, max: number): SipParseError {
  const end = findHeadEnd(buf, start, start + max);
  const partial = end === undefined ? undefined : partialOf(parseHead(buf.toString('utf8', start, end.textEnd)));
  return fail(513, 'Message Too Large', SipErrorCode.TooLarge, partial);
}

/** Parse one SIP message. Throws SipParseError (and nothing else) on any malformed input. */
export function parseMessage(buf: Buffer, options: ParseOptions = {}): SipMessage {
  const max = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const datagram = options.datagram ?? true;
  const start = skipLineEnds(buf, 0);
  if (start >= buf.length) throw fail(400, 'Bad Request - Empty message', SipErrorCode.Empty);
  if (buf.length - start > max) throw tooLarge(buf, start, max);

  let end = findHeadEnd(buf, start, buf.length);
  if (end === undefined) {
    const last = buf[buf.length - 1];
    if (!datagram || last !== 0x0a) {
      const lf = buf.lastIndexOf(0x0a);
      const partial = lf > start ? partialOf(parseHead(buf.toString('utf8', start, lf))) : undefined;
      throw fail(400, 'Bad Request - Incomplete message (no empty line after the headers)', SipErrorCode.Incomplete, partial);
    }
    end = { textEnd: buf.length - 1, bodyStart: buf.length };
  }

  const head = parseHead(buf.toString('utf8', start, end.textEnd));
  if (head.fault !== undefined) {
    throw fail(head.fault.status, head.fault.reason, head.fault.code, partialOf(head));
  }

  const cl = contentLengthOf(head.contentLengths);
  if (typeof cl === 'object') throw fail(cl.status, cl.reason, cl.code, partialOf(head));
  const available = buf.length - end.bodyStart;
  let body: Buffer;
  if (cl === undefined) {
    if (!datagram) {
      throw fail(400, 'Bad Request - Missing Content-Length', SipErrorCode.BadContentLength, partialOf(head));
    }
    body = buf.subarray(end.bodyStart);
  } else if (cl > available) {
    throw fail(400, 'Bad Request - Content-Length exceeds message', SipErrorCode.BadContentLength, partialOf(head));
  } else {
    body = buf.subarray(end.bodyStart, end.bodyStart + cl);
  }

  const s = head.start;
  if ('kind' in s && s.kind === 'request') {
    return { kind: 'request', method: s.method, uri: s.uri, headers: head.headers, body };
  }
  if ('kind' in s) return { kind: 'response', status: s.status, reason: s.reason, headers: head.headers, body };
  // Unreachable: a start-line fault is head.fault.
  throw fail(s.status, s.reason, s.code, partialOf(head));
}

/**
 * TCP/TLS framing (RFC 3261 §18.3). `buf` holds the bytes received so far, starting at a message boundary.
 * Returns the byte length of the first complete message (leading line ends + head + Content-Length body),
 * 'incomplete' when more bytes are needed, or 'keepalive' when `buf` starts with CRLF (RFC 5626 §3.5.1: the
 * caller drops 4 bytes for a CRLFCRLF ping, answering CRLF, or 2 for a CRLF pong).
 * Throws SipParseError 513 when the message exceeds `maxMessageBytes`, 400 when Content-Length is missing or
 * invalid (it is mandatory on streams). Cost: two native searches over the buffered bytes plus a scan of the head.
 */
export function frameLength(buf: Buffer, maxMessageBytes: number): number | 'incomplete' | 'keepalive' {
  if (buf.length === 0) return 'incomplete';
  if (buf[0] === 0x0d) {
    if (buf.length < 2) return 'incomplete';
    if (buf[1] === 0x0a) return 'keepalive';
  }
  const start = skipLineEnds(buf, 0);
  if (start >= buf.length) return 'incomplete';
  const end = findHeadEnd(buf, start, start + maxMessageBytes);
  if (end === undefined) {
    if (buf.length - start > maxMessageBytes) throw fail(513, 'Message Too Large', SipErrorCode.TooLarge);
    return 'incomplete';
  }
  const cl = streamContentLength(buf.subarray(start, end.textEnd));
  if (end.bodyStart - start + cl > maxMessageBytes) throw fail(513, 'Message Too Large', SipErrorCode.TooLarge);
  const total = end.bodyStart + cl;
  return buf.length >= total ? total : 'incomplete';
}

/**
 * The Content-Length of a stream message (RFC 3261 §18.3: mandatory on streams) from its head: the start line and
 * header lines, without the empty line. Throws SipParseError 400 when it is missing, invalid or given twice with
 * different values. Values above 10 digits are Infinity (they exceed any message). Cost: one scan of the head.
 */
export function streamContentLength(head: Buffer): number {
  const cl = contentLengthOf(contentLengthValues(head.toString('latin1')));
  if (typeof cl === 'object') throw fail(cl.status, cl.reason, cl.code);
  if (cl === undefined) {
    throw fail(400, 'Bad Request - Missing Content-Length (required on streams)', SipErrorCode.BadContentLength);
  }
  return cl;
}

/** Raw Content-Length values of a head (light scan: no validation of the other lines). */
function contentLengthValues(text: string): string[] {
  const out: string[] = [];
  const lines = text.split('\n');
  let folding = false;
  for (let i = 1; i < lines.length; i++) {
    let line = lines[i] ?? '';
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (isWs(line.charCodeAt(0))) {
      const last = out.length - 1;
      if (folding && last >= 0) out[last] = `${out[last] ?? ''} ${trimWs(line)}`;
      continue;
    }
    folding = false;
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    if (isContentLength(trimWs(line.slice(0, colon)))) {
      out.push(line.slice(colon + 1));
      folding = true;
    }
  }
  return out;
}
