/**
 * Helpers for the structured headers the stack reads: lists, Via, name-addr (From, To, Contact, Route ...), CSeq,
 * and in-place header edits on a message.
 *
 * All parsers accept the LWS that RFC 3261 allows around `/`, `;`, `=` and `:` (RFC 4475 "wsinv") and throw
 * SipParseError(400) on anything else. Parameter names are lower-cased; values are kept as written (a quoted-string
 * keeps its quotes), `null` when a parameter has no `=`.
 */

import { SipErrorCode, SipParseError } from './errors.js';
import { getHeaders, headerName } from './message.js';
import type { SipMessage } from './message.js';
import { isIpv6, uriScheme } from './uri.js';

function bad(what: string, value: string): SipParseError {
  const shown = value.length > 80 ? `${value.slice(0, 80)}...` : value;
  return new SipParseError(400, `Bad Request - Malformed ${what}`, {
    code: SipErrorCode.InvalidHeader,
    cause: shown,
  });
}

// --- character classes -------------------------------------------------------------------------------------------

/** RFC 3261 token: alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~" */
const TOKEN = new Uint8Array(128);
for (let c = 0x30; c <= 0x39; c++) TOKEN[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) TOKEN[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) TOKEN[c] = 1;
for (const ch of "-.!%*_+`'~") TOKEN[ch.charCodeAt(0)] = 1;

export function isTokenChar(c: number): boolean {
  return c < 128 && TOKEN[c] === 1;
}

/** True when `s` is a non-empty RFC 3261 token (method names, header names, parameter names). */
export function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) if (!isTokenChar(s.charCodeAt(i))) return false;
  return true;
}

function isWs(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

function skipWs(s: string, pos: number): number {
  while (pos < s.length && isWs(s.charCodeAt(pos))) pos++;
  return pos;
}

function readToken(s: string, pos: number): number {
  while (pos < s.length && isTokenChar(s.charCodeAt(pos))) pos++;
  return pos;
}

/** Index just past the closing quote of the quoted-string starting at `pos`, or -1 when unterminated. */
function quotedEnd(s: string, pos: number): number {
  for (let i = pos + 1; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x5c /* \ */) i++;
    else if (c === 0x22) return i + 1;
  }
  return -1;
}

// --- lists -------------------------------------------------------------------------------------------------------

/**
 * Split a header value at commas outside quoted strings and `<...>`. Elements are trimmed; empty elements are
 * dropped (so `a,,b` gives two elements, and an empty value gives none). Never throws.
 */
export function splitHeaderList(value: string): string[] {
  const out: string[] = [];
  let start = 0;
  let inQuote = false;
  let inAngle = false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (inQuote) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inQuote = false;
    } else if (inAngle) {
      if (c === 0x3e) inAngle = false;
    } else if (c === 0x22) inQuote = true;
    else if (c === 0x3c) inAngle = true;
    else if (c === 0x2c) {
      const part = value.slice(start, i).trim();
      if (part.length > 0) out.push(part);
      start = i + 1;
    }
  }
  const last = value.slice(start).trim();
  if (last.length > 0) out.push(last);
  return out;
}

// --- generic parameters ------------------------------------------------------------------------------------------

/**
 * Parse `*( SEMI generic-param )` from `pos` to the end of `s` into `params`. LWS is allowed around `;` and `=`.
 * gen-value = token / host / quoted-string; an IPv6 reference (`[...]`) is accepted as a value.
 */
function parseParams(s: string, pos: number, params: Map<string, string | null>, what: string): void {
  pos = skipWs(s, pos);
  while (pos < s.length) {
    if (s.charCodeAt(pos) !== 0x3b) throw bad(what, s);
    pos = skipWs(s, pos + 1);
    const nameEnd = readToken(s, pos);
    if (nameEnd === pos) throw bad(what, s);
    const name = s.slice(pos, nameEnd).toLowerCase();
    pos = skipWs(s, nameEnd);
    let value: string | null = null;
    if (s.charCodeAt(pos) === 0x3d /* = */) {
      pos = skipWs(s, pos + 1);
      const c = s.charCodeAt(pos);
      let end: number;
      if (c === 0x22) {
        end = quotedEnd(s, pos);
        if (end < 0) throw bad(what, s);
      } else if (c === 0x5b /* [ */) {
        end = s.indexOf(']', pos) + 1;
        if (end === 0) throw bad(what, s);
      } else {
        end = pos;
        while (end < s.length && (isTokenChar(s.charCodeAt(end)) || s.charCodeAt(end) === 0x3a)) end++;
      }
      if (end === pos) throw bad(what, s);
      value = s.slice(pos, end);
      pos = skipWs(s, end);
    }
    if (!params.has(name)) params.set(name, value);
  }
}

function formatParams(params: Map<string, string | null>): string {
  let out = '';
  for (const [k, v] of params) out += v === null ? `;${k}` : `;${k}=${v}`;
  return out;
}

// --- Via ---------------------------------------------------------------------------------------------------------

