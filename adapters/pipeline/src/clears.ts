/**
 * The session's own `clear`s (we cut a reply: the caller spoke over it, or the gateway interrupted it) and their
 * `cleared` answers, which say how much of the cut reply played. A reply cut by us is kept as heard only once its
 * `cleared` arrives, so the next model request waits for it (bounded); and an `interrupted` that crossed our `clear` on
 * the wire must not clear again (it would cut the reply that follows).
 */
import type { AdapterLogger } from '@patchbay/adapter-kit';
import { wakeAll, wakeOrTimeout } from './waiters.js';

/** Replies cut by our own `clear`, waiting for its `cleared` to say how much played. */
const MAX_AWAITING = 4;
/** Longest a new model request waits for the `cleared` of a reply we cut (normally a few ms). */
export const CLEARED_WAIT_MS = 1_000;

export class Clears<T> {
  private count = 0;
  /** Our `clear`s not answered yet. */
  private inFlight = 0;
  private lastMs = 0;
  private readonly awaiting = new Map<string, T>();
  private readonly waiters = new Set<() => void>();

  constructor(
    /** Sends `clear{turnId}` to the gateway. */
    private readonly sendClear: (turnId: string) => void,
    private readonly logger: AdapterLogger,
  ) {}

  /** Sends a `clear`; `cut`, when given, is the reply whose heard part its `cleared` will tell. Returns the turn id. */
  send(cut?: T): string {
    const turnId = `t${++this.count}`;
    this.inFlight++;
    this.lastMs = performance.now();
    if (cut !== undefined) {
      this.awaiting.set(turnId, cut);
      if (this.awaiting.size > MAX_AWAITING) {
        const oldest = this.awaiting.keys().next().value;
        if (oldest !== undefined) this.awaiting.delete(oldest);
      }
    }
    // Last: an in-process gateway may answer `cleared` inside this call.
    this.sendClear(turnId);
    return turnId;
  }

  /** The gateway's `cleared`: the reply our `clear` cut (if we still wait for it), to be recorded as heard. */
  cleared(turnId: string | undefined): T | undefined {
    this.inFlight = Math.max(0, this.inFlight - 1);
    const cut = turnId === undefined ? undefined : this.awaiting.get(turnId);
    if (cut === undefined || turnId === undefined) return undefined;
    this.awaiting.delete(turnId);
    if (this.awaiting.size === 0) wakeAll(this.waiters);
    return cut;
  }

  /** An `interrupted` now is for audio we already cut: our `clear`, reaching the gateway after it, acknowledges it. */
  get crossedByInterrupt(): boolean {
    return this.inFlight > 0 && performance.now() - this.lastMs < CLEARED_WAIT_MS;
  }

  /** Resolves once every cut reply's `cleared` has come, or after `timeoutMs`. */
  async settled(timeoutMs = CLEARED_WAIT_MS): Promise<void> {
    if (this.awaiting.size === 0) return;
    await wakeOrTimeout(this.waiters, timeoutMs);
    if (this.awaiting.size > 0) this.logger.warn({ pending: this.awaiting.size }, 'no cleared answer in time; keeping only the sentences known played');
  }

  /** The call ended: nothing waits any more. */
  close(): void {
    this.awaiting.clear();
    wakeAll(this.waiters);
  }
}
