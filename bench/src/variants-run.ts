/**
 * `--barge-in both` and `--workers 1,2`: the same fixed inbound load on a fresh gateway per variant, the variants
 * differing only in the echo number's barge-in (`default`: no override, the speech detector on every frame as on a
 * real number; `off`: `bargeIn: off`) and in `media.workers`. The turn and barge-in numbers are the same in every
 * variant (the detector on), so their figures are measured in each. Every variant runs barge-in modes in the order
 * given for each worker count in turn: `--barge-in both --workers 1,2` is default/1, off/1, default/2, off/2.
 */
import { costOf, loadTarget } from './direction-run.js';
import { ECHO_NUMBER, startGateway, type EchoBargeIn, type GatewayLaunch, type GatewayStats } from './gateway-process.js';
import { LoadGenerator } from './load/load-generator.js';
import type { VariantFigures } from './report/types.js';
import { runPhase, type PhaseOptions, type PhaseResult } from './run-phase.js';

export const BARGE_IN_CHOICES = ['default', 'off', 'both'] as const;
export type BargeInChoice = (typeof BARGE_IN_CHOICES)[number];
export type Workers = number | 'auto';

export interface Variant {
  readonly bargeIn: EchoBargeIn;
  readonly workers: Workers;
}

/** The barge-in modes of a `--barge-in` choice, in run order. */
export function bargeInOrder(choice: BargeInChoice): EchoBargeIn[] {
  return choice === 'both' ? ['default', 'off'] : [choice];
}

/** Every variant of a run: each worker count in turn, each barge-in mode within it. */
export function variantOrder(choice: BargeInChoice, workers: readonly Workers[]): Variant[] {
  return workers.flatMap((w) => bargeInOrder(choice).map((bargeIn) => ({ bargeIn, workers: w })));
}

/** Whether the options ask for more than one variant (otherwise the usual single run applies the one variant). */
export function comparesVariants(choice: BargeInChoice, workers: readonly Workers[]): boolean {
  return variantOrder(choice, workers).length > 1;
}

export interface VariantRun {
  readonly variant: Variant;
  readonly phase: PhaseResult;
  readonly stats: GatewayStats | undefined;
}

export async function runVariant(
  variant: Variant,
  launch: Omit<GatewayLaunch, 'outbound' | 'echoBargeIn' | 'workers'>,
  options: PhaseOptions,
  log: (line: string) => void,
): Promise<VariantRun> {
  const gateway = await startGateway({ ...launch, echoBargeIn: variant.bargeIn, workers: variant.workers });
  try {
    log(`gateway pid ${gateway.child.pid} (echo bargeIn ${variant.bargeIn}, workers ${variant.workers}): SIP udp 127.0.0.1:${gateway.sipPort}, HTTP ${gateway.httpPort}`);
    const phase = await runPhase(() => LoadGenerator.create(loadTarget(gateway.sipPort, launch.codec)), gateway.child.pid, options, log);
    const stats = await gateway.stats();
    return { variant, phase, stats };
  } finally {
    await gateway.child.stop();
  }
}

/** The gateway's barge-in summary for the echo number (`/stats` bargeIn), its interruptions: one per caller utterance. */
export function echoInterruptions(stats: GatewayStats | undefined): number | undefined {
  const summary = stats?.bargeIn?.[ECHO_NUMBER];
  if (typeof summary !== 'object' || summary === null) return undefined;
  const n = (summary as Record<string, unknown>)['interruptions'];
  return typeof n === 'number' ? n : undefined;
}

const round = (v: number): number => Math.round(v * 1000) / 1000;

/** A run's figures for the report's `variants`. */
export function variantFigures(r: VariantRun): VariantFigures {
  const life = r.phase.lifecycle;
  const interruptions = echoInterruptions(r.stats);
  return {
    bargeIn: r.variant.bargeIn,
    workers: r.variant.workers,
    callsUp: r.phase.callsUp,
    failedCalls: Object.values(r.phase.failures).reduce((a, b) => a + b, 0),
    lossPct: round(r.phase.lossPct),
    gateway: costOf(r.phase),
    lifecycle: { cpuMs: round(life.cpuMs), wallS: round(life.wallMs / 1000), callSeconds: round(life.callSeconds), cpuMsPerCallSecond: round(life.cpuMsPerCallSecond) },
    cpuCoreShare: round(r.phase.cpuCoreShare),
    roundTripMs: r.phase.roundTripMs,
    markers: { ...r.phase.markers },
    turnMs: r.phase.turnMs,
    bargeInMs: r.phase.bargeInMs,
    ...(interruptions === undefined ? {} : { echoInterruptions: interruptions }),
  };
}
