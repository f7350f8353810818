import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { Drainer, type DrainClock, type DrainHost, type DrainOutcome } from './drainer.js';

/** Timers that fire only when the test advances the clock. */
class FakeClock implements DrainClock {
  private ms = Date.UTC(2025, 0, 1, 12, 0, 0);
  private timers: { due: number; fn: () => void }[] = [];

  now(): number {
    return this.ms;
  }

  after(ms: number, fn: () => void): () => void {
    const timer = { due: this.ms + ms, fn };
    this.timers.push(timer);
    return () => void (this.timers = this.timers.filter((t) => t !== timer));
  }

  get pending(): number {
    return this.timers.length;
  }

  advance(ms: number): void {
    const until = this.ms + ms;
    for (let i = 0; i < 10_000; i++) {
      const next = this.timers.filter((t) => t.due <= until).sort((a, b) => a.due - b.due)[0];
      if (next === undefined) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.ms = next.due;
      next.fn();
    }
    this.ms = until;
  }
}

/** Calls that end when the test says, and a hangupAll that ends every one of them. */
class FakeCalls implements DrainHost {
  live = 0;
  hangups = 0;
  private listeners: (() => void)[] = [];

  liveCalls(): number {
    return this.live;
  }

  hangupAll(): void {
    this.hangups++;
    while (this.live > 0) this.end();
  }

  onCallEnded(listener: () => void): () => void {
    this.listeners.push(listener);
    return () => void (this.listeners = this.listeners.filter((l) => l !== listener));
  }

  end(): void {
    this.live--;
    for (const l of [...this.listeners]) l();
  }

  get subscribers(): number {
    return this.listeners.length;
  }
}

function setup(live: number, config = { timeoutS: 60, logIntervalS: 10 }) {
  const clock = new FakeClock();
  const calls = new FakeCalls();
  calls.live = live;
  const lines: { msg: string; level: number }[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as { msg: string; level: number }) });
  const drainer = new Drainer({ host: calls, config, logger, clock });
  let outcome: DrainOutcome | undefined;
  const start = (options?: { timeoutS?: number }): Promise<DrainOutcome> => {
    const p = drainer.drain(options);
    void p.then((o) => (outcome = o));
    return p;
  };
  return { clock, calls, drainer, lines, start, outcome: () => outcome };
}

describe('Drainer', () => {
  it('serves until drained: phase serving, no since or deadline, not draining', () => {
    const { drainer } = setup(3);
    expect(drainer.draining).toBe(false);
    expect(drainer.state()).toEqual({ phase: 'serving', since: undefined, deadline: undefined, liveCalls: 3 });
  });

  it('draining: refuses at once, reports since and deadline, ends early when the last call ends (completed)', async () => {
    const { drainer, calls, clock, start, lines } = setup(2);
    const done = start();
    expect(drainer.draining).toBe(true);
    const state = drainer.state();
    expect(state.phase).toBe('draining');
    expect(state.since).toBe('2025-01-01T12:00:00.000Z');
    expect(state.deadline).toBe('2025-01-01T12:01:00.000Z');
    expect(state.liveCalls).toBe(2);
    expect(lines[0]?.msg).toMatch(/^drain started: refusing new calls, 2 live calls go on until they end or 2025-01-01T12:01:00.000Z/);
    clock.advance(5_000);
    calls.end();
    expect(drainer.state().phase).toBe('draining');
    calls.end();
    expect(await done).toBe('completed');
    expect(drainer.state().phase).toBe('stopping');
    expect(calls.hangups).toBe(0);
    // Timers and the subscription are released: nothing fires later.
    expect(clock.pending).toBe(0);
    expect(calls.subscribers).toBe(0);
    expect(lines.at(-1)?.msg).toBe('drain completed: every live call ended on its own');
  });

  it('no live call: completes at once', async () => {
    const { start, drainer } = setup(0);
    expect(await start()).toBe('completed');
    expect(drainer.state().phase).toBe('stopping');
  });

  it('timeout: the calls still up are hung up (timed-out) and the phase is stopping', async () => {
    const { drainer, calls, clock, start, outcome, lines } = setup(3);
    const done = start();
    calls.end();
    clock.advance(59_999);
    expect(outcome()).toBeUndefined();
    expect(drainer.state().phase).toBe('draining');
    clock.advance(1);
    expect(await done).toBe('timed-out');
    expect(calls.hangups).toBe(1);
    expect(calls.live).toBe(0);
    expect(drainer.state().phase).toBe('stopping');
    expect(lines.some((l) => l.msg === 'drain timed-out: hanging up 2 live calls' && l.level === 40)).toBe(true);
  });

  it('timeoutS given to drain() wins over the configuration', async () => {
    const { clock, start, calls } = setup(1);
    const done = start({ timeoutS: 2 });
    clock.advance(2_000);
    expect(await done).toBe('timed-out');
    expect(calls.live).toBe(0);
  });

  it('a second signal (stopNow) hangs up at once (stopped); drain() again returns the same outcome', async () => {
    const { drainer, calls, clock, start } = setup(4);
    const done = start();
    clock.advance(1_000);
    drainer.stopNow();
    expect(calls.hangups).toBe(1);
    expect(calls.live).toBe(0);
    expect(await done).toBe('stopped');
    expect(await drainer.drain()).toBe('stopped');
    expect(clock.pending).toBe(0);
    drainer.stopNow(); // idempotent
    expect(calls.hangups).toBe(1);
  });

  it('stopNow without a drain (close while serving): stopping, and drain() resolves stopped', async () => {
    const { drainer, calls } = setup(1);
    drainer.stopNow();
    expect(drainer.state().phase).toBe('stopping');
    expect(calls.live).toBe(0);
    expect(await drainer.drain()).toBe('stopped');
  });

  it('logs progress every logIntervalS while calls are up, not per call', async () => {
    const { calls, clock, start, lines } = setup(3, { timeoutS: 100, logIntervalS: 10 });
    const done = start();
    calls.end();
    clock.advance(35_000);
    const progress = lines.filter((l) => l.msg.startsWith('draining:'));
    expect(progress.map((l) => l.msg)).toEqual(['draining: 2 live calls left', 'draining: 2 live calls left', 'draining: 2 live calls left']);
    calls.end();
    calls.end();
    expect(await done).toBe('completed');
    clock.advance(60_000);
    expect(lines.filter((l) => l.msg.startsWith('draining:'))).toHaveLength(3);
  });

  it('drain() twice: one drain, the first deadline', async () => {
    const { drainer, clock, start } = setup(1);
    const first = start();
    clock.advance(10_000);
    const second = drainer.drain({ timeoutS: 1 });
    expect(second).toBe(first);
    expect(drainer.state().deadline).toBe('2025-01-01T12:01:00.000Z');
  });
});
