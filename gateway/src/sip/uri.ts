/**
 * SIP, SIPS (RFC 3261 §19.1) and tel (RFC 3966) URIs.
 *
 * - The user part, password and URI headers are percent-decoded; `formatUri` escapes them again (upper-case hex).
 * - URI parameters are kept as written (not decoded): names lower-cased, values verbatim, `null` when valueless.
 *   Empty parameter segments (`;;`, a trailing `;`) are skipped; the first of two equal names wins.
 * - Other schemes (`mailto:`, `http:`, `urn:` ...) are returned as `OtherUri` without further checks.
 */

import { SipErrorCode, SipParseError } from './errors.js';

export interface SipUri {
  scheme: 'sip' | 'sips';
  /** Percent-decoded. */
  user?: string;
  /** Percent-decoded. */
  password?: string;
  /** IPv6 without brackets. Kept as written (host names are case-insensitive; compare with `toLowerCase`). */
  host: string;
  port?: number;
  /** Lower-case keys, values as written, `null` for a parameter without `=`. */
  params: Map<string, string | null>;
  /** Percent-decoded names and values. */
  headers: Map<string, string>;
}

export interface TelUri {
  scheme: 'tel';
  /** As written, e.g. `+1-555-010-0001`. */
  number: string;
  params: Map<string, string | null>;
}

export interface OtherUri {
  scheme: string;
  raw: string;
}

export type Uri = SipUri | TelUri | OtherUri;

export function isSipUri(u: Uri): u is SipUri {
  return (u.scheme === 'sip' || u.scheme === 'sips') && 'host' in u;
}

export function isTelUri(u: Uri): u is TelUri {
  return u.scheme === 'tel' && 'number' in u;
}

function bad(what: string, s: string): SipParseError {
  const shown = s.length > 80 ? `${s.slice(0, 80)}...` : s;
  return new SipParseError(400, `Bad Request - Malformed URI (${what})`, {
    code: SipErrorCode.BadUri,
    cause: shown,
  });
}

/**
 * Lower-case scheme of a URI (`SIP:x` → `sip`), or undefined when `s` does not start with `scheme ":"`
 * (RFC 3986: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )).
 */
