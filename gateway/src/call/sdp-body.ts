/** The SDP body of an INVITE, re-INVITE or ACK, or a 415 naming the content type we cannot take. */
import { getHeader, type SipRequest } from '../sip/message.js';
import { CallRejection } from './admission.js';

export function sdpBody(req: SipRequest): string {
  const type = getHeader(req, 'content-type');
  if (type !== undefined && !/^\s*application\/sdp\s*(;|$)/i.test(type)) {
    throw new CallRejection(415, `Unsupported Media Type - ${type.slice(0, 40)}`, [{ name: 'Accept', value: 'application/sdp' }], 'SIP_UNSUPPORTED_BODY');
  }
  return req.body.toString('utf8');
}
