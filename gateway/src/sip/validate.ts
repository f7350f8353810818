/** Request validation after parsing (RFC 3261 §8.2, §16.3): mandatory headers, CSeq, URI scheme, Max-Forwards. */

import { SipError, SipErrorCode, SipParseError } from './errors.js';
import { getHeaders } from './message.js';
import type { SipRequest } from './message.js';
import { isToken, parseCSeq, parseNameAddr, parseVias, splitHeaderList } from './headers.js';
import { isSipUri, parseUri, uriScheme } from './uri.js';

export interface ValidateOptions {
  /**
   * Accept Max-Forwards: 0 instead of answering 483. RFC 3261 §16.3 makes 483 a proxy duty; a UAS (RFC 4475
   * §3.3.11 "zeromf") should process the request. Default false (483), as the gateway's edge policy.
   */
  allowZeroMaxForwards?: boolean;
}

function invalid(reason: string, code: string, cause?: unknown): SipError {
  return new SipError(400, `Bad Request - ${reason}`, cause === undefined ? { code } : { code, cause });
}

/** The one value of a single-valued header; throws 400 when it is missing or repeated (across or within lines). */
function single(req: SipRequest, name: string, display: string, list: boolean): string | undefined {
  const values = getHeaders(req, name);
  if (values.length === 0) return undefined;
  const first = values[0] ?? '';
  if (values.length > 1 || (list && splitHeaderList(first).length > 1)) {
    throw invalid(`Duplicate ${display}`, SipErrorCode.DuplicateHeader);
  }
  return first;
}

function required(req: SipRequest, name: string, display: string, list: boolean): string {
  const v = single(req, name, display, list);
  if (v === undefined || v.length === 0) throw invalid(`Missing ${display}`, SipErrorCode.MissingHeader);
  return v;
}

/**
 * Check what a UAS must check before it can answer sensibly (RFC 3261 §8.2). Throws SipError:
 * 400 for missing, duplicated or malformed Via, From, To, Call-ID, CSeq or Max-Forwards, a CSeq number of 2**31
 * or more, a CSeq method that differs from the request method, a malformed sip/sips/tel Request-URI or one that
 * carries URI headers (RFC 4475 "escruri"); 416 for another Request-URI scheme; 483 for Max-Forwards: 0.
 */
export function validateRequest(req: SipRequest, options: ValidateOptions = {}): void {
  if (getHeaders(req, 'via').every((v) => v.length === 0)) {
    throw invalid('Missing Via', SipErrorCode.MissingHeader);
  }
  const from = required(req, 'from', 'From', true);
  const to = required(req, 'to', 'To', true);
  const callId = required(req, 'call-id', 'Call-ID', false);
  const cseq = required(req, 'cseq', 'CSeq', false);
  const maxForwards = single(req, 'max-forwards', 'Max-Forwards', false);

  try {
    if (parseVias(req).length === 0) throw invalid('Missing Via', SipErrorCode.MissingHeader);
  } catch (err) {
    if (err instanceof SipParseError) throw invalid('Malformed Via', SipErrorCode.InvalidHeader, err);
    throw err;
  }
  for (const [value, display] of [
    [from, 'From'],
    [to, 'To'],
  ] as const) {
    try {
      parseNameAddr(value);
    } catch (err) {
      throw invalid(`Malformed ${display}`, SipErrorCode.InvalidHeader, err);
    }
  }
  if (/[ \t]/.test(callId)) throw invalid('Malformed Call-ID', SipErrorCode.InvalidHeader);
  let parsed: { seq: number; method: string };
  try {
    parsed = parseCSeq(cseq);
  } catch (err) {
    const reason = err instanceof SipError ? err.reason : 'Bad Request - Malformed CSeq';
    throw new SipError(400, reason, { code: SipErrorCode.BadCSeq, cause: err });
  }
  if (parsed.method !== req.method) {
    throw invalid('CSeq method does not match request method', SipErrorCode.CSeqMismatch);
  }
  let hops: number | undefined;
  if (maxForwards !== undefined) {
    if (!/^[0-9]{1,10}$/.test(maxForwards)) throw invalid('Invalid Max-Forwards', SipErrorCode.InvalidHeader);
    hops = Number(maxForwards);
  }

  const scheme = uriScheme(req.uri);
  if (scheme !== 'sip' && scheme !== 'sips' && scheme !== 'tel') {
    throw new SipError(416, 'Unsupported URI Scheme', { code: SipErrorCode.UnsupportedUriScheme });
  }
  let uri;
  try {
    uri = parseUri(req.uri);
  } catch (err) {
    throw invalid('Malformed Request-URI', SipErrorCode.BadUri, err);
  }
  if (isSipUri(uri) && uri.headers.size > 0) {
    throw invalid('Headers not allowed in Request-URI', SipErrorCode.BadUri);
  }
  if (hops === 0 && options.allowZeroMaxForwards !== true) {
    throw new SipError(483, 'Too Many Hops', { code: SipErrorCode.TooManyHops });
  }
}
