/**
 * The last resort for an error nothing else caught (`uncaughtException`, `unhandledRejection`). Every call's own
 * failures are contained before they get here (its media's ticks and packets, its agent link's events, its
 * teardown: each ends that call with reason `error`), so an error that still arrives is a bug in one place, and
 * dropping every call on the process for it would turn one bad call into an outage (issue 11). The guard logs it
 * with its stack, counts it (`GET /stats` → `process`), and the gateway keeps serving.
 *
 * But a process whose errors keep coming is no longer one to trust: more than `maxErrors` within `windowMs`
 * (default: more than 10 in 10 s) and the guard stops it — `onFatal` (main.ts: hang up what it can, bounded),
 * then exit code 70 (EX_SOFTWARE) so a supervisor restarts it clean. A single error never exits; a burst does.
 */
import type { Logger } from 'pino';

/** The exit code when errors repeat past the bound (sysexits' EX_SOFTWARE: an internal software error). */
export const PROCESS_GUARD_EXIT_CODE = 70;

export type ProcessErrorKind = 'uncaughtException' | 'unhandledRejection';

export interface ProcessGuardOptions {
  logger: Logger;
  /** More than this many errors within `windowMs` stops the process. Default 10. */
  maxErrors?: number;
  /** Default 10,000 ms. */
  windowMs?: number;
  /** Called once when the bound is passed; the process is expected to exit (main.ts: close, then process.exit). */
  onFatal: (exitCode: number) => void;
  now?: () => number;
}

export interface ProcessErrorStats {
  uncaughtExceptions: number;
  unhandledRejections: number;
}

/** The part of `process` the guard listens on (an EventEmitter in tests). */
export interface ProcessEvents {
  on(event: ProcessErrorKind, listener: (err: unknown) => void): unknown;
  off(event: ProcessErrorKind, listener: (err: unknown) => void): unknown;
}

export class ProcessGuard {
  readonly stats: ProcessErrorStats = { uncaughtExceptions: 0, unhandledRejections: 0 };
  private readonly maxErrors: number;
  private readonly windowMs: number;
  private readonly now: () => number;
  /** When the errors of the current window came (at most maxErrors + 1 kept). */
  private readonly recent: number[] = [];
  private fatal = false;

  constructor(private readonly options: ProcessGuardOptions) {
    this.maxErrors = options.maxErrors ?? 10;
    this.windowMs = options.windowMs ?? 10_000;
    this.now = options.now ?? (() => performance.now());
  }

  /** Listens on `target` (default `process`); returns what removes the listeners. */
  install(target: ProcessEvents = process): () => void {
    const onException = (err: unknown): void => this.record('uncaughtException', err);
    const onRejection = (err: unknown): void => this.record('unhandledRejection', err);
    target.on('uncaughtException', onException);
    target.on('unhandledRejection', onRejection);
    return () => {
      target.off('uncaughtException', onException);
      target.off('unhandledRejection', onRejection);
    };
  }

  /** One error nothing else caught: logged and counted; past the bound, `onFatal` once. Never throws. */
  record(kind: ProcessErrorKind, err: unknown): void {
    if (kind === 'uncaughtException') this.stats.uncaughtExceptions++;
    else this.stats.unhandledRejections++;
    const now = this.now();
    this.recent.push(now);
    while (this.recent.length > 0 && (this.recent[0] ?? now) <= now - this.windowMs) this.recent.shift();
    if (this.recent.length > this.maxErrors + 1) this.recent.shift();
    const repeating = this.recent.length > this.maxErrors;
    this.log(repeating ? 'fatal' : 'error', { err, kind, inWindow: this.recent.length, ...this.stats }, repeating
      ? `more than ${this.maxErrors} uncaught errors within ${this.windowMs} ms; stopping (exit ${PROCESS_GUARD_EXIT_CODE})`
      : 'uncaught error (contained; the gateway keeps serving)');
    if (!repeating || this.fatal) return;
    this.fatal = true;
    this.options.onFatal(PROCESS_GUARD_EXIT_CODE);
  }

  private log(level: 'error' | 'fatal', fields: Record<string, unknown>, msg: string): void {
    try {
      this.options.logger[level](fields, msg);
    } catch {
      process.stderr.write(`patchbay: ${msg}\n`); // the logger itself failed: still say something
    }
  }
}
