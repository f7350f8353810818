/** Child processes of the bench: started with tsx, their stderr shown on failure, stopped by their own pid. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface Child {
  readonly pid: number;
  readonly process: ChildProcess;
  /** The last lines it wrote to stderr (for error messages). */
  stderrTail(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when it has exited. Idempotent. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Start `node --import tsx <script>` with `env` added; resolves with the first stdout line it prints. `node`: the
 * binary to run it on (default this process's own). `cpu`: run it on that CPU alone (`taskset -c`, which execs node:
 * the pid is node's; every thread it starts inherits the affinity); check `requireTaskset()` first.
 */
export async function startTsx(script: string, args: readonly string[], env: Record<string, string>, timeoutMs = 30_000, node = process.execPath, cpu?: number): Promise<{ child: Child; firstLine: string }> {
  const argv = ['--import', 'tsx', script, ...args];
  const [command, commandArgs] = cpu === undefined ? [node, argv] : ['taskset', ['-c', String(cpu), node, ...argv]];
  const proc = spawn(command, commandArgs, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = proc.pid;
  if (pid === undefined) throw new Error(`could not start ${script}`);
  const tail: string[] = [];
  proc.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    tail.push(chunk);
    if (tail.length > 40) tail.shift();
  });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  let stopping: Promise<void> | undefined;
  const child: Child = {
    pid,
    process: proc,
    stderrTail: () => tail.join('').slice(-4_000),
    stop(graceMs = 5_000) {
      stopping ??= (async () => {
        if (proc.exitCode !== null || proc.signalCode !== null) return;
        proc.kill('SIGTERM');
        const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      })();
      return stopping;
    },
  };
  const stdout = proc.stdout;
  if (stdout === null) throw new Error('no stdout');
  const lines = createInterface({ input: stdout });
  try {
    const firstLine = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${script} printed nothing within ${timeoutMs} ms`)), timeoutMs);
      lines.once('line', (line) => {
        clearTimeout(timer);
        resolve(line);
      });
      proc.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${script} exited (${String(code)}) before it was ready:\n${child.stderrTail()}`));
      });
    });
    lines.on('line', () => undefined); // keep draining stdout
    return { child, firstLine };
  } catch (err) {
    await child.stop(1_000);
    throw err;
  }
}

/** Poll `url` until it answers 200, or throw after `timeoutMs`. */
export async function waitForHttp(url: string, timeoutMs = 30_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      await response.arrayBuffer();
      if (response.ok) return;
    } catch {
      // not up yet
    }
    if (performance.now() > deadline) throw new Error(`${url} did not answer 200 within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
