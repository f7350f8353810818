/**
 * `--pin`: the gateway (and the floor relay in its place) on one CPU, everything else of the bench (this process: the
 * load generator; the agents; the webhook sink) on another, with `taskset` from util-linux. The gateway's media
 * worker threads inherit its CPU: with `--pin` every gateway thread shares that one core.
 */
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';

/** Where each side of the bench runs under `--pin`. */
export const PIN = { gateway: 0, bench: 1 } as const;

export const TASKSET_INSTALL = 'apt-get install -y --no-install-recommends util-linux';

export class PinError extends Error {
  override readonly name = 'PinError';
  readonly code = 'BENCH_PIN_UNAVAILABLE';
}

/** Throws a `PinError` (with the install line) when `taskset` cannot run, or the machine has fewer than two CPUs. */
export function requireTaskset(cpuCount = cpus().length, run: typeof spawnSync = spawnSync): void {
  const probe = run('taskset', ['--version'], { encoding: 'utf8' });
  if (probe.error !== undefined || probe.status !== 0) {
    throw new PinError(`--pin needs taskset (util-linux), which did not run${probe.error === undefined ? '' : `: ${probe.error.message}`}; install it: ${TASKSET_INSTALL}`);
  }
  if (cpuCount < 2) throw new PinError(`--pin needs two CPUs (the gateway on CPU ${PIN.gateway}, the load on CPU ${PIN.bench}); this machine has ${cpuCount}`);
}

/** Moves every thread of process `pid` (default this one) to `cpu` (`taskset -a -p -c`). */
export function pinProcess(cpu: number, pid = process.pid, run: typeof spawnSync = spawnSync): void {
  const r = run('taskset', ['-a', '-p', '-c', String(cpu), String(pid)], { encoding: 'utf8' });
  if (r.error !== undefined || r.status !== 0) {
    throw new PinError(`taskset could not move pid ${pid} to CPU ${cpu}: ${r.error?.message ?? String(r.stderr).trim()}`);
  }
}
