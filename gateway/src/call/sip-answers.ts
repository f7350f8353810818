/**
 * Where failures become SIP answers, in one place: a SipError (or CallRejection) carries its own status; an SdpError
 * (sdp/ is a pure library) is answered by its code (400 malformed, 488 with a Warning, 500 our own media); an agent
 * the media plane reports unreachable is refused as the call's plan says (503 with Retry-After, or 480); anything
 * else is 500. The controller sends what `sipAnswerOf` returns and nothing else.
 */
import { SdpError, type SdpErrorCodeValue } from '../sdp/index.js';
import { SipError } from '../sip/errors.js';
import type { SipHeader } from '../sip/message.js';
import { CallRejection } from './admission.js';
import type { CallPlan } from './plan.js';

export interface SipAnswer {
  readonly status: number;
  readonly reason: string;
  readonly headers: readonly SipHeader[];
  /** Stable code for logs (`SDP_NO_COMMON_CODEC`, `CALL_AGENT_UNAVAILABLE`, ...). */
  readonly code: string;
}

/** The status each SDP fault is answered with. */
export const SDP_STATUS_OF_CODE: Readonly<Record<SdpErrorCodeValue, 400 | 488 | 500>> = {
  SDP_PARSE: 400,
  SDP_MISSING_MEDIA: 400,
  SDP_MISSING_CONNECTION: 400,
  SDP_NO_AUDIO: 488,
  SDP_UNSUPPORTED_TRANSPORT: 488,
  SDP_NO_COMMON_CODEC: 488,
  SDP_BAD_LOCAL_MEDIA: 500,
  SDP_BAD_TRANSPORT_ADDRESS: 488,
  SDP_SRTP_REQUIRED: 488,
  SDP_NO_COMMON_CRYPTO: 488,
};

const PHRASE: Readonly<Record<400 | 480 | 488 | 500 | 503, string>> = {
  400: 'Bad Request',
  480: 'Temporarily Unavailable',
  488: 'Not Acceptable Here',
  500: 'Server Internal Error',
  503: 'Service Unavailable',
};

/** An SdpError as its SIP answer: `<phrase> - <fault>`, and a 488 says why in a Warning (RFC 3261 §20.43, code 304). */
export function sdpAnswer(err: SdpError): SipAnswer {
  const status = SDP_STATUS_OF_CODE[err.code];
  const reason = `${PHRASE[status]} - ${err.message}`;
  return { status, reason, headers: status === 488 ? [warning(reason)] : [], code: err.code };
}

/** What to answer a failure with; undefined for a failure that is not a refusal (a bug: answered 500 and logged as an error). */
export function sipAnswerOf(err: unknown): SipAnswer | undefined {
  if (err instanceof SdpError) return sdpAnswer(err);
  if (err instanceof SipError) {
    const headers = err instanceof CallRejection ? [...err.headers] : [];
    if (err.status === 488) headers.push(warning(err.reason));
    return { status: err.status, reason: err.reason, headers, code: err.code };
  }
  return undefined;
}

export const INTERNAL_ERROR: SipAnswer = { status: 500, reason: PHRASE[500], headers: [], code: 'SIP_INTERNAL' };

/** The refusal of a call whose agent could not be reached under `onAgentFailure: reject`. */
export function agentUnreachable(plan: Pick<CallPlan, 'rejectStatus' | 'retryAfterSeconds'>): CallRejection {
  const status = plan.rejectStatus;
  const retry = status === 503 ? [{ name: 'Retry-After', value: String(plan.retryAfterSeconds) }] : [];
  return new CallRejection(status, `${PHRASE[status]} - agent unreachable`, retry, 'CALL_AGENT_UNAVAILABLE');
}

/** The refusal of an INVITE when no media ports are free. */
export function noMediaPorts(retryAfterSeconds: number): CallRejection {
  return new CallRejection(503, `${PHRASE[503]} - no media ports`, [{ name: 'Retry-After', value: String(retryAfterSeconds) }], 'CALL_NO_MEDIA_PORTS');
}

/**
 * The refusal of a new call, or an out-of-dialog OPTIONS probe, while the gateway drains (drain/, docs/drain.md):
 * 503 with Retry-After, which RFC 3261 §21.5.4 gives for maintenance, so a proxy, a Kamailio dispatcher or a carrier
 * tries another gateway and leaves this one alone for `retryAfterSeconds`.
 */
export function gatewayDraining(retryAfterSeconds: number): CallRejection {
  return new CallRejection(503, `${PHRASE[503]} - draining`, [{ name: 'Retry-After', value: String(retryAfterSeconds) }], 'CALL_DRAINING');
}

function warning(reason: string): SipHeader {
  return { name: 'Warning', value: `304 patchbay "${reason.replace(/"/g, "'")}"` };
}
