/**
 * What the four transaction state machines share: the state, named timers, sending through the transport with
 * failures turned into a `transport-error` termination, and a single termination path.
 */
import type { SipMessage } from '../message.js';
import { TimerSet } from './timers.js';
import type { TerminationReason, TransactionEnv } from './types.js';

export abstract class BaseTransaction<State extends string, TimerName extends string> {
  protected current: State | 'terminated';
  protected readonly timers = new TimerSet<TimerName>();

  protected constructor(
    protected readonly env: TransactionEnv,
    initial: State,
  ) {
    this.current = initial;
  }

  get state(): State | 'terminated' {
    return this.current;
  }

  get isTerminated(): boolean {
    return this.current === 'terminated';
  }

  /** The transport could not deliver one of our messages (RFC 3261 §17.1.4, §17.2.4). */
  transportError(err: unknown): void {
    if (this.current === 'terminated') return;
    this.env.logger.warn({ err }, 'SIP transaction transport error');
    this.onTransportFailure();
    this.terminate('transport-error');
  }

  /** Stops every timer without reporting anything (stack shutdown). */
  dispose(): void {
    this.timers.clearAll();
    this.current = 'terminated';
  }

  /** Hook for client transactions, which owe the TU a synthesised response. */
  protected onTransportFailure(): void {}

  protected transmit(msg: SipMessage): void {
    // An async wrapper turns a synchronous throw from the transport into a rejection as well.
    const sending = (async (): Promise<void> => this.env.send(msg))();
    sending.catch((err: unknown) => this.transportError(err));
  }

  protected terminate(reason: TerminationReason): void {
    if (this.current === 'terminated') return;
    this.current = 'terminated';
    this.timers.clearAll();
    this.env.onTerminated(reason);
    this.notifyTerminated(reason);
  }

  protected notifyTerminated(_reason: TerminationReason): void {}

  /** Runs a TU callback; a TU bug is logged and never unwinds into a socket or timer handler. */
  protected callTu(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.env.logger.error({ err, callback: what }, 'SIP transaction user callback threw');
    }
  }
}
