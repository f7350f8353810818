/**
 * Types shared by the four RFC 3261 §17 transaction state machines.
 */
import type { Logger } from 'pino';
import type { SipMessage, SipRequest, SipResponse } from '../message.js';
import type { RemoteInfo } from '../transport/types.js';
import type { TimerSettings } from './timers.js';

export type TerminationReason = 'normal' | 'timeout' | 'transport-error';

/** Sends one message to the transaction's peer; rejects when the transport fails. */
export type TransactionSend = (msg: SipMessage) => Promise<void>;

export interface TransactionEnv {
  /** TCP (no retransmissions, zero-length wait timers) or UDP. */
  readonly reliable: boolean;
  readonly timers: TimerSettings;
  readonly logger: Logger;
  readonly send: TransactionSend;
  /** Called once when the transaction reaches Terminated, before the TU's own callback. */
  readonly onTerminated: (reason: TerminationReason) => void;
}

/** What the TU sees of a server transaction. */
export interface ServerTransaction {
  readonly request: SipRequest;
  readonly remote: RemoteInfo;
  readonly state: string;
  /** Sends a provisional or final response through the transaction. */
  respond(res: SipResponse): void;
  /**
   * Sends a final response once, outside the transaction, and ends the transaction at once: no retransmission
   * (no Timer G), nothing kept, so a retransmitted request reaches the TU again as a new one and gets one reply
   * again (1:1), and the ACK for a refused INVITE is absorbed like a stray one. For refusals before any dialog
   * (admission's 401/403/404/503), where a stateful answer would let a spoofed source amplify traffic at a victim;
   * the client's own retransmissions keep the exchange reliable (RFC 3261 §17.1.1.2). INVITE: 300–699 only, and
   * the response must carry a To tag (§8.2.6.2).
   */
  respondStateless(res: SipResponse): void;
  /** Set by the TU: a CANCEL matched this INVITE (the stack has already answered the CANCEL with 200). */
  onCancel?: () => void;
  onTerminated?: (reason: TerminationReason) => void;
}

/** What the TU sees of a client transaction. */
export interface ClientTransaction {
  readonly request: SipRequest;
  /** The final response; 408 is synthesised on timeout and 503 on a transport error. Never rejects. */
  readonly response: Promise<SipResponse>;
  onProvisional?: (res: SipResponse) => void;
  /** INVITE only: 2xx responses after the first (retransmissions or other forks), RFC 6026 §8.4. */
  onRetransmitted2xx?: (res: SipResponse) => void;
}

/** A TU used a transaction in a way its state does not allow (e.g. a second final response). */
export class SipTransactionStateError extends Error {
  readonly code = 'SIP_TRANSACTION_STATE';

  constructor(message: string) {
    super(message);
    this.name = 'SipTransactionStateError';
  }
}
