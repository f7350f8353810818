/**
 * The one vocabulary of how calls go and end. Each internal end reason maps, in this table and nowhere else, to what
 * the agent's `stop.reason` says, the `Reason` header of the BYE we send, the SIP status an unanswered call's INVITE
 * ended with, and the disposition the API, records and webhooks report. Adding a reason without its row fails the
 * typecheck; vocabulary.test.ts checks the rows against @patchbay/agents' `StopReason` and each other.
 * docs/call-core.md lists the table for people.
 */
import { StopReason, type StopReasonValue } from '@patchbay/agents';

/** Why a call ended, inside the gateway (stats `endReasons`, metrics `result`, logs, trace `call.end_reason`). */
export const END_REASONS = [
  'remote-bye',
  'local-hangup',
  'cancelled',
  'no-ack',
  'bad-answer',
  'shutdown',
  'agent-hangup',
  'agent-unavailable',
  'agent-gone',
  'rtp-timeout',
  'transferred',
  'peer-hangup',
  'answered-elsewhere',
  'forward-failed',
  'consult-cancelled',
  'busy',
  'no-answer',
  'declined',
  'failed',
  'error',
] as const;

export type EndReason = (typeof END_REASONS)[number];

/** How a finished call went, as the API reports it. */
export const DISPOSITIONS = ['completed', 'busy', 'no-answer', 'declined', 'failed', 'canceled'] as const;
export type Disposition = (typeof DISPOSITIONS)[number];

/** A call's status in the API: live `queued → ringing → answered`, then its disposition. */
export const CALL_STATUSES = ['queued', 'ringing', 'answered', ...DISPOSITIONS] as const;
export type CallStatus = (typeof CALL_STATUSES)[number];

export interface EndReasonEntry {
  /** What the agent's `stop` says (an agent exists only once the call is being answered). */
  readonly stop: StopReasonValue;
  /** The disposition of a call that ended this way after it was answered, and before. */
  readonly disposition: { readonly answered: Disposition; readonly unanswered: Disposition };
  /**
   * The final status of an unanswered call's INVITE when this reason fixes it (487 for a CANCEL, 486 busy, ...);
   * undefined: the status that was actually sent or received (a refusal's own 4xx/5xx).
   */
  readonly inviteStatus?: number;
  /** One line for docs and logs. */
  readonly doc: string;
}