export interface Via {
  /** `SIP/2.0` (as written, without the LWS RFC 3261 allows around the slashes). */
  protocol: string;
  /** Upper-case, e.g. `UDP`, `TCP`, `TLS`, `WSS`. */
  transport: string;
  /** IPv6 without brackets. */
  host: string;
  port?: number;
  /** All via-params, lower-case keys, in order (branch, received and rport included). */
  params: Map<string, string | null>;
  branch?: string;
  received?: string;
  /** `null`: present without a value (a request asking for RFC 3581 rport); undefined: absent. */
  rport?: number | null;
}

/** Parse one via-parm (not a comma list). Throws SipParseError(400). */
export function parseVia(value: string): Via {
  const s = value;
  let pos = skipWs(s, 0);
  const parts: string[] = [];
  for (let i = 0; i < 3; i++) {
    if (i > 0) {
      if (s.charCodeAt(pos) !== 0x2f /* / */) throw bad('Via', value);
      pos = skipWs(s, pos + 1);
    }
    const end = readToken(s, pos);
    if (end === pos) throw bad('Via', value);
    parts.push(s.slice(pos, end));
    pos = skipWs(s, end);
  }
  const [name = '', version = '', transport = ''] = parts;
  // sent-by
  let host: string;
  if (s.charCodeAt(pos) === 0x5b) {
    const close = s.indexOf(']', pos);
    if (close < 0) throw bad('Via', value);
    host = s.slice(pos + 1, close);
    if (!isIpv6(host)) throw bad('Via', value);
    pos = close + 1;
  } else {
    const start = pos;
    while (pos < s.length) {
      const c = s.charCodeAt(pos);
      const ok =
        (c >= 0x30 && c <= 0x39) ||
        (c >= 0x41 && c <= 0x5a) ||
        (c >= 0x61 && c <= 0x7a) ||
        c === 0x2d ||
        c === 0x2e ||
        c === 0x5f;
      if (!ok) break;
      pos++;
    }
    if (pos === start) throw bad('Via', value);
    host = s.slice(start, pos);
  }
  pos = skipWs(s, pos);
  const via: Via = { protocol: `${name}/${version}`, transport: transport.toUpperCase(), host, params: new Map() };
  if (s.charCodeAt(pos) === 0x3a) {
    pos = skipWs(s, pos + 1);
    const start = pos;
    while (pos < s.length && s.charCodeAt(pos) >= 0x30 && s.charCodeAt(pos) <= 0x39) pos++;
    const port = Number(s.slice(start, pos));
    if (pos === start || pos - start > 5 || port > 65535) throw bad('Via', value);
    via.port = port;
  }
  parseParams(s, pos, via.params, 'Via');
  const branch = via.params.get('branch');
  if (typeof branch === 'string') via.branch = branch;
  const received = via.params.get('received');
  if (typeof received === 'string') via.received = received;
  if (via.params.has('rport')) {
    const rport = via.params.get('rport');
    if (rport === null || rport === undefined) via.rport = null;
    else {
      const n = /^[0-9]{1,5}$/.test(rport) ? Number(rport) : NaN;
      if (!(n >= 0 && n <= 65535)) throw bad('Via', value);
      via.rport = n;
    }
  }
  return via;
}

/**
 * Format a Via value. `branch`, `received` and `rport` win over `params` when defined (keeping the parameter's
 * position when it already exists); every other parameter comes from `params` in order.
 */
export function formatVia(via: Via): string {
  const params = new Map(via.params);
  if (via.branch !== undefined) params.set('branch', via.branch);
  if (via.received !== undefined) params.set('received', via.received);
  if (via.rport !== undefined) params.set('rport', via.rport === null ? null : String(via.rport));
  const host = via.host.includes(':') ? `[${via.host}]` : via.host;
  const port = via.port === undefined ? '' : `:${via.port}`;
  return `${via.protocol}/${via.transport} ${host}${port}${formatParams(params)}`;
}

/** Every via-parm of every Via header (long or compact name), top first. Throws SipParseError on a bad one. */
export function parseVias(msg: SipMessage): Via[] {
  const out: Via[] = [];
  for (const value of getHeaders(msg, 'via')) for (const part of splitHeaderList(value)) out.push(parseVia(part));
  return out;
}

// --- name-addr / addr-spec ---------------------------------------------------------------------------------------

export interface NameAddr {
  /** Unquoted and unescaped (`"J \"R\""` → `J "R"`); undefined when there is none. */
  display?: string;
  /** The URI as written (any scheme; parse with `parseUri`). */
  uri: string;
  /** Header parameters (not URI parameters), lower-case keys. */
  params: Map<string, string | null>;
  tag?: string;
}

/**
 * Parse `"Bob" <sip:b@x>;tag=1`, `Bob <sip:b@x>`, `<sip:b@x>` or `sip:b@x;tag=1`. For a bare addr-spec the
 * parameters after the URI are header parameters (RFC 3261 §20.10), and the URI may not contain `,` or `?`.
 * Throws SipParseError(400), e.g. for an unterminated quote (RFC 4475 "quotbal"), non-token display names
 * ("baddn") or spaces inside `<...>` ("badaspec").
 */