export function uriScheme(s: string): string | undefined {
  const colon = s.indexOf(':');
  if (colon < 1) return undefined;
  for (let i = 0; i < colon; i++) {
    const c = s.charCodeAt(i);
    const alpha = (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
    if (alpha) continue;
    if (i > 0 && ((c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2d || c === 0x2e)) continue;
    return undefined;
  }
  return s.slice(0, colon).toLowerCase();
}

/** Parse a URI. Throws SipParseError(400) when a sip, sips or tel URI is malformed, or when there is no scheme. */
export function parseUri(s: string): Uri {
  const scheme = uriScheme(s);
  if (scheme === undefined) throw bad('no scheme', s);
  const rest = s.slice(scheme.length + 1);
  for (let i = 0; i < rest.length; i++) {
    const c = rest.charCodeAt(i);
    // No controls, spaces, DEL, or the delimiters that end a URI inside a header.
    if (c <= 0x20 || c === 0x7f || c === 0x22 || c === 0x3c || c === 0x3e) throw bad('invalid character', s);
  }
  if (scheme === 'sip' || scheme === 'sips') return parseSip(scheme, rest, s);
  if (scheme === 'tel') return parseTel(rest, s);
  return { scheme, raw: s };
}

function parseSip(scheme: 'sip' | 'sips', rest: string, s: string): SipUri {
  const uri: SipUri = { scheme, host: '', params: new Map(), headers: new Map() };
  let pos = 0;
  // The user part may contain ';', '?', '/', ',' (user-unreserved) but never an unescaped '@', and nothing after
  // the host may contain one, so the first '@' ends the userinfo.
  const at = rest.indexOf('@');
  if (at >= 0) {
    const userinfo = rest.slice(0, at);
    const colon = userinfo.indexOf(':');
    const user = colon >= 0 ? userinfo.slice(0, colon) : userinfo;
    if (user.length === 0) throw bad('empty user', s);
    uri.user = percentDecode(user, s);
    if (colon >= 0) uri.password = percentDecode(userinfo.slice(colon + 1), s);
    pos = at + 1;
  }
  // host
  if (rest.charCodeAt(pos) === 0x5b /* [ */) {
    const close = rest.indexOf(']', pos);
    if (close < 0) throw bad('unterminated IPv6 reference', s);
    const v6 = rest.slice(pos + 1, close);
    if (!isIpv6(v6)) throw bad('invalid IPv6 address', s);
    uri.host = v6;
    pos = close + 1;
  } else {
    const start = pos;
    while (pos < rest.length && isHostChar(rest.charCodeAt(pos))) pos++;
    if (pos === start) throw bad('empty host', s);
    uri.host = rest.slice(start, pos);
  }
  // port
  if (rest.charCodeAt(pos) === 0x3a /* : */) {
    pos++;
    const start = pos;
    while (pos < rest.length && isDigit(rest.charCodeAt(pos))) pos++;
    const digits = rest.slice(start, pos);
    if (digits.length === 0 || digits.length > 5) throw bad('invalid port', s);
    const port = Number(digits);
    if (port > 65535) throw bad('invalid port', s);
    uri.port = port;
  }
  // params
  const q = rest.indexOf('?', pos);
  const paramEnd = q >= 0 ? q : rest.length;
  if (pos < paramEnd) {
    if (rest.charCodeAt(pos) !== 0x3b /* ; */) throw bad('invalid host', s);
    parseUriParams(rest.slice(pos + 1, paramEnd), uri.params, s);
  }
  // headers
  if (q >= 0) {
    for (const part of rest.slice(q + 1).split('&')) {
      if (part.length === 0) continue;
      const eq = part.indexOf('=');
      const name = percentDecode(eq >= 0 ? part.slice(0, eq) : part, s);
      if (name.length === 0) throw bad('empty header name', s);
      const value = eq >= 0 ? percentDecode(part.slice(eq + 1), s) : '';
      if (!uri.headers.has(name)) uri.headers.set(name, value);
    }
  }
  return uri;
}

function parseTel(rest: string, s: string): TelUri {
  const semi = rest.indexOf(';');
  const number = semi >= 0 ? rest.slice(0, semi) : rest;
  let digits = 0;
  for (let i = 0; i < number.length; i++) {
    const c = number.charCodeAt(i);
    if (c === 0x2b /* + */ && i === 0) continue;
    if (isHexDigit(c) || c === 0x2a || c === 0x23) digits++;
    else if (c !== 0x2d && c !== 0x2e && c !== 0x28 && c !== 0x29) throw bad('invalid telephone number', s);
  }
  if (digits === 0) throw bad('empty telephone number', s);
  const uri: TelUri = { scheme: 'tel', number, params: new Map() };
  if (semi >= 0) parseUriParams(rest.slice(semi + 1), uri.params, s);
  return uri;
}

function parseUriParams(text: string, into: Map<string, string | null>, s: string): void {
  for (const part of text.split(';')) {
    if (part.length === 0) continue;
    const eq = part.indexOf('=');
    const name = (eq >= 0 ? part.slice(0, eq) : part).toLowerCase();
    if (name.length === 0) throw bad('empty parameter name', s);
    if (!into.has(name)) into.set(name, eq >= 0 ? part.slice(eq + 1) : null);
  }
}

/** Format a sip, sips or tel URI, escaping user, password and headers as RFC 3261 §19.1.2 requires. */
export function formatUri(u: SipUri | TelUri): string {
  let out: string;
  if (u.scheme === 'tel') {
    out = `tel:${u.number}`;
  } else {
    out = `${u.scheme}:`;
    if (u.user !== undefined) {
      out += percentEncode(u.user, USER_SAFE);
      if (u.password !== undefined) out += `:${percentEncode(u.password, PASSWORD_SAFE)}`;
      out += '@';
    }
    out += u.host.includes(':') ? `[${u.host}]` : u.host;
    if (u.port !== undefined) out += `:${u.port}`;
  }
  for (const [k, v] of u.params) out += v === null ? `;${k}` : `;${k}=${v}`;
  if (u.scheme !== 'tel' && u.headers.size > 0) {
    const parts: string[] = [];
    for (const [k, v] of u.headers) parts.push(`${percentEncode(k, HNV_SAFE)}=${percentEncode(v, HNV_SAFE)}`);
    out += `?${parts.join('&')}`;
  }
  return out;
}

// --- character classes -------------------------------------------------------------------------------------------

const UNRESERVED = "-_.!~*'()";
const USER_SAFE = safeTable(`${UNRESERVED}&=+$,;?/`);
const PASSWORD_SAFE = safeTable(`${UNRESERVED}&=+$,`);
const HNV_SAFE = safeTable(`${UNRESERVED}[]/?:+$`);

function safeTable(extra: string): Uint8Array {
  const t = new Uint8Array(128);
  for (let c = 0x30; c <= 0x39; c++) t[c] = 1;
  for (let c = 0x41; c <= 0x5a; c++) t[c] = 1;
  for (let c = 0x61; c <= 0x7a; c++) t[c] = 1;
  for (let i = 0; i < extra.length; i++) t[extra.charCodeAt(i)] = 1;
  return t;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isHexDigit(c: number): boolean {
  return isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

/** hostname / IPv4address; `_` is tolerated (seen in the wild, RFC 1034 forbids it only for host names). */
function isHostChar(c: number): boolean {
  return (
    (c >= 0x30 && c <= 0x39) ||
    (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x61 && c <= 0x7a) ||
    c === 0x2d ||
    c === 0x2e ||
    c === 0x5f
  );
}

/** Loose IPv6 check: hex digits, colons, dots (for an embedded IPv4), at least two colons, at most 45 chars. */
export function isIpv6(s: string): boolean {
  if (s.length < 2 || s.length > 45) return false;
  let colons = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x3a) colons++;
    else if (!isHexDigit(c) && c !== 0x2e) return false;
  }
  return colons >= 2;
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/** Decode `%XX` escapes (bytes interpreted as UTF-8). Throws SipParseError on a broken escape. */
export function percentDecode(text: string, context = text): string {
  if (!text.includes('%')) return text;
  const src = Buffer.from(text, 'utf8');
  const out = Buffer.allocUnsafe(src.length);
  let n = 0;
  for (let i = 0; i < src.length; i++) {
    const b = src[i] ?? 0;
    if (b !== 0x25) {
      out[n++] = b;
      continue;
    }
    const hi = hexValue(src[i + 1] ?? 0);
    const lo = hexValue(src[i + 2] ?? 0);
    if (hi < 0 || lo < 0) throw bad('invalid escape', context);
    out[n++] = hi * 16 + lo;
    i += 2;
  }
  return out.toString('utf8', 0, n);
}

const HEX = '0123456789ABCDEF';

/** Escape every byte outside `safe` as `%XX` (UTF-8). */
function percentEncode(text: string, safe: Uint8Array): string {
  let plain = true;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 128 || safe[c] !== 1) {
      plain = false;
      break;
    }
  }
  if (plain) return text;
  let out = '';
  for (const b of Buffer.from(text, 'utf8')) {
    out += b < 128 && safe[b] === 1 ? String.fromCharCode(b) : `%${HEX[b >> 4] ?? '0'}${HEX[b & 15] ?? '0'}`;
  }
  return out;
}