export const END_REASON_TABLE: Readonly<Record<EndReason, EndReasonEntry>> = {
  'remote-bye': { stop: StopReason.CallerHangup, disposition: { answered: 'completed', unanswered: 'canceled' }, doc: 'the other party hung up (BYE)' },
  'local-hangup': { stop: StopReason.AgentHangup, disposition: { answered: 'completed', unanswered: 'canceled' }, doc: 'hung up through the API' },
  cancelled: { stop: StopReason.CallerHangup, disposition: { answered: 'completed', unanswered: 'canceled' }, inviteStatus: 487, doc: 'the caller cancelled before the answer (CANCEL → 487)' },
  'no-ack': { stop: StopReason.Error, disposition: { answered: 'failed', unanswered: 'failed' }, doc: 'our 2xx was never acknowledged' },
  'bad-answer': { stop: StopReason.Error, disposition: { answered: 'failed', unanswered: 'failed' }, doc: 'the SDP answer in the ACK was unusable' },
  shutdown: { stop: StopReason.GatewayShutdown, disposition: { answered: 'completed', unanswered: 'failed' }, doc: 'the gateway shut down' },
  'agent-hangup': { stop: StopReason.AgentHangup, disposition: { answered: 'completed', unanswered: 'canceled' }, doc: 'the agent sent `hangup`' },
  'agent-unavailable': {
    stop: StopReason.AgentUnavailable,
    disposition: { answered: 'failed', unanswered: 'failed' },
    doc: "the number's agent could not be reached, or failed mid-call beyond recovery (agent failover): the apology agent played and hung up",
  },
  'agent-gone': { stop: StopReason.AgentClosed, disposition: { answered: 'completed', unanswered: 'failed' }, doc: "the agent's socket closed (or its process died)" },
  'rtp-timeout': { stop: StopReason.RtpTimeout, disposition: { answered: 'failed', unanswered: 'failed' }, doc: 'no RTP from the other party for media.rtpTimeoutMs' },
  transferred: { stop: StopReason.Transferred, disposition: { answered: 'completed', unanswered: 'completed' }, doc: "the agent's transfer succeeded (REFER accepted)" },
  'peer-hangup': {
    stop: StopReason.CallerHangup,
    disposition: { answered: 'completed', unanswered: 'canceled' },
    doc: 'a bridged call: the other leg ended (forwarding: docs/forwarding.md)',
  },
  'answered-elsewhere': {
    stop: StopReason.CallerHangup,
    disposition: { answered: 'completed', unanswered: 'canceled' },
    doc: 'forwarding to several people at once: another leg answered first (CANCEL)',
  },
  'forward-failed': {
    stop: StopReason.CallerHangup,
    disposition: { answered: 'failed', unanswered: 'no-answer' },
    doc: 'forwarding: nobody in `forward.to` answered and the number falls back to nobody (480, or 486 when every leg was busy)',
  },
  'consult-cancelled': {
    stop: StopReason.CallerHangup,
    disposition: { answered: 'completed', unanswered: 'canceled' },
    doc: "a warm transfer's person: the agent cancelled the consultation (`cancel_consult`), so their leg ended",
  },
  busy: { stop: StopReason.CallerHangup, disposition: { answered: 'busy', unanswered: 'busy' }, inviteStatus: 486, doc: 'outbound: the called party was busy (486, 600)' },
  'no-answer': { stop: StopReason.CallerHangup, disposition: { answered: 'no-answer', unanswered: 'no-answer' }, inviteStatus: 487, doc: 'outbound: no answer before the ring timeout (CANCEL), or 408/480' },
  declined: { stop: StopReason.CallerHangup, disposition: { answered: 'declined', unanswered: 'declined' }, inviteStatus: 603, doc: 'outbound: the called party declined (603)' },
  failed: { stop: StopReason.Error, disposition: { answered: 'failed', unanswered: 'failed' }, doc: 'outbound: the carrier refused the call (any other final 3xx-6xx)' },
  error: { stop: StopReason.Error, disposition: { answered: 'failed', unanswered: 'failed' }, doc: 'a fault in the gateway, or the call was refused after admission' },
};

export function isEndReason(value: string): value is EndReason {
  return Object.hasOwn(END_REASON_TABLE, value);
}

/** What the agent's `stop` says for a call that ended for `reason`. */
export function stopReasonOf(reason: EndReason): StopReasonValue {
  return END_REASON_TABLE[reason].stop;
}

/** The API disposition of a call that ended for `reason` (answered: a 2xx was sent or received). */
export function dispositionOf(reason: EndReason, answered: boolean): Disposition {
  const d = END_REASON_TABLE[reason].disposition;
  return answered ? d.answered : d.unanswered;
}

/** The `Reason` header (RFC 3326) of a BYE we send: the end reason as its text, cause 200 (a normal clearing). */
export function byeReasonHeader(reason: EndReason): string {
  return `SIP;cause=200;text="${reason}"`;
}

/** The end reason a `Reason` header written by `byeReasonHeader` names (another gateway's, or our own in tests). */
export function endReasonFromHeader(value: string): EndReason | undefined {
  const text = /;\s*text="([^"]*)"/i.exec(value)?.[1];
  return text !== undefined && isEndReason(text) ? text : undefined;
}

/** How an outbound call's INVITE that got final status `status` (>= 300) ended. */
export function endReasonForFinalStatus(status: number): EndReason {
  if (status === 486 || status === 600) return 'busy';
  if (status === 603) return 'declined';
  if (status === 408 || status === 480 || status === 487) return 'no-answer';
  return 'failed';
}
