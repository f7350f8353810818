/**
 * Messages a client transaction makes itself: the ACK for a non-2xx final response (RFC 3261 §17.1.1.3) and the
 * responses it synthesises for the TU on timeout (408) or transport failure (503).
 */
import { parseCSeq, splitHeaderList } from '../headers.js';
import { getHeader, getHeaders, type SipHeader, type SipRequest, type SipResponse } from '../message.js';
import { createResponse } from '../response.js';

/**
 * ACK for a 300–699 response: same Request-URI, Call-ID, From and Route as the INVITE, the top Via only (so the
 * branch matches the INVITE), To from the response (with its tag), CSeq number of the INVITE with method ACK.
 */
export function buildNonSuccessAck(invite: SipRequest, res: SipResponse): SipRequest {
  const headers: SipHeader[] = [];
  const firstVia = getHeaders(invite, 'via')[0];
  const topVia = firstVia === undefined ? undefined : splitHeaderList(firstVia)[0];
  if (topVia !== undefined) headers.push({ name: 'Via', value: topVia });
  headers.push({ name: 'Max-Forwards', value: '70' });
  for (const route of getHeaders(invite, 'route')) headers.push({ name: 'Route', value: route });
  copy(headers, 'From', getHeader(invite, 'from'));
  copy(headers, 'To', getHeader(res, 'to') ?? getHeader(invite, 'to'));
  copy(headers, 'Call-ID', getHeader(invite, 'call-id'));
  const cseq = getHeader(invite, 'cseq');
  if (cseq !== undefined) headers.push({ name: 'CSeq', value: `${parseCSeq(cseq).seq} ACK` });
  headers.push({ name: 'Content-Length', value: '0' });
  return { kind: 'request', method: 'ACK', uri: invite.uri, headers, body: Buffer.alloc(0) };
}

/**
 * CANCEL for a pending INVITE (RFC 3261 §9.1): same Request-URI, Call-ID, From, To (no tag) and Route, the INVITE's
 * top Via only (its branch: the CANCEL matches the INVITE's server transaction), CSeq number of the INVITE with method
 * CANCEL. Sent as its own non-INVITE client transaction, and only once a provisional response has arrived.
 */
export function buildCancel(invite: SipRequest, extra: readonly SipHeader[] = []): SipRequest {
  const headers: SipHeader[] = [];
  const firstVia = getHeaders(invite, 'via')[0];
  const topVia = firstVia === undefined ? undefined : splitHeaderList(firstVia)[0];
  if (topVia !== undefined) headers.push({ name: 'Via', value: topVia });
  headers.push({ name: 'Max-Forwards', value: '70' });
  for (const route of getHeaders(invite, 'route')) headers.push({ name: 'Route', value: route });
  copy(headers, 'From', getHeader(invite, 'from'));
  copy(headers, 'To', getHeader(invite, 'to'));
  copy(headers, 'Call-ID', getHeader(invite, 'call-id'));
  const cseq = getHeader(invite, 'cseq');
  if (cseq !== undefined) headers.push({ name: 'CSeq', value: `${parseCSeq(cseq).seq} CANCEL` });
  headers.push(...extra);
  headers.push({ name: 'Content-Length', value: '0' });
  return { kind: 'request', method: 'CANCEL', uri: invite.uri, headers, body: Buffer.alloc(0) };
}

/** A response the transaction makes up for the TU: 408 on Timer B/F, 503 on a transport error. */
export function synthesizeResponse(req: SipRequest, status: 408 | 503): SipResponse {
  const reason = status === 408 ? 'Request Timeout' : 'Service Unavailable';
  try {
    return createResponse(req, status, { reason });
  } catch {
    // Our own request was malformed; the TU still gets an answer.
    return { kind: 'response', status, reason, headers: [], body: Buffer.alloc(0) };
  }
}

function copy(headers: SipHeader[], name: string, value: string | undefined): void {
  if (value !== undefined) headers.push({ name, value });
}
