/** CPU time and resident memory of another process, from /proc (Linux only). */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

let ticksPerSecond: number | undefined;

/** `getconf CLK_TCK` (usually 100), read once. */
export function clockTicksPerSecond(): number {
  if (ticksPerSecond === undefined) {
    try {
      const value = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
      ticksPerSecond = Number.isFinite(value) && value > 0 ? value : 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

export interface ProcSample {
  /** `performance.now()` when read. */
  readonly atMs: number;
  /** user + system CPU time so far, ms. */
  readonly cpuMs: number;
  readonly rssMiB: number;
}

/** Fields 14 (utime) and 15 (stime) of /proc/<pid>/stat; the command name may hold spaces, so split after ')'. */
export function parseProcStatCpuTicks(stat: string): number {
  const after = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // after[0] is field 3 (state); utime is field 14 → index 11, stime field 15 → index 12.
  return Number(after[11] ?? 0) + Number(after[12] ?? 0);
}

export function parseVmRssMiB(status: string): number {
  const kib = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
  return kib === undefined ? 0 : Number(kib) / 1024;
}

export function sampleProcess(pid: number): ProcSample {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return {
    atMs: performance.now(),
    cpuMs: (parseProcStatCpuTicks(stat) * 1000) / clockTicksPerSecond(),
    rssMiB: parseVmRssMiB(status),
  };
}

/** CPU used between two samples, as a fraction of one core. */
export function cpuShare(a: ProcSample, b: ProcSample): number {
  const wall = b.atMs - a.atMs;
  return wall > 0 ? (b.cpuMs - a.cpuMs) / wall : 0;
}
