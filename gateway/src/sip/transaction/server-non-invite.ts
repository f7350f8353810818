/**
 * Non-INVITE server transaction, RFC 3261 §17.2.2.
 *
 *   Trying --1xx--> Proceeding --200-699--> Completed --Timer J (64*T1 on UDP, 0 on TCP)--> Terminated
 *
 * A retransmitted request is absorbed in Trying and answered with the last response afterwards.
 */
import type { SipRequest, SipResponse } from '../message.js';
import type { RemoteInfo } from '../transport/types.js';
import { BaseTransaction } from './base-transaction.js';
import {
  SipTransactionStateError,
  type ServerTransaction,
  type TerminationReason,
  type TransactionEnv,
} from './types.js';

export type ServerNonInviteState = 'trying' | 'proceeding' | 'completed';

export class ServerNonInviteTransaction
  extends BaseTransaction<ServerNonInviteState, 'J'>
  implements ServerTransaction
{
  onCancel?: () => void;
  onTerminated?: (reason: TerminationReason) => void;
  private last: SipResponse | undefined;

  constructor(
    readonly request: SipRequest,
    readonly remote: RemoteInfo,
    env: TransactionEnv,
  ) {
    super(env, 'trying');
  }

  get lastResponse(): SipResponse | undefined {
    return this.last;
  }

  respond(res: SipResponse): void {
    if (res.status < 100 || res.status > 699) {
      throw new SipTransactionStateError(`invalid response status ${res.status}`);
    }
    switch (this.current) {
      case 'trying':
      case 'proceeding':
        break;
      case 'terminated':
        this.env.logger.debug({ status: res.status }, 'response on a terminated transaction ignored');
        return;
      case 'completed':
        throw new SipTransactionStateError(`cannot send ${res.status}: final response already sent`);
    }
    this.last = res;
    if (res.status < 200) {
      this.current = 'proceeding';
      this.transmit(res);
      return;
    }
    this.current = 'completed';
    this.transmit(res);
    if (this.env.reliable) this.terminate('normal');
    else this.timers.set('J', 64 * this.env.timers.t1Ms, () => this.terminate('normal'));
  }

  /** A retransmission of the request arrived. */
  receiveRetransmission(): void {
    if ((this.current === 'proceeding' || this.current === 'completed') && this.last !== undefined) {
      this.transmit(this.last);
    }
  }

  protected override notifyTerminated(reason: TerminationReason): void {
    const cb = this.onTerminated;
    if (cb) this.callTu('onTerminated', () => cb(reason));
  }
}
