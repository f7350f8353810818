/**
 * The graceful drain's state machine (docs/drain.md): `serving` → `draining` (new calls refused, live calls go on)
 * → `stopping` (what is left is hung up; the gateway's close follows). The drain ends early when the last live call
 * ends; at `timeoutS` the rest are hung up; `stopNow()` (a second signal) hangs them up at once. It knows nothing of
 * SIP or HTTP: the call core asks `draining` to refuse new calls, /healthz reads `state()`.
 */
import type { Logger } from 'pino';
import type { DrainPhase, DrainState } from './types.js';

/** How a drain ended: every call ended on its own, the deadline passed, or it was cut short (second signal, close). */
export const DRAIN_OUTCOMES = {
  completed: 'every live call ended on its own',
  'timed-out': 'drain.timeoutS passed: the calls still up were hung up',
  stopped: 'cut short (a second signal, or the gateway closed): the calls still up were hung up',
} as const;
export type DrainOutcome = keyof typeof DRAIN_OUTCOMES;

/** The drain's gauge value per phase (`patchbay_drain_state`). */
export const DRAIN_PHASE_VALUE: Readonly<Record<DrainPhase, number>> = { serving: 0, draining: 1, stopping: 2 };

/** What the drain needs from the call core. */
export interface DrainHost {
  /** Calls up now (admitted and not yet ended). */
  liveCalls(): number;
  /** Ends every live call for shutdown: the agent's `stop` says `gateway_shutdown`, the other party gets a BYE. */
  hangupAll(): void;
  /** Calls `listener` after each call ended; returns the unsubscribe. */
  onCallEnded(listener: () => void): () => void;
}

/** Wall time and timers, injected so the state machine tests with a fake clock. */
export interface DrainClock {
  /** Epoch ms (the state's `since` and `deadline` are ISO times). */
  now(): number;
  /** Runs `fn` once after `ms`; the returned function cancels it. */
  after(ms: number, fn: () => void): () => void;
}

export const systemClock: DrainClock = {
  now: () => Date.now(),
  after: (ms, fn) => {
    const timer = setTimeout(fn, ms);
    return () => clearTimeout(timer);
  },
};

export interface DrainerOptions {
  host: DrainHost;
  /** `drain:` of the configuration (config-drain.ts). */
  config: { readonly timeoutS: number; readonly logIntervalS: number };
  logger: Logger;
  clock?: DrainClock;
}

export class Drainer {
  private phase: DrainPhase = 'serving';
  private since: number | undefined;
  private deadline: number | undefined;
  private endedDuring = 0;
  private finished: Promise<DrainOutcome> | undefined;
  private finish: ((outcome: DrainOutcome) => void) | undefined;
  private readonly cancels: (() => void)[] = [];
  private readonly clock: DrainClock;

  constructor(private readonly options: DrainerOptions) {
    this.clock = options.clock ?? systemClock;
  }

  /** True from the drain's start: new calls and probes are refused. */
  get draining(): boolean {
    return this.phase !== 'serving';
  }

  state(): DrainState {
    const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());
    return { phase: this.phase, since: iso(this.since), deadline: iso(this.deadline), liveCalls: this.options.host.liveCalls() };
  }

  /**
   * Starts the drain (idempotent: a second call returns the first one's promise). Resolves once no call is left:
   * the last one ended (`completed`), or the rest were hung up at the deadline (`timed-out`) or by `stopNow()`
   * (`stopped`). `timeoutS` overrides the configuration's.
   */
  drain(options: { timeoutS?: number } = {}): Promise<DrainOutcome> {
    if (this.finished) return this.finished;
    const { host, logger, config } = this.options;
    const timeoutS = options.timeoutS ?? config.timeoutS;
    const now = this.clock.now();
    this.phase = 'draining';
    this.since = now;
    this.deadline = now + timeoutS * 1000;
    this.finished = new Promise<DrainOutcome>((resolve) => (this.finish = resolve));
    const live = host.liveCalls();
    logger.info({ drain: this.state(), timeoutS }, `drain started: refusing new calls, ${live} live call${live === 1 ? '' : 's'} go on until they end or ${this.state().deadline ?? ''}`);
    if (live === 0) {
      this.end('completed');
      return this.finished;
    }
    this.cancels.push(
      host.onCallEnded(() => {
        this.endedDuring++;
        if (this.phase === 'draining' && host.liveCalls() === 0) this.end('completed');
      }),
    );
    this.cancels.push(this.clock.after(timeoutS * 1000, () => this.end('timed-out')));
    this.scheduleProgress();
    return this.finished;
  }

  /** Hangs up what is left now and ends the drain (`stopped`); also ends a drain never started. Idempotent. */
  stopNow(): void {
    if (this.phase === 'stopping') return;
    if (this.phase === 'serving') {
      this.since = this.clock.now();
      this.deadline = this.since;
      this.finished = Promise.resolve('stopped');
    }
    this.end('stopped');
  }

  /** Cancels the drain's timers and subscription (the gateway's close). */
  close(): void {
    for (const cancel of this.cancels.splice(0)) cancel();
  }

  private scheduleProgress(): void {
    const { logIntervalS } = this.options.config;
    this.cancels.push(
      this.clock.after(logIntervalS * 1000, () => {
        if (this.phase !== 'draining') return;
        const state = this.state();
        this.options.logger.info({ drain: state, endedSinceStart: this.endedDuring }, `draining: ${state.liveCalls} live call${state.liveCalls === 1 ? '' : 's'} left`);
        this.scheduleProgress();
      }),
    );
  }

  private end(outcome: DrainOutcome): void {
    if (this.phase === 'stopping') return;
    this.phase = 'stopping';
    this.close();
    const left = this.options.host.liveCalls();
    const tookMs = this.since === undefined ? 0 : this.clock.now() - this.since;
    if (left > 0) {
      this.options.logger.warn({ outcome, hungUp: left, endedSinceStart: this.endedDuring, tookMs }, `drain ${outcome}: hanging up ${left} live call${left === 1 ? '' : 's'}`);
      try {
        this.options.host.hangupAll();
      } finally {
        this.finish?.(outcome);
      }
      return;
    }
    this.options.logger.info({ outcome, endedSinceStart: this.endedDuring, tookMs }, `drain ${outcome}: ${DRAIN_OUTCOMES[outcome]}`);
    this.finish?.(outcome);
  }
}
