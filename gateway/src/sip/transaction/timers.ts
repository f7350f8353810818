/**
 * RFC 3261 §17 timer values (Table 4) and a tiny named-timer helper used by every transaction.
 *
 * Timers run on the global `setTimeout`, so tests drive them with `vi.useFakeTimers()`.
 */

export interface TimerOptions {
  /** RTT estimate; default 500 ms. */
  t1Ms?: number;
  /** Maximum retransmit interval for non-INVITE requests and INVITE responses; default 4 s. */
  t2Ms?: number;
  /** Maximum time a message stays in the network; default 5 s. */
  t4Ms?: number;
  /** Wait time for response retransmissions on an unreliable transport (Timer D); default 32 s. */
  timerDMs?: number;
}

export interface TimerSettings {
  readonly t1Ms: number;
  readonly t2Ms: number;
  readonly t4Ms: number;
  readonly timerDMs: number;
}

export function resolveTimers(options: TimerOptions = {}): TimerSettings {
  const t1Ms = positive(options.t1Ms, 500);
  return {
    t1Ms,
    t2Ms: positive(options.t2Ms, 4000),
    t4Ms: positive(options.t4Ms, 5000),
    timerDMs: positive(options.timerDMs, 32_000),
  };
}

function positive(value: number | undefined, fallback: number): number {
  return value !== undefined && Number.isFinite(value) && value > 0 ? value : fallback;
}

/** Named one-shot timers; setting a name again replaces the previous timer. */
export class TimerSet<Name extends string> {
  private readonly handles = new Map<Name, ReturnType<typeof setTimeout>>();

  set(name: Name, ms: number, fire: () => void): void {
    this.clear(name);
    const handle = setTimeout(() => {
      this.handles.delete(name);
      fire();
    }, ms);
    this.handles.set(name, handle);
  }

  clear(name: Name): void {
    const handle = this.handles.get(name);
    if (handle !== undefined) {
      clearTimeout(handle);
      this.handles.delete(name);
    }
  }

  clearAll(): void {
    for (const handle of this.handles.values()) clearTimeout(handle);
    this.handles.clear();
  }

  has(name: Name): boolean {
    return this.handles.has(name);
  }
}
