import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { PROCESS_GUARD_EXIT_CODE, ProcessGuard } from './process-guard.js';

function setup(options: { maxErrors?: number; windowMs?: number } = {}) {
  let now = 0;
  const lines: { level: number; msg: string }[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line) as { level: number; msg: string }) });
  const fatal: number[] = [];
  const guard = new ProcessGuard({ logger, ...options, onFatal: (code) => fatal.push(code), now: () => now });
  const events = new EventEmitter();
  const uninstall = guard.install(events);
  return { guard, events, uninstall, lines, fatal, advance: (ms: number) => (now += ms) };
}

describe('ProcessGuard', () => {
  it('logs and counts each uncaught exception and unhandled rejection, and keeps the process', () => {
    const { guard, events, lines, fatal } = setup();
    events.emit('uncaughtException', new Error('boom'));
    events.emit('unhandledRejection', new Error('nope'));
    expect(guard.stats).toEqual({ uncaughtExceptions: 1, unhandledRejections: 1 });
    expect(fatal).toEqual([]);
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      [50, 'uncaught error (contained; the gateway keeps serving)'],
      [50, 'uncaught error (contained; the gateway keeps serving)'],
    ]);
  });

  it('stops the process (once, exit 70) when more than 10 come within 10 s', () => {
    const { events, lines, fatal, advance } = setup();
    for (let i = 0; i < 10; i++) {
      events.emit('uncaughtException', new Error(`e${i}`));
      advance(900);
    }
    expect(fatal).toEqual([]); // 10 in 9 s: still within the bound
    events.emit('unhandledRejection', new Error('the eleventh'));
    expect(fatal).toEqual([PROCESS_GUARD_EXIT_CODE]);
    expect(lines.at(-1)).toMatchObject({ level: 60, msg: 'more than 10 uncaught errors within 10000 ms; stopping (exit 70)' });
    events.emit('uncaughtException', new Error('more'));
    expect(fatal).toEqual([PROCESS_GUARD_EXIT_CODE]);
  });

  it('forgets errors older than the window: a steady trickle never stops the process', () => {
    const { guard, events, fatal, advance } = setup();
    for (let i = 0; i < 100; i++) {
      events.emit('uncaughtException', new Error(`e${i}`));
      advance(1_001); // 10 per 10.01 s
    }
    expect(guard.stats.uncaughtExceptions).toBe(100);
    expect(fatal).toEqual([]);
  });

  it('takes its bound from the options', () => {
    const { events, fatal } = setup({ maxErrors: 2, windowMs: 1_000 });
    events.emit('uncaughtException', 1);
    events.emit('uncaughtException', 2);
    expect(fatal).toEqual([]);
    events.emit('uncaughtException', 3);
    expect(fatal).toEqual([70]);
  });

  it('stops listening when uninstalled', () => {
    const { guard, events, uninstall } = setup();
    uninstall();
    expect(events.listenerCount('uncaughtException') + events.listenerCount('unhandledRejection')).toBe(0);
    expect(guard.stats.uncaughtExceptions).toBe(0);
  });
});

describe('ProcessGuard in a real process', () => {
  /** Runs a node process that installs the guard, throws `throws` times from timers, then exits 0 by itself. */
  function run(throws: number): Promise<{ code: number | null; stdout: string }> {
    const script = `
      import { pino } from 'pino';
      import { ProcessGuard } from './src/process-guard.ts';
      const guard = new ProcessGuard({ logger: pino({ level: 'silent' }), onFatal: (code) => process.exit(code) });
      guard.install();
      for (let i = 0; i < ${throws}; i++) setTimeout(() => { throw new Error('boom ' + i); }, i);
      Promise.reject(new Error('rejected'));
      setTimeout(() => { process.stdout.write(JSON.stringify(guard.stats)); process.exit(0); }, ${throws} + 200);
    `;
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: fileURLToPath(new URL('..', import.meta.url)), stdio: ['ignore', 'pipe', 'inherit'] });
      let stdout = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
      child.once('error', reject);
      child.once('exit', (code) => resolve({ code, stdout }));
    });
  }

  it('survives a few uncaught errors and counts them', async () => {
    const { code, stdout } = await run(3);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({ uncaughtExceptions: 3, unhandledRejections: 1 });
  });

  it('exits 70 when they repeat past the bound', async () => {
    expect((await run(12)).code).toBe(PROCESS_GUARD_EXIT_CODE);
  });
});
