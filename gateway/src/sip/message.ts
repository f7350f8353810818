/**
 * The SIP message model shared by every layer of the stack.
 *
 * Headers keep the order and the spelling they arrived with (so a well-formed message serialises back byte for
 * byte); lookups go through `headerName()`, which folds case and compact forms. Values are stored unfolded
 * (RFC 3261 §7.3.1 line folding replaced by a single space) and trimmed.
 */

export interface SipHeader {
  /** As received or as written by us, e.g. `Via`, `v`, `CALL-ID`. */
  readonly name: string;
  readonly value: string;
}

interface SipMessageBase {
  readonly headers: SipHeader[];
  readonly body: Buffer;
}

export interface SipRequest extends SipMessageBase {
  readonly kind: 'request';
  readonly method: string;
  /** The Request-URI exactly as received. */
  readonly uri: string;
}

export interface SipResponse extends SipMessageBase {
  readonly kind: 'response';
  readonly status: number;
  readonly reason: string;
}

export type SipMessage = SipRequest | SipResponse;

/** RFC 3261 §7.3.3 compact forms, plus RFC 3515/3891/4028 ones seen in the wild. */
const COMPACT: Readonly<Record<string, string>> = {
  i: 'call-id',
  m: 'contact',
  e: 'content-encoding',
  l: 'content-length',
  c: 'content-type',
  f: 'from',
  s: 'subject',
  k: 'supported',
  t: 'to',
  v: 'via',
  r: 'refer-to',
  b: 'referred-by',
  o: 'event',
  u: 'allow-events',
  x: 'session-expires',
  a: 'accept-contact',
  j: 'reject-contact',
  d: 'request-disposition',
  y: 'identity',
};

/** Canonical lower-case long name of a header, e.g. `V` → `via`, `Call-ID` → `call-id`. */
export function headerName(name: string): string {
  const lower = name.toLowerCase();
  return COMPACT[lower] ?? lower;
}

/** First value of a header (by canonical name), or undefined. */
export function getHeader(msg: SipMessage, name: string): string | undefined {
  const want = headerName(name);
  for (const h of msg.headers) if (headerName(h.name) === want) return h.value;
  return undefined;
}

/** All header lines with that name, in order (not split at commas; see `splitHeaderList`). */
export function getHeaders(msg: SipMessage, name: string): string[] {
  const want = headerName(name);
  const out: string[] = [];
  for (const h of msg.headers) if (headerName(h.name) === want) out.push(h.value);
  return out;
}
