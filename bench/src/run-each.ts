/**
 * The comparison modes (`--srtp all`, `--records both`, `--barge-in both`, `--direction both`, `--workers 1,2`) run
 * one configuration after another, each on its own gateway, with the first run's figures on top of the report.
 */
import type { PhaseResult } from './run-phase.js';

/** Every run of `order`, one after another; `first` is the one the report's top-level figures come from. */
export async function runEach<M, R>(order: readonly M[], run: (mode: M) => Promise<R>, what: string): Promise<{ runs: R[]; first: R }> {
  const runs: R[] = [];
  for (const mode of order) runs.push(await run(mode));
  const first = runs[0];
  if (first === undefined) throw new Error(`no ${what} ran`);
  return { runs, first };
}

/** The load generator's own CPU share and event-loop delay p99 in a run (how thin the cores were shared). */
export function loadGeneratorLoad(phase: PhaseResult): { coreShare: number; loopDelayP99Ms: number } {
  const round = (v: number): number => Math.round(v * 1000) / 1000;
  return { coreShare: round(phase.loadGenCoreShare), loopDelayP99Ms: round(phase.loadGenLoopDelayP99Ms) };
}
