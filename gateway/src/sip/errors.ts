/**
 * SIP error classes. Every failure that can be answered on the wire carries the SIP status to answer with and a
 * reason phrase that names the fault (RFC 3261 §21.4.1 lets the phrase say why), plus a stable `code` for logs,
 * metrics and tests.
 */

import type { SipHeader } from './message.js';

/** Stable error codes. Values never change once released; add new ones at the end. */
export const SipErrorCode = {
  /** Generic fallback when a caller builds a SipError without a code. */
  Generic: 'SIP_ERROR',
  /** Empty buffer, only line terminators, or no start line at all. */
  Empty: 'SIP_EMPTY_MESSAGE',
  /** Bytes that are not text (NUL and other control characters in the head). */
  Binary: 'SIP_BINARY',
  /** Request-Line or Status-Line that does not follow the grammar. */
  BadStartLine: 'SIP_BAD_START_LINE',
  /** SIP-Version other than SIP/2.0 (505). */
  BadVersion: 'SIP_BAD_VERSION',
  /** A header line without a colon, with an invalid name, or a fold with nothing to continue. */
  BadHeader: 'SIP_BAD_HEADER',
  /** Head without the empty line that ends it. */
  Incomplete: 'SIP_INCOMPLETE',
  /** Content-Length missing (streams), negative, non-numeric, duplicated with differing values, or too big. */
  BadContentLength: 'SIP_BAD_CONTENT_LENGTH',
  /** Message larger than the configured limit (513). */
  TooLarge: 'SIP_MESSAGE_TOO_LARGE',
  /** A mandatory header is absent. */
  MissingHeader: 'SIP_MISSING_HEADER',
  /** A single-valued header occurs more than once. */
  DuplicateHeader: 'SIP_DUPLICATE_HEADER',
  /** A header value that does not follow its grammar (Via, From, To, Call-ID, Max-Forwards). */
  InvalidHeader: 'SIP_INVALID_HEADER',
  /** CSeq that is not `1*DIGIT LWS Method` with a number below 2**31. */
  BadCSeq: 'SIP_BAD_CSEQ',
  /** CSeq method differs from the request method. */
  CSeqMismatch: 'SIP_CSEQ_MISMATCH',
  /** Malformed sip/sips/tel URI. */
  BadUri: 'SIP_BAD_URI',
  /** Request-URI scheme other than sip, sips or tel (416). */
  UnsupportedUriScheme: 'SIP_UNSUPPORTED_URI_SCHEME',
  /** Max-Forwards reached zero (483). */
  TooManyHops: 'SIP_TOO_MANY_HOPS',
  /** A message we were asked to serialise carries CR or LF inside a header, URI or reason (header injection). */
  Unserializable: 'SIP_UNSERIALIZABLE',
} as const;

export type SipErrorCodeValue = (typeof SipErrorCode)[keyof typeof SipErrorCode];

export interface SipErrorOptions {
  code?: string;
  cause?: unknown;
}

/** A failure that maps to a SIP status, e.g. `new SipError(400, 'Bad Request - Missing Call-ID')`. */
export class SipError extends Error {
  readonly status: number;
  readonly reason: string;
  readonly code: string;

  constructor(status: number, reason: string, options: SipErrorOptions = {}) {
    super(`${status} ${reason}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SipError';
    this.status = status;
    this.reason = reason;
    this.code = options.code ?? SipErrorCode.Generic;
  }
}

/** What a failed parse could still salvage, enough to answer 400 when Via, From, To, Call-ID and CSeq are there. */
export interface SipParsePartial {
  startLine?: string;
  headers: SipHeader[];
}

export interface SipParseErrorOptions extends SipErrorOptions {
  partial?: SipParsePartial;
}

/** A message (or URI, or header value) that does not parse. */
export class SipParseError extends SipError {
  // `declare`: no own property unless there is something to salvage.
  declare readonly partial?: SipParsePartial;

  constructor(status: number, reason: string, options: SipParseErrorOptions = {}) {
    super(status, reason, options);
    this.name = 'SipParseError';
    if (options.partial !== undefined) this.partial = options.partial;
  }
}
