/**
 * Whether a request's Accept header field (RFC 3261 §20.1) lets us answer with an SDP body. No Accept means
 * `application/sdp` (the default for INVITE); an empty one accepts nothing; media ranges (`*\/*`, `application/*`)
 * match, and `q=0` refuses. RFC 4475 §3.3.14 "sdp01": an INVITE whose Accept excludes SDP cannot be answered with
 * a session description, so it is refused 406 with the Accept we can send.
 */
import { getHeaders, type SipRequest } from '../sip/message.js';
import { splitHeaderList } from '../sip/headers.js';
import { CallRejection } from './admission.js';

/** What our answers carry: what a 406 lists in its Accept header. */
export const ANSWER_CONTENT_TYPE = 'application/sdp';

export function acceptsSdp(req: SipRequest): boolean {
  const values = getHeaders(req, 'accept');
  if (values.length === 0) return true;
  for (const value of values) {
    for (const range of splitHeaderList(value)) {
      const [type = '', ...params] = range.split(';').map((p) => p.trim().toLowerCase());
      if (type !== '*/*' && type !== 'application/*' && type !== ANSWER_CONTENT_TYPE) continue;
      const q = params.find((p) => p.replace(/\s+/g, '').startsWith('q='));
      if (q !== undefined && Number(q.split('=')[1]) === 0) continue;
      return true;
    }
  }
  return false;
}

/** Throws CallRejection 406 (with `Accept: application/sdp`) when the INVITE does not accept an SDP answer. */
export function requireSdpAccepted(invite: SipRequest): void {
  if (acceptsSdp(invite)) return;
  throw new CallRejection(
    406,
    'Not Acceptable - the answer is application/sdp',
    [{ name: 'Accept', value: ANSWER_CONTENT_TYPE }],
    'CALL_SDP_NOT_ACCEPTED',
  );
}
