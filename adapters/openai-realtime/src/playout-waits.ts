/**
 * Actions that must wait until the caller has heard what was forwarded so far (a goodbye before `hangup`, a sentence
 * before a transfer): a mark is placed behind the audio; when it comes back played, a short grace lets the caller's
 * phone play out its jitter buffer (a BYE right on the last packet clips it); a cleared mark (barge-in) runs the action
 * at once; and a bound gives up waiting on a mark that never returns.
 */
import type { PlaybackLedger } from './playback-ledger.js';

/** Extra wait beyond the audio still to play before a goodbye is given up on. */
export const PLAYOUT_MARGIN_MS = 2_000;
/** After a goodbye's mark comes back played: the caller's jitter buffer still holds its last packets. */
export const PLAYOUT_GRACE_MS = 200;

export interface PlayoutWaitsOptions {
  readonly ledger: PlaybackLedger;
  /** Longest any wait lasts, ms. */
  readonly maxWaitMs: number;
  /** Places a mark behind the audio forwarded so far (in the ledger and to the gateway). */
  placeMark(name: string): void;
  /** Runs a waited action (the session guards it). */
  run(what: string, action: () => void): void;
}

interface Wait {
  timer: NodeJS.Timeout;
  markReturned(status: 'played' | 'cleared'): void;
}

export class PlayoutWaits {
  private readonly waits = new Map<string, Wait>();
  private seq = 0;

  constructor(private readonly options: PlayoutWaitsOptions) {}

  /** Runs `action` once everything forwarded so far has played (plus the grace), or at once when nothing is unplayed. */
  after(what: string, action: () => void): void {
    const ledger = this.options.ledger;
    if (!ledger.hasUnplayedAudio) return action();
    const name = `${what}-${++this.seq}`;
    const boundMs = Math.min(this.options.maxWaitMs, ledger.unconfirmedMs + PLAYOUT_MARGIN_MS);
    const finish = (): void => {
      const wait = this.waits.get(name);
      if (wait === undefined) return;
      clearTimeout(wait.timer);
      this.waits.delete(name);
      this.options.run(what, action);
    };
    const markReturned = (status: 'played' | 'cleared'): void => {
      const wait = this.waits.get(name);
      if (wait === undefined) return;
      if (status === 'cleared') return finish();
      clearTimeout(wait.timer);
      wait.timer = setTimeout(finish, PLAYOUT_GRACE_MS);
    };
    this.waits.set(name, { timer: setTimeout(finish, boundMs), markReturned });
    this.options.placeMark(name);
  }

  /** A mark came back from the gateway; one of ours ends (or starts the grace of) its wait. */
  markReturned(name: string, status: 'played' | 'cleared'): void {
    this.waits.get(name)?.markReturned(status);
  }

  /** The session closed: no waited action runs. */
  close(): void {
    for (const wait of this.waits.values()) clearTimeout(wait.timer);
    this.waits.clear();
  }
}
