/**
 * Building responses to requests (RFC 3261 §8.2.6), reason phrases, and random tokens for tags and branches.
 */

import { randomBytes } from 'node:crypto';

import { headerName } from './message.js';
import type { SipHeader, SipRequest, SipResponse } from './message.js';
import { parseNameAddr } from './headers.js';

const PHRASES: Readonly<Record<number, string>> = {
  100: 'Trying',
  180: 'Ringing',
  181: 'Call Is Being Forwarded',
  182: 'Queued',
  183: 'Session Progress',
  199: 'Early Dialog Terminated',
  200: 'OK',
  202: 'Accepted',
  204: 'No Notification',
  300: 'Multiple Choices',
  301: 'Moved Permanently',
  302: 'Moved Temporarily',
  305: 'Use Proxy',
  380: 'Alternative Service',
  400: 'Bad Request',
  401: 'Unauthorized',
  402: 'Payment Required',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  407: 'Proxy Authentication Required',
  408: 'Request Timeout',
  410: 'Gone',
  412: 'Conditional Request Failed',
  413: 'Request Entity Too Large',
  414: 'Request-URI Too Long',
  415: 'Unsupported Media Type',
  416: 'Unsupported URI Scheme',
  417: 'Unknown Resource-Priority',
  420: 'Bad Extension',
  421: 'Extension Required',
  422: 'Session Interval Too Small',
  423: 'Interval Too Brief',
  428: 'Use Identity Header',
  429: 'Provide Referrer Identity',
  433: 'Anonymity Disallowed',
  436: 'Bad Identity-Info',
  437: 'Unsupported Certificate',
  438: 'Invalid Identity Header',
  439: 'First Hop Lacks Outbound Support',
  440: 'Max-Breadth Exceeded',
  469: 'Bad Info Package',
  470: 'Consent Needed',
  480: 'Temporarily Unavailable',
  481: 'Call/Transaction Does Not Exist',
  482: 'Loop Detected',
  483: 'Too Many Hops',
  484: 'Address Incomplete',
  485: 'Ambiguous',
  486: 'Busy Here',
  487: 'Request Terminated',
  488: 'Not Acceptable Here',
  489: 'Bad Event',
  491: 'Request Pending',
  493: 'Undecipherable',
  494: 'Security Agreement Required',
  500: 'Server Internal Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Server Time-out',
  505: 'Version Not Supported',
  513: 'Message Too Large',
  555: 'Push Notification Service Not Supported',
  580: 'Precondition Failure',
  600: 'Busy Everywhere',
  603: 'Decline',
  604: 'Does Not Exist Anywhere',
  606: 'Not Acceptable',
  607: 'Unwanted',
  608: 'Rejected',
};

const CLASS_PHRASES = ['Unknown', 'Informational', 'Success', 'Redirection', 'Client Error', 'Server Error', 'Global Failure'];

/** Standard reason phrase (RFC 3261 §21 and later RFCs); for an unknown code, the phrase of its class. */
export function reasonPhrase(status: number): string {
  return PHRASES[status] ?? (Number.isInteger(status) ? CLASS_PHRASES[Math.floor(status / 100)] : undefined) ?? 'Unknown';
}

export interface CreateResponseOptions {
  /** Defaults to `reasonPhrase(status)`. */
  reason?: string;
  /** Added to To as `;tag=...` unless To already has a tag (RFC 3261 §8.2.6.2). */
  toTag?: string;
  /** Appended after the copied headers. */
  headers?: SipHeader[];
  body?: Buffer;
  /** Content-Type for `body`; default `application/sdp`. */
  contentType?: string;
}

function first(source: readonly SipHeader[], name: string): string | undefined {
  for (const h of source) if (headerName(h.name) === name) return h.value;
  return undefined;
}

/** True when a To value already carries a tag; falls back to a textual check when the value does not parse. */
function hasTag(to: string): boolean {
  try {
    return parseNameAddr(to).tag !== undefined;
  } catch {
    return /;[ \t]*tag[ \t]*=/i.test(to);
  }
}

/**
 * Response built from a request's headers (or from the `partial.headers` a SipParseError salvaged): every Via in
 * order, From, To (with `toTag`), Call-ID, CSeq; then `options.headers`; then Content-Type when there is a body.
 * Header names are written in long form. Content-Length is left to `serializeMessage`. Record-Route is not copied
 * (that belongs to the dialog layer, RFC 3261 §12.1.1).
 */
export function createResponseFromHeaders(
  source: readonly SipHeader[],
  status: number,
  options: CreateResponseOptions = {},
): SipResponse {
  const headers: SipHeader[] = [];
  for (const h of source) if (headerName(h.name) === 'via') headers.push({ name: 'Via', value: h.value });
  const from = first(source, 'from');
  if (from !== undefined) headers.push({ name: 'From', value: from });
  const to = first(source, 'to');
  if (to !== undefined) {
    const tag = options.toTag !== undefined && !hasTag(to) ? `;tag=${options.toTag}` : '';
    headers.push({ name: 'To', value: `${to}${tag}` });
  }
  const callId = first(source, 'call-id');
  if (callId !== undefined) headers.push({ name: 'Call-ID', value: callId });
  const cseq = first(source, 'cseq');
  if (cseq !== undefined) headers.push({ name: 'CSeq', value: cseq });
  if (options.headers !== undefined) headers.push(...options.headers);
  const body = options.body ?? Buffer.alloc(0);
  if (options.body !== undefined && body.length > 0) {
    headers.push({ name: 'Content-Type', value: options.contentType ?? 'application/sdp' });
  }
  return { kind: 'response', status, reason: options.reason ?? reasonPhrase(status), headers, body };
}

/** Response to `req` (RFC 3261 §8.2.6); see `createResponseFromHeaders`. */
export function createResponse(req: SipRequest, status: number, options: CreateResponseOptions = {}): SipResponse {
  return createResponseFromHeaders(req.headers, status, options);
}

/** Crypto-random, URL-safe token (base64url, all RFC 3261 token characters) for tags and branches. */
export function randomToken(bytes = 12): string {
  return randomBytes(bytes).toString('base64url');
}
