/**
 * A call as the call core sees it, whichever side placed it: created (inbound: admitted; outbound: queued), ringing,
 * answered (2xx sent or received), confirmed (ACKed), ended. Its settings are its plan (plan.ts); its timestamps and
 * final SIP status are what the API and records report (registry.ts `CallSummary`).
 */
import type { Dialog } from '../sip/dialog.js';
import type { RemoteInfo } from '../sip/stack.js';
import type { AnswerRetransmitter } from './answer-retransmitter.js';
import type { CallDirection, CallPlan } from './plan.js';
import type { SdpSession } from './sdp-session.js';
import type { EndReason } from './vocabulary.js';

export type { EndReason } from './vocabulary.js';

export type CallState = 'admitted' | 'ringing' | 'answered' | 'confirmed' | 'ended';

export interface Call {
  /** Our id for the call (logs, agents, metrics exemplars, the API); the SIP Call-ID is `sipCallId`. */
  readonly id: string;
  readonly direction: CallDirection;
  readonly sipCallId: string;
  readonly localTag: string;
  /** Dialog key (Call-ID, our tag, their tag) under which the registry stores the call (outbound: once a To tag is known). */
  key: string;
  /**
   * The call's effective settings, resolved once (agent, codecs, barge-in, failure policy, ...). A `webhook:`
   * number's call is created with its fallback's plan, replaced once by the webhook's decision before its media opens.
   */
  plan: CallPlan;
  /** Where its SIP comes from (inbound) or goes to (outbound). */
  readonly remote: RemoteInfo;
  /** performance.now() at creation: durations and the setup histogram. */
  readonly createdAtMs: number;
  /** Wall-clock times (epoch ms) for the API and records. */
  readonly times: CallTimes;
  state: CallState;
  /** The initial INVITE's final status: 200 once answered, or the refusal / failure (487 for a CANCEL). */
  sipStatus: number | undefined;
  /** Our RTP port, once the media plane has bound it (its agent and media live there, by call id). */
  rtpPort: number | undefined;
  /** Set once media ports are bound (the SDP needs the port). */
  sdp: SdpSession | undefined;
  dialog: Dialog | undefined;
  /** The 2xx we are resending until its ACK (initial INVITE or re-INVITE), with that INVITE's CSeq number. */
  pendingAnswer: { cseq: number; retransmitter: AnswerRetransmitter } | undefined;
  endReason: EndReason | undefined;
}

export interface CallTimes {
  readonly createdAt: number;
  ringingAt: number | undefined;
  answeredAt: number | undefined;
  endedAt: number | undefined;
}

/** Epoch ms now (for the API's timestamps; latencies use performance.now()). */
export function epochNow(): number {
  return performance.timeOrigin + performance.now();
}

export interface NewCall {
  readonly id: string;
  readonly sipCallId: string;
  readonly localTag: string;
  readonly key: string;
  readonly plan: CallPlan;
  readonly remote: RemoteInfo;
}

/** A call just created (inbound: admitted; outbound: queued). */
export function newCall(c: NewCall): Call {
  return {
    ...c,
    direction: c.plan.direction,
    createdAtMs: performance.now(),
    times: { createdAt: epochNow(), ringingAt: undefined, answeredAt: undefined, endedAt: undefined },
    state: 'admitted',
    sipStatus: undefined,
    rtpPort: undefined,
    sdp: undefined,
    dialog: undefined,
    pendingAnswer: undefined,
    endReason: undefined,
  };
}
