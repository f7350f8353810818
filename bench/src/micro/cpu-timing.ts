/**
 * CPU-time timing for micro-benchmarks on a shared machine: several functions timed in the same rounds, interleaved
 * (round r runs each of them in turn), so that load from other processes hits them alike. process.cpuUsage counts
 * this process's CPU only (user + system, µs), not time spent descheduled. One warm-up round first.
 */
let sink = 0;

/** For each of `fns`: the median over `rounds` of CPU µs per call, `calls` calls per round (`fn(i)`, i from 0). */
export function cpuMedianUs(rounds: number, calls: number, fns: ReadonlyArray<(i: number) => number>): number[] {
  const perFn: number[][] = fns.map(() => []);
  for (let r = 0; r <= rounds; r++) {
    fns.forEach((fn, f) => {
      const start = process.cpuUsage();
      for (let i = 0; i < calls; i++) sink += fn(r * calls + i);
      const used = process.cpuUsage(start);
      if (r > 0) perFn[f]?.push((used.user + used.system) / calls);
    });
  }
  return perFn.map((list) => {
    list.sort((a, b) => a - b);
    return list[Math.floor(list.length / 2)] ?? Number.NaN;
  });
}

/** The sink, so a script can show it used the results. */
export function cpuTimingSink(): number {
  return sink;
}