export function parseNameAddr(value: string): NameAddr {
  const s = value;
  let pos = skipWs(s, 0);
  let display: string | undefined;
  let uri: string;
  if (s.charCodeAt(pos) === 0x22) {
    const end = quotedEnd(s, pos);
    if (end < 0) throw bad('name-addr (unterminated quote)', value);
    display = unquote(s.slice(pos + 1, end - 1));
    pos = skipWs(s, end);
    if (s.charCodeAt(pos) !== 0x3c) throw bad('name-addr', value);
  } else {
    const lt = s.indexOf('<', pos);
    if (lt >= 0) {
      const text = s.slice(pos, lt).trim();
      for (let i = 0; i < text.length; i++) {
        const c = text.charCodeAt(i);
        if (!isTokenChar(c) && !isWs(c)) throw bad('name-addr (display name)', value);
      }
      if (text.length > 0) display = text.replace(/[ \t]+/g, ' ');
      pos = lt;
    }
  }
  if (s.charCodeAt(pos) === 0x3c) {
    const gt = s.indexOf('>', pos);
    if (gt < 0) throw bad('name-addr (missing >)', value);
    uri = s.slice(pos + 1, gt);
    for (let i = 0; i < uri.length; i++) {
      const c = uri.charCodeAt(i);
      if (c <= 0x20 || c === 0x3c || c === 0x22) throw bad('name-addr (URI)', value);
    }
    pos = gt + 1;
  } else {
    const start = pos;
    while (pos < s.length) {
      const c = s.charCodeAt(pos);
      if (c === 0x3b || isWs(c)) break;
      if (c === 0x2c || c === 0x3f || c === 0x22 || c === 0x3e || c < 0x20) throw bad('addr-spec', value);
      pos++;
    }
    uri = s.slice(start, pos);
  }
  if (uriScheme(uri) === undefined) throw bad('name-addr (URI)', value);
  const out: NameAddr = { uri, params: new Map() };
  if (display !== undefined) out.display = display;
  parseParams(s, pos, out.params, 'name-addr');
  const tag = out.params.get('tag');
  if (typeof tag === 'string') out.tag = tag;
  return out;
}

function unquote(inner: string): string {
  if (!inner.includes('\\')) return inner;
  let out = '';
  for (let i = 0; i < inner.length; i++) {
    const ch = inner[i] ?? '';
    if (ch === '\\' && i + 1 < inner.length) {
      i++;
      out += inner[i] ?? '';
    } else out += ch;
  }
  return out;
}

/** Format as `"display" <uri>;params` (always with angle brackets, so URI parameters can never be misread). */
export function formatNameAddr(n: NameAddr): string {
  const params = new Map(n.params);
  if (n.tag !== undefined) params.set('tag', n.tag);
  const display = n.display === undefined ? '' : `"${n.display.replace(/["\\]/g, '\\$&')}" `;
  return `${display}<${n.uri}>${formatParams(params)}`;
}

// --- CSeq --------------------------------------------------------------------------------------------------------

/** Largest CSeq number allowed (RFC 3261 §8.1.1.5: less than 2**31). */
export const MAX_CSEQ = 2 ** 31 - 1;

/** Parse `1*DIGIT LWS Method`. Throws SipParseError(400) for a missing method or a number of 2**31 or more. */
export function parseCSeq(value: string): { seq: number; method: string } {
  const s = value;
  let pos = skipWs(s, 0);
  const start = pos;
  while (pos < s.length && s.charCodeAt(pos) >= 0x30 && s.charCodeAt(pos) <= 0x39) pos++;
  const digits = s.slice(start, pos);
  const afterDigits = pos;
  pos = skipWs(s, pos);
  const mStart = pos;
  pos = readToken(s, pos);
  const method = s.slice(mStart, pos);
  pos = skipWs(s, pos);
  if (digits.length === 0 || afterDigits === mStart || method.length === 0 || pos !== s.length) {
    throw new SipParseError(400, 'Bad Request - Malformed CSeq', { code: SipErrorCode.BadCSeq });
  }
  const seq = digits.length > 10 ? Infinity : Number(digits);
  if (seq > MAX_CSEQ) {
    throw new SipParseError(400, 'Bad Request - CSeq number too large', { code: SipErrorCode.BadCSeq });
  }
  return { seq, method };
}

// --- edits -------------------------------------------------------------------------------------------------------

/** Replace the first header with that canonical name (keeping its position), or append one. */
export function setHeader(msg: SipMessage, name: string, value: string): void {
  const want = headerName(name);
  const i = msg.headers.findIndex((h) => headerName(h.name) === want);
  if (i >= 0) msg.headers[i] = { name, value };
  else msg.headers.push({ name, value });
}

/** Remove every header with that canonical name (so `removeHeader(m, 'Via')` also removes `v:` lines). */
export function removeHeader(msg: SipMessage, name: string): void {
  const want = headerName(name);
  let w = 0;
  for (const h of msg.headers) if (headerName(h.name) !== want) msg.headers[w++] = h;
  msg.headers.length = w;
}
