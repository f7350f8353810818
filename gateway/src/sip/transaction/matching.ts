/**
 * Transaction matching keys.
 *
 * Server side (RFC 3261 §17.2.3): with an RFC 3261 branch (magic cookie `z9hG4bK`) the key is branch + sent-by +
 * method, where ACK maps to INVITE. With an RFC 2543 branch (or none) the key is Request-URI, From tag, To tag,
 * Call-ID, CSeq number and method, and the top Via; an ACK matches when its To tag equals the tag of the response
 * the INVITE transaction sent, so it is looked up separately (`legacyAckCandidates`).
 * Client side (§17.1.3): branch of the top Via + CSeq method.
 */
import { parseCSeq, parseNameAddr, parseVias, formatVia, type Via } from '../headers.js';
import { SipError, SipErrorCode } from '../errors.js';
import { getHeader, type SipMessage, type SipRequest } from '../message.js';

export const MAGIC_COOKIE = 'z9hG4bK';

export interface ServerKeyOptions {
  /** Match as if the request had this method (CANCEL looking for its INVITE). */
  method?: string;
  /** RFC 2543 only: use this To tag instead of the request's. */
  toTag?: string;
}

/** The top Via of a message; throws SipError(400) when there is none. */
export function topVia(msg: SipMessage): Via {
  const via = parseVias(msg)[0];
  if (via === undefined) {
    throw new SipError(400, 'Bad Request - Missing Via', { code: SipErrorCode.MissingHeader });
  }
  return via;
}

export function isRfc3261Branch(branch: string | undefined): branch is string {
  return branch !== undefined && branch.startsWith(MAGIC_COOKIE) && branch.length > MAGIC_COOKIE.length;
}

/** The key a request is stored and found under. Throws SipError(400) when Via, CSeq, Call-ID or From is bad. */
export function serverTransactionKey(req: SipRequest, options: ServerKeyOptions = {}): string {
  const via = topVia(req);
  const method = options.method ?? (req.method === 'ACK' ? 'INVITE' : req.method);
  if (isRfc3261Branch(via.branch)) {
    return `3261\u0000${via.branch}\u0000${sentBy(via)}\u0000${method}`;
  }
  const cseq = parseCSeq(required(req, 'CSeq'));
  const fromTag = tagOf(required(req, 'From')) ?? '';
  const toTag = options.toTag ?? tagOf(required(req, 'To')) ?? '';
  const callId = required(req, 'Call-ID');
  // received/rport are ours, added on arrival; the peer's Via is what identifies the transaction.
  const peerVia: Via = { ...via, params: new Map(via.params) };
  peerVia.params.delete('received');
  peerVia.params.delete('rport');
  delete peerVia.received;
  delete peerVia.rport;
  return ['2543', req.uri, fromTag, toTag, callId, String(cseq.seq), method, formatVia(peerVia)].join('\u0000');
}

/** RFC 2543 ACK: the INVITE had no To tag (initial) or the same one (re-INVITE); both keys are tried. */
export function legacyAckCandidates(ack: SipRequest): string[] {
  const keys = [serverTransactionKey(ack, { toTag: '' }), serverTransactionKey(ack)];
  return keys[0] === keys[1] ? keys.slice(0, 1) : keys;
}

/** Whether a request carries an RFC 3261 branch (and so matches by branch alone). */
export function hasRfc3261Branch(req: SipRequest): boolean {
  return isRfc3261Branch(topVia(req).branch);
}

/** Client transaction key for a request we send, or for a response we receive. */
export function clientTransactionKey(msg: SipMessage): string {
  const via = topVia(msg);
  if (via.branch === undefined) {
    throw new SipError(400, 'Bad Request - Via without branch', { code: SipErrorCode.InvalidHeader });
  }
  const method = parseCSeq(required(msg, 'CSeq')).method;
  return `${via.branch}\u0000${method}`;
}

/** The `tag` parameter of a From/To value; undefined when absent or unparsable. */
export function tagOf(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  try {
    return parseNameAddr(value).tag;
  } catch {
    return undefined;
  }
}

function sentBy(via: Via): string {
  return `${via.host.toLowerCase()}:${via.port ?? 5060}`;
}

function required(msg: SipMessage, name: string): string {
  const value = getHeader(msg, name);
  if (value === undefined) {
    throw new SipError(400, `Bad Request - Missing ${name}`, { code: SipErrorCode.MissingHeader });
  }
  return value;
}
