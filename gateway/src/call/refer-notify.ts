/**
 * A NOTIFY of the implicit subscription a REFER creates (RFC 3515 §2.4.4-2.4.6): `Event: refer` (with `id`, the
 * REFER's CSeq number, from the second REFER in a dialog on) and a `message/sipfrag` body (RFC 3420) whose status
 * line tells how the transferee's request to the target is going. Anything else is a CallRejection naming the fault:
 * 400 (no Event, no or unreadable sipfrag), 489 (another event package), 415 (another body type).
 */
import { getHeader, type SipRequest } from '../sip/message.js';
import { CallRejection } from './admission.js';

export interface ReferNotify {
  /** The Event header's `id` (the REFER's CSeq number), when the notifier gave one. */
  id: number | undefined;
  /** The sipfrag's status: 1xx the target is being tried, 2xx it answered, 3xx-6xx the transfer failed. */
  status: number;
  reason: string;
  /** `Subscription-State: terminated`: no NOTIFY follows for this REFER. */
  terminated: boolean;
}

export function readReferNotify(req: SipRequest): ReferNotify {
  const event = getHeader(req, 'event');
  if (event === undefined) throw new CallRejection(400, 'Bad Request - NOTIFY without Event', [], 'SIP_NOTIFY_NO_EVENT');
  const [pkg = '', ...params] = event.split(';').map((p) => p.trim());
  if (pkg.toLowerCase() !== 'refer') {
    throw new CallRejection(489, 'Bad Event', [{ name: 'Allow-Events', value: 'refer' }], 'SIP_BAD_EVENT');
  }
  let id: number | undefined;
  for (const p of params) {
    const [name = '', value] = p.split('=').map((x) => x.trim());
    if (name.toLowerCase() !== 'id') continue;
    if (value === undefined || !/^\d{1,10}$/.test(value)) throw new CallRejection(400, 'Bad Request - Event id is not a CSeq number', [], 'SIP_NOTIFY_BAD_ID');
    id = Number(value);
  }
  const type = getHeader(req, 'content-type');
  if (type !== undefined && !/^\s*message\/sipfrag\s*(;|$)/i.test(type)) {
    throw new CallRejection(415, 'Unsupported Media Type', [{ name: 'Accept', value: 'message/sipfrag' }], 'SIP_UNSUPPORTED_BODY');
  }
  const frag = parseSipfrag(req.body.toString('utf8'));
  if (frag === undefined) throw new CallRejection(400, 'Bad Request - NOTIFY body is not a sipfrag status line', [], 'SIP_BAD_SIPFRAG');
  const state = getHeader(req, 'subscription-state')?.split(';')[0]?.trim().toLowerCase();
  return { id, status: frag.status, reason: frag.reason, terminated: state === 'terminated' };
}

/** The status line a `message/sipfrag` body begins with (`SIP/2.0 200 OK`), or undefined when it has none. */
export function parseSipfrag(body: string): { status: number; reason: string } | undefined {
  const first = body.replace(/^(\r?\n)+/, '').split(/\r?\n/, 1)[0] ?? '';
  const m = /^SIP\/2\.0[ \t]+([1-6]\d\d)(?:[ \t]+(.*))?$/i.exec(first);
  if (!m) return undefined;
  // Control characters never reach the agent or the logs.
  return { status: Number(m[1]), reason: (m[2] ?? '').replace(/[\u0000-\u001f\u007f]/g, '').trim().slice(0, 128) };
}
