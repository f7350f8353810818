/** A call as the SIP side sees it: admitted, ringing, answered (2xx sent), confirmed (ACKed), ended. */
import type { Dialog } from '../sip/dialog.js';
import type { RemoteInfo } from '../sip/stack.js';
import type { Admission } from './admission.js';
import type { AnswerRetransmitter } from './answer-retransmitter.js';
import type { SdpSession } from './sdp-session.js';

export type CallState = 'admitted' | 'ringing' | 'answered' | 'confirmed' | 'ended';

export type EndReason =
  | 'remote-bye'
  | 'local-hangup'
  | 'cancelled'
  | 'no-ack'
  | 'bad-answer'
  | 'shutdown'
  | 'agent-hangup'
  | 'agent-gone'
  | 'rtp-timeout'
  /** The caller was handed to another party (REFER accepted; see call-transfer.ts). */
  | 'transferred'
  | 'error';

export interface Call {
  /** Our id for the call (logs, agents, metrics exemplars); the SIP Call-ID is `sipCallId`. */
  readonly id: string;
  readonly sipCallId: string;
  readonly localTag: string;
  /** Dialog key (Call-ID, our tag, their tag) under which the controller stores the call. */
  readonly key: string;
  readonly admission: Admission;
  readonly remote: RemoteInfo;
  readonly createdAtMs: number;
  state: CallState;
  /** Our RTP port, once the media plane has bound it (its agent and media live there, by call id). */
  rtpPort: number | undefined;
  /** Set once media ports are bound (the SDP needs the port). */
  sdp: SdpSession | undefined;
  dialog: Dialog | undefined;
  /** The 2xx we are resending until its ACK (initial INVITE or re-INVITE), with that INVITE's CSeq number. */
  pendingAnswer: { cseq: number; retransmitter: AnswerRetransmitter } | undefined;
  endReason: EndReason | undefined;
}
