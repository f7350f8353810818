/**
 * The whole machine's CPU time, from the first line of /proc/stat (Linux), so a ramp window can tell how much of
 * the machine processes other than the gateway, the agents and the load generator used: on a shared machine they
 * starve the gateway and the step measures the neighbours, not the gateway.
 */
import { readFileSync } from 'node:fs';
import { clockTicksPerSecond } from '../proc/proc-sampler.js';

export interface MachineCpuSample {
  readonly atMs: number;
  /** user + nice + system + steal, ms (interrupt time left out: it is the packets' own, on behalf of no process). */
  readonly busyMs: number;
}

/** Busy ticks of the `cpu` line: user, nice, system and steal (fields 1, 2, 3 and 8). */
export function parseBusyTicks(procStat: string): number {
  const line = procStat.split('\n').find((l) => l.startsWith('cpu '));
  if (line === undefined) return 0;
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  const at = (i: number): number => (Number.isFinite(f[i]) ? (f[i] ?? 0) : 0);
  return at(0) + at(1) + at(2) + at(7);
}

export function sampleMachine(): MachineCpuSample {
  let busy = 0;
  try {
    busy = parseBusyTicks(readFileSync('/proc/stat', 'utf8'));
  } catch {
    busy = 0;
  }
  return { atMs: performance.now(), busyMs: (busy * 1000) / clockTicksPerSecond() };
}

/** Busy CPU between two samples, in cores. */
export function machineCores(a: MachineCpuSample, b: MachineCpuSample): number {
  return b.atMs > a.atMs ? (b.busyMs - a.busyMs) / (b.atMs - a.atMs) : 0;
}
