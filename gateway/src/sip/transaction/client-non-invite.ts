/**
 * Non-INVITE client transaction, RFC 3261 §17.1.2.
 *
 *   Trying --Timer E (UDP)--> resend (T1 doubling, capped at T2; every T2 once Proceeding)
 *   Trying/Proceeding --Timer F--> 408 to the TU
 *   Trying --1xx--> Proceeding;  --200-699--> Completed (Timer K: T4 on UDP, 0 on TCP; repeats absorbed)
 */
import type { SipRequest, SipResponse } from '../message.js';
import { BaseTransaction } from './base-transaction.js';
import { synthesizeResponse } from './client-messages.js';
import type { ClientTransaction, TransactionEnv } from './types.js';

export type ClientNonInviteState = 'trying' | 'proceeding' | 'completed';

export class ClientNonInviteTransaction
  extends BaseTransaction<ClientNonInviteState, 'E' | 'F' | 'K'>
  implements ClientTransaction
{
  readonly response: Promise<SipResponse>;
  onProvisional?: (res: SipResponse) => void;
  private settle: (res: SipResponse) => void = () => undefined;
  private timerEMs: number;

  constructor(
    readonly request: SipRequest,
    env: TransactionEnv,
  ) {
    super(env, 'trying');
    this.timerEMs = env.timers.t1Ms;
    this.response = new Promise<SipResponse>((resolve) => {
      this.settle = resolve;
    });
  }

  start(): void {
    this.transmit(this.request);
    if (!this.env.reliable) this.timers.set('E', this.timerEMs, () => this.fireE());
    this.timers.set('F', 64 * this.env.timers.t1Ms, () => {
      this.settle(synthesizeResponse(this.request, 408));
      this.terminate('timeout');
    });
  }

  receiveResponse(res: SipResponse): void {
    if (this.current !== 'trying' && this.current !== 'proceeding') return;
    if (res.status < 200) {
      this.current = 'proceeding';
      const cb = this.onProvisional;
      if (cb) this.callTu('onProvisional', () => cb(res));
      return;
    }
    this.timers.clearAll();
    this.current = 'completed';
    this.settle(res);
    if (this.env.reliable) this.terminate('normal');
    else this.timers.set('K', this.env.timers.t4Ms, () => this.terminate('normal'));
  }

  override dispose(): void {
    this.settle(synthesizeResponse(this.request, 503));
    super.dispose();
  }

  protected override onTransportFailure(): void {
    this.settle(synthesizeResponse(this.request, 503));
  }

  private fireE(): void {
    if (this.current !== 'trying' && this.current !== 'proceeding') return;
    this.transmit(this.request);
    const { t2Ms } = this.env.timers;
    this.timerEMs = this.current === 'trying' ? Math.min(2 * this.timerEMs, t2Ms) : t2Ms;
    this.timers.set('E', this.timerEMs, () => this.fireE());
  }
}
