/**
 * One clock for every call's media. Ticks on an absolute schedule (start + k·tickMs) so timer lateness never
 * accumulates into drift; each subscriber gets the monotonic time and uses a pure pacer to decide how many of its
 * own ptime periods are due. One timer for all calls instead of one per call: at 1,000 calls that is 100 wake-ups
 * a second, not 50,000.
 */
export type TickHandler = (nowMs: number) => void;

export interface MediaClockOptions {
  tickMs?: number;
  now?: () => number;
  /** Called when a subscriber throws; the clock and the other subscribers carry on. */
  onError?: (err: unknown) => void;
  /** A wake-up at least this late is a stall (`stalls`): one packet time by default. */
  stallMs?: number;
}

export class MediaClock {
  readonly tickMs: number;
  private readonly now: () => number;
  private readonly subscribers = new Set<TickHandler>();
  private timer: NodeJS.Timeout | undefined;
  private anchorMs = 0;
  private tick = 0;
  /**
   * Wake-ups that came at least two ticks late. With the gateway's 2 ms tick that is ≥ 4 ms: mild event-loop
   * lateness inside a packet time, which callers do not hear. Reported, not an alarm.
   */
  lateTicks = 0;
  /**
   * Wake-ups at least `stallMs` (one packet time, 20 ms) late: the event loop was held long enough that callers'
   * packets left a packet time late or more. An alarm (`patchbay_media_clock_stalls_total`, the bench's ramp bound).
   */
  stalls = 0;
  private readonly stallMs: number;

  constructor(private readonly options: MediaClockOptions = {}) {
    this.tickMs = options.tickMs ?? 10;
    this.now = options.now ?? (() => performance.now());
    this.stallMs = options.stallMs ?? 20;
  }

  /** The next tick's time: a stream that starts there lands exactly on the clock's schedule. */
  nextTickMs(): number {
    if (this.timer === undefined) return this.now();
    return this.anchorMs + (this.tick + 1) * this.tickMs;
  }

  subscribe(handler: TickHandler): () => void {
    this.subscribers.add(handler);
    if (this.timer === undefined) this.start();
    return () => {
      this.subscribers.delete(handler);
      if (this.subscribers.size === 0) this.stop();
    };
  }

  private start(): void {
    this.anchorMs = this.now();
    this.tick = 0;
    this.schedule();
  }

  private schedule(): void {
    const due = this.anchorMs + (this.tick + 1) * this.tickMs;
    this.timer = setTimeout(() => this.fire(), Math.max(0, due - this.now()));
  }

  private fire(): void {
    const now = this.now();
    const latenessMs = now - (this.anchorMs + (this.tick + 1) * this.tickMs);
    if (latenessMs >= this.stallMs) this.stalls++;
    const behind = Math.floor((now - this.anchorMs) / this.tickMs);
    if (behind > this.tick + 2) this.lateTicks++;
    this.tick = Math.max(this.tick + 1, behind);
    for (const handler of this.subscribers) {
      try {
        handler(now);
      } catch (err) {
        this.options.onError?.(err);
      }
    }
    if (this.subscribers.size > 0) this.schedule();
    else this.timer = undefined;
  }

  private stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Stops ticking (shutdown). */
  close(): void {
    this.subscribers.clear();
    this.stop();
  }
}
