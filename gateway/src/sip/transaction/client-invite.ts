/**
 * INVITE client transaction, RFC 3261 §17.1.1 as updated by RFC 6026 §7.2 (the Accepted state).
 *
 *   Calling --Timer A (UDP)--> resend, doubling;  Timer B --> 408 to the TU
 *   Calling/Proceeding --1xx--> Proceeding (retransmissions stop)
 *   Calling/Proceeding --2xx--> Accepted (Timer M; further 2xx go to the TU)
 *   Calling/Proceeding --300-699--> ACK, Completed (Timer D: 32 s on UDP, 0 on TCP; repeated finals re-ACKed)
 */
import type { SipRequest, SipResponse } from '../message.js';
import { BaseTransaction } from './base-transaction.js';
import { buildNonSuccessAck, synthesizeResponse } from './client-messages.js';
import type { ClientTransaction, TransactionEnv } from './types.js';

export type ClientInviteState = 'calling' | 'proceeding' | 'accepted' | 'completed';
type TimerName = 'A' | 'B' | 'D' | 'M';

export class ClientInviteTransaction
  extends BaseTransaction<ClientInviteState, TimerName>
  implements ClientTransaction
{
  readonly response: Promise<SipResponse>;
  onProvisional?: (res: SipResponse) => void;
  onRetransmitted2xx?: (res: SipResponse) => void;
  private settle: (res: SipResponse) => void = () => undefined;
  private ack: SipRequest | undefined;
  private timerAMs: number;

  constructor(
    readonly request: SipRequest,
    env: TransactionEnv,
  ) {
    super(env, 'calling');
    this.timerAMs = env.timers.t1Ms;
    this.response = new Promise<SipResponse>((resolve) => {
      this.settle = resolve;
    });
  }

  start(): void {
    this.transmit(this.request);
    if (!this.env.reliable) this.timers.set('A', this.timerAMs, () => this.fireA());
    this.timers.set('B', 64 * this.env.timers.t1Ms, () => {
      this.settle(synthesizeResponse(this.request, 408));
      this.terminate('timeout');
    });
  }

  receiveResponse(res: SipResponse): void {
    const state = this.current;
    if (res.status < 200) {
      if (state === 'calling') {
        this.timers.clear('A');
        this.timers.clear('B');
        this.current = 'proceeding';
      }
      if (state === 'calling' || state === 'proceeding') this.deliver('onProvisional', this.onProvisional, res);
      return;
    }
    if (res.status < 300) {
      if (state === 'calling' || state === 'proceeding') {
        this.timers.clearAll();
        this.current = 'accepted';
        this.timers.set('M', 64 * this.env.timers.t1Ms, () => this.terminate('normal'));
        this.settle(res);
      } else if (state === 'accepted') {
        this.deliver('onRetransmitted2xx', this.onRetransmitted2xx, res);
      }
      return;
    }
    if (state === 'calling' || state === 'proceeding') {
      this.timers.clearAll();
      this.ack = buildNonSuccessAck(this.request, res);
      this.current = 'completed';
      this.transmit(this.ack);
      this.settle(res);
      if (this.env.reliable) this.terminate('normal');
      else this.timers.set('D', this.env.timers.timerDMs, () => this.terminate('normal'));
    } else if (state === 'completed' && this.ack !== undefined) {
      this.transmit(this.ack);
    }
  }

  /** Stack shutdown: the TU still gets an answer. */
  override dispose(): void {
    this.settle(synthesizeResponse(this.request, 503));
    super.dispose();
  }

  protected override onTransportFailure(): void {
    this.settle(synthesizeResponse(this.request, 503));
  }

  private fireA(): void {
    if (this.current !== 'calling') return;
    this.transmit(this.request);
    this.timerAMs *= 2;
    this.timers.set('A', this.timerAMs, () => this.fireA());
  }

  private deliver(what: string, cb: ((res: SipResponse) => void) | undefined, res: SipResponse): void {
    if (cb) this.callTu(what, () => cb(res));
  }
}
