/**
 * Non-INVITE server transaction, RFC 3261 §17.2.2.
 *
 *   Trying --1xx--> Proceeding --200-699--> Completed --Timer J (64*T1 on UDP, 0 on TCP)--> Terminated
 *
 * A retransmitted request is absorbed in Trying and answered with the last response afterwards. Once the final
 * response is out (and the TU's current turn is over) the request's body is released: a Completed transaction lives
 * 64*T1 only to answer retransmissions with its last response, and the body (a view into its whole datagram) is
 * the largest thing it would otherwise keep.
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

const EMPTY_BODY = Buffer.alloc(0);

export type ServerNonInviteState = 'trying' | 'proceeding' | 'completed';

export class ServerNonInviteTransaction
  extends BaseTransaction<ServerNonInviteState, 'J'>
  implements ServerTransaction
{
  onCancel?: () => void;
  onTerminated?: (reason: TerminationReason) => void;
  private last: SipResponse | undefined;
  private req: SipRequest;

  constructor(
    request: SipRequest,
    readonly remote: RemoteInfo,
    env: TransactionEnv,
  ) {
    super(env, 'trying');
    this.req = request;
  }

  /** The request; after the final response (once the TU's turn that sent it is over) without its body. */
  get request(): SipRequest {
    return this.req;
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
    this.releaseBody();
  }

  respondStateless(res: SipResponse): void {
    if (res.status < 200 || res.status > 699) {
      throw new SipTransactionStateError(`a stateless answer must be a final response, not ${res.status}`);
    }
    switch (this.current) {
      case 'trying':
      case 'proceeding':
        this.last = res;
        this.transmit(res);
        this.terminate('normal');
        return;
      case 'terminated':
        this.env.logger.debug({ status: res.status }, 'response on a terminated transaction ignored');
        return;
      case 'completed':
        throw new SipTransactionStateError(`cannot send ${res.status}: final response already sent`);
    }
  }

  /** A retransmission of the request arrived. */
  receiveRetransmission(): void {
    if ((this.current === 'proceeding' || this.current === 'completed') && this.last !== undefined) {
      this.transmit(this.last);
    }
  }

  /**
   * After the current turn (a TU that answered may still read the body in the same turn, e.g. an INFO's DTMF):
   * whoever kept the request object still has its body; the transaction no longer does.
   */
  private releaseBody(): void {
    if (this.req.body.length === 0) return;
    queueMicrotask(() => {
      this.req = { ...this.req, body: EMPTY_BODY };
    });
  }

  protected override notifyTerminated(reason: TerminationReason): void {
    const cb = this.onTerminated;
    if (cb) this.callTu('onTerminated', () => cb(reason));
  }
}
