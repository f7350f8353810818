/**
 * Teardown that is total: each step of a close runs whatever the steps before it threw, and what failed is
 * reported together at the end. A call's release (slot, ports, agent, timers, records) must never stop half-way
 * because one part of it threw (issue 11: a throw in one step leaked the call's ports and slot for good).
 *
 * Libraries (`CallMedia.close`, a media plane's `close`) end with `finish()`, which throws a `TeardownError`
 * listing every failed step once all have run; the one place a call ends (`CallController.endCall`) reads
 * `failures` instead, logs each with the call's id and never throws.
 */

export interface TeardownFailure {
  /** The step's name; nested closes are prefixed with their step (`media.endpoint`). */
  readonly step: string;
  readonly error: unknown;
}

/** Steps of a close that threw, after every step had run. */
export class TeardownError extends Error {
  readonly code = 'TEARDOWN_FAILED';

  constructor(readonly failures: readonly TeardownFailure[]) {
    super(`teardown step${failures.length === 1 ? '' : 's'} failed: ${failures.map((f) => f.step).join(', ')}`, { cause: failures[0]?.error });
    this.name = 'TeardownError';
  }
}

export class Teardown {
  readonly failures: TeardownFailure[] = [];

  /** Runs `fn`; a throw is recorded (a nested TeardownError's steps under this one's name), never propagated. */
  step(name: string, fn: () => void): void {
    try {
      fn();
    } catch (error) {
      if (error instanceof TeardownError) for (const f of error.failures) this.failures.push({ step: `${name}.${f.step}`, error: f.error });
      else this.failures.push({ step: name, error });
    }
  }

  /** Throws a TeardownError listing the failed steps, if any did fail. */
  finish(): void {
    if (this.failures.length > 0) throw new TeardownError(this.failures);
  }
}
