/**
 * INVITE server transaction, RFC 3261 §17.2.1 as updated by RFC 6026 §7.1 (the Accepted state).
 *
 *   Proceeding --1xx--> Proceeding          (INVITE retransmission: resend the last provisional)
 *   Proceeding --2xx--> Accepted            (Timer L; INVITE retransmissions absorbed; the TU retransmits 2xx)
 *   Proceeding --300-699--> Completed       (Timer G resends the final on UDP; Timer H = no ACK)
 *   Completed --ACK--> Confirmed            (Timer I: T4 on UDP, 0 on TCP)
 *   Proceeding --respondStateless(300-699)--> Terminated   (sent once; nothing kept)
 */
import type { SipRequest, SipResponse } from '../message.js';
import { createResponse } from '../response.js';
import type { RemoteInfo } from '../transport/types.js';
import { BaseTransaction } from './base-transaction.js';
import {
  SipTransactionStateError,
  type ServerTransaction,
  type TerminationReason,
  type TransactionEnv,
} from './types.js';

export type ServerInviteState = 'proceeding' | 'accepted' | 'completed' | 'confirmed';
type TimerName = 'G' | 'H' | 'I' | 'L';

export class ServerInviteTransaction
  extends BaseTransaction<ServerInviteState, TimerName>
  implements ServerTransaction
{
  onCancel?: () => void;
  onTerminated?: (reason: TerminationReason) => void;
  private last: SipResponse | undefined;
  private timerGMs: number;

  constructor(
    readonly request: SipRequest,
    readonly remote: RemoteInfo,
    env: TransactionEnv,
  ) {
    super(env, 'proceeding');
    this.timerGMs = env.timers.t1Ms;
  }

  /** The last response sent (provisional or final). */
  get lastResponse(): SipResponse | undefined {
    return this.last;
  }

  /**
   * Sends `100 Trying`, so the client stops retransmitting (RFC 3261 §17.2.1), unless the TU has already answered:
   * the layer calls this once the TU's synchronous turn is over, so an INVITE refused at once gets its final
   * response alone (§17.2.1 lets the 100 go when the TU answers within 200 ms).
   */
  start(): void {
    if (this.current !== 'proceeding' || this.last !== undefined) return;
    this.respond(createResponse(this.request, 100, { reason: 'Trying' }));
  }

  respondStateless(res: SipResponse): void {
    if (res.status < 300 || res.status > 699) {
      throw new SipTransactionStateError(`a stateless answer to INVITE must be 300-699, not ${res.status}`);
    }
    switch (this.current) {
      case 'proceeding':
        this.last = res;
        this.transmit(res);
        this.terminate('normal');
        return;
      case 'terminated':
        this.env.logger.debug({ status: res.status }, 'response on a terminated INVITE transaction ignored');
        return;
      case 'accepted':
      case 'completed':
      case 'confirmed':
        throw new SipTransactionStateError(`cannot send ${res.status}: final response already sent`);
    }
  }

  respond(res: SipResponse): void {
    switch (this.current) {
      case 'proceeding':
        this.respondProceeding(res);
        return;
      case 'accepted':
        // RFC 6026 §8.5: 2xx retransmissions from the TU go out; anything else is a TU bug.
        if (res.status >= 200 && res.status < 300) {
          this.transmit(res);
          return;
        }
        throw new SipTransactionStateError(`cannot send ${res.status} after a 2xx`);
      case 'terminated':
        this.env.logger.debug({ status: res.status }, 'response on a terminated INVITE transaction ignored');
        return;
      case 'completed':
      case 'confirmed':
        throw new SipTransactionStateError(`cannot send ${res.status}: final response already sent`);
    }
  }

  /** A retransmission of the INVITE arrived. */
  receiveRetransmission(): void {
    if ((this.current === 'proceeding' || this.current === 'completed') && this.last !== undefined) {
      this.transmit(this.last);
    }
  }

  /**
   * An ACK matched this transaction. Returns false when the ACK is for our 2xx (Accepted state) and belongs to
   * the TU (RFC 6026 §7.1); true when the transaction consumed it.
   */
  receiveAck(): boolean {
    switch (this.current) {
      case 'completed':
        this.timers.clear('G');
        this.timers.clear('H');
        this.current = 'confirmed';
        if (this.env.reliable) this.terminate('normal');
        else this.timers.set('I', this.env.timers.t4Ms, () => this.terminate('normal'));
        return true;
      case 'accepted':
        return false;
      case 'proceeding':
      case 'confirmed':
      case 'terminated':
        return true;
    }
  }

  /** True while a CANCEL can still stop the INVITE (no final response yet). */
  get cancellable(): boolean {
    return this.current === 'proceeding';
  }

  protected override notifyTerminated(reason: TerminationReason): void {
    const cb = this.onTerminated;
    if (cb) this.callTu('onTerminated', () => cb(reason));
  }

  private respondProceeding(res: SipResponse): void {
    if (res.status < 100 || res.status > 699) {
      throw new SipTransactionStateError(`invalid response status ${res.status}`);
    }
    this.last = res;
    if (res.status < 200) {
      this.transmit(res);
      return;
    }
    const t1 = this.env.timers.t1Ms;
    if (res.status < 300) {
      this.current = 'accepted';
      this.timers.set('L', 64 * t1, () => this.terminate('normal'));
      this.transmit(res);
      return;
    }
    this.current = 'completed';
    if (!this.env.reliable) this.timers.set('G', this.timerGMs, () => this.fireG());
    this.timers.set('H', 64 * t1, () => {
      this.env.logger.warn({ status: res.status }, 'no ACK for final response (Timer H)');
      this.terminate('timeout');
    });
    this.transmit(res);
  }

  private fireG(): void {
    if (this.current !== 'completed' || this.last === undefined) return;
    this.transmit(this.last);
    this.timerGMs = Math.min(2 * this.timerGMs, this.env.timers.t2Ms);
    this.timers.set('G', this.timerGMs, () => this.fireG());
  }
}
