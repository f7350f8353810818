/**
 * Builds one record per call from the lifecycle stream (call/events.ts): an accumulator per live call, fed by
 * `created`, `ringing`, `agent-connect`, `answered`, the transfer events, `ended`, `media-ended` and
 * `media-timeline`. A record is complete once the call has `ended` AND its media has reported (`media-ended`, which
 * may come before or after `ended`, from another thread); a call whose media never opened finishes at `ended`, and
 * one whose report does not come within `mediaWaitMs` finishes without quality. Each finished record goes to the
 * sink (the store's write queue) and to every `onRecord` listener (webhooks' `call.ended`).
 *
 * Every handler is O(1) and never waits: nothing here is on the call's critical path. Memory is one accumulator per
 * live call (plus those waiting for their media, at most `mediaWaitMs`), each capped (call-accumulator.ts).
 * Refusals before a call exists (`refused` with no call: admission) make no record; the call stats count them.
 */
import type { Logger } from 'pino';
import { epochNow } from '../call/call.js';
import type { CallEvents } from '../call/events.js';
import { CallAccumulator, DEFAULT_RECORD_LIMITS, type RecordLimits } from './call-accumulator.js';
import type { CallDetail, CallRecordSource } from './record.js';

export const DEFAULT_MEDIA_WAIT_MS = 5_000;

export interface RecordBuilderOptions {
  events: Pick<CallEvents, 'on'>;
  logger: Logger;
  /** Where each finished record goes first (the store's write queue); must not throw or block. */
  sink?: ((detail: CallDetail) => void) | undefined;
  /** How long an ended call waits for its media's report. */
  mediaWaitMs?: number;
  limits?: RecordLimits;
  /** Epoch ms now (tests); default the clock. */
  now?: () => number;
}

export interface RecordBuilderStats {
  /** Records finished since start. */
  finished: number;
  /** Of those, finished without their media's report (the wait ran out, or the gateway closed). */
  withoutMedia: number;
  /** Listeners (or the sink) that threw. */
  listenerErrors: number;
}

export class RecordBuilder implements CallRecordSource {
  private readonly live = new Map<string, CallAccumulator>();
  private readonly waits = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly listeners = new Set<(detail: CallDetail) => void>();
  private readonly unsubscribes: Array<() => void>;
  private readonly mediaWaitMs: number;
  private closed = false;
  readonly stats: RecordBuilderStats = { finished: 0, withoutMedia: 0, listenerErrors: 0 };

  constructor(private readonly options: RecordBuilderOptions) {
    this.mediaWaitMs = options.mediaWaitMs ?? DEFAULT_MEDIA_WAIT_MS;
    const limits = options.limits ?? DEFAULT_RECORD_LIMITS;
    const now = options.now ?? epochNow;
    const { events } = options;
    this.unsubscribes = [
      events.on('created', (e) => {
        if (!this.closed && !this.live.has(e.call.id)) this.live.set(e.call.id, new CallAccumulator(e.call, limits, now));
      }),
      events.on('ringing', (e) => this.live.get(e.call.id)?.ringing()),
      events.on('agent-connect', (e) => this.live.get(e.call.id)?.agentConnect(e)),
      events.on('forwarded', (e) => this.live.get(e.call.id)?.forwarded(e)),
      events.on('consulted', (e) => this.live.get(e.call.id)?.consulted(e)),
      events.on('unbridged', (e) => this.live.get(e.call.id)?.unbridged(e)),
      events.on('monitored', (e) => this.live.get(e.call.id)?.monitored(e)),
      events.on('answered', (e) => this.live.get(e.call.id)?.answered()),
      events.on('transfer-requested', (e) => this.live.get(e.call.id)?.transferRequested(e.target)),
      events.on('transfer-failed', (e) => this.live.get(e.call.id)?.transferFailed(e.target, e.message)),
      events.on('transferred', (e) => this.live.get(e.call.id)?.transferred()),
      events.on('media-timeline', (e) => this.live.get(e.callId)?.media(e.event)),
      events.on('ended', (e) => {
        const acc = this.live.get(e.call.id);
        if (acc === undefined) return;
        acc.ended(e);
        // No ports were bound: no media ran, and none will report.
        if (acc.mediaDone || e.call.rtpPort === undefined) return this.complete(acc, acc.mediaDone);
        const wait = setTimeout(() => this.complete(acc, false), this.mediaWaitMs);
        wait.unref();
        this.waits.set(acc.call.id, wait);
      }),
      events.on('media-ended', (e) => {
        const acc = this.live.get(e.callId);
        if (acc === undefined) return;
        acc.mediaEnded(e);
        if (acc.hasEnded) this.complete(acc, true);
      }),
    ];
  }

  onRecord(listener: (detail: CallDetail) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /** Calls being recorded (live, or ended and waiting for their media). */
  get pending(): number {
    return this.live.size;
  }

  /**
   * Finishes every ended call still waiting for its media (without quality) and stops listening. Calls still live
   * are dropped: close after the calls have ended (the gateway hangs them all up first). Idempotent.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const off of this.unsubscribes) off();
    for (const acc of [...this.live.values()]) if (acc.hasEnded) this.complete(acc, false);
    this.live.clear();
  }

  private complete(acc: CallAccumulator, withMedia: boolean): void {
    const id = acc.call.id;
    if (this.live.get(id) !== acc) return;
    this.live.delete(id);
    const wait = this.waits.get(id);
    if (wait !== undefined) clearTimeout(wait);
    this.waits.delete(id);
    const detail = acc.finish();
    this.stats.finished++;
    if (!withMedia) this.stats.withoutMedia++;
    const sink = this.options.sink;
    if (sink !== undefined) this.tell(sink, detail);
    for (const listener of this.listeners) this.tell(listener, detail);
  }

  private tell(listener: (detail: CallDetail) => void, detail: CallDetail): void {
    try {
      listener(detail);
    } catch (err) {
      this.stats.listenerErrors++;
      this.options.logger.error({ err, callId: detail.id }, 'call record listener failed (the record went on)');
    }
  }
}
