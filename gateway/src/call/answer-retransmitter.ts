/**
 * The UAS core's 2xx retransmission (RFC 3261 §13.3.1.4): the INVITE server transaction ends on a 2xx, so the
 * core itself resends the 2xx at T1, 2·T1, … capped at T2 until the ACK arrives, and gives up after 64·T1. Over
 * a reliable transport nothing is resent but the 64·T1 ACK deadline still holds.
 */
export interface AnswerRetransmitterOptions {
  t1Ms: number;
  t2Ms: number;
  reliable: boolean;
  resend: () => void;
  onAckTimeout: () => void;
}

export class AnswerRetransmitter {
  private interval: number;
  private resendTimer: NodeJS.Timeout | undefined;
  private readonly deadline: NodeJS.Timeout;
  private done = false;
  /** How many times the 2xx was resent (for stats and tests). */
  resent = 0;

  constructor(private readonly options: AnswerRetransmitterOptions) {
    this.interval = options.t1Ms;
    if (!options.reliable) this.schedule();
    this.deadline = setTimeout(() => {
      if (this.done) return;
      this.stop();
      options.onAckTimeout();
    }, 64 * options.t1Ms);
  }

  private schedule(): void {
    this.resendTimer = setTimeout(() => {
      if (this.done) return;
      this.resent++;
      this.options.resend();
      this.interval = Math.min(2 * this.interval, this.options.t2Ms);
      this.schedule();
    }, this.interval);
  }

  /** The ACK arrived (or the call ended): stop everything. Idempotent. */
  stop(): void {
    this.done = true;
    if (this.resendTimer) clearTimeout(this.resendTimer);
    clearTimeout(this.deadline);
  }
}
