/**
 * `npm run bench -- --ramp [--codec X | --codec all | --codecs A,B]`: one ramp per codec, each on a fresh gateway
 * (the same config but its `media.codecs`), with the one agents process of the run; one capacity row per codec.
 */
import type { SentCounts } from '../agents/sent-counter.js';
import { loadTarget } from '../direction-run.js';
import { startGateway, type GatewayLaunch, type GatewayStats } from '../gateway-process.js';
import type { CodecName } from '../load/codec-profile.js';
import type { Child } from '../proc/child.js';
import {
  BARGE_IN_P95_LIMIT_MS, FIRST_STEP_MARGIN_MS, JITTER_P99_LIMIT_MS, MAX_LOAD_GENERATOR_LOOP_DELAY_P99_MS, MAX_OTHER_CORES,
  MIN_DOWNLINK_DELIVERED_PCT, SATURATED_CORE_SHARE, UPLINK_PROCESSING_P99_LIMIT_MS,
} from './bounds.js';
import { runRamp, type RampOptions, type RampOutcome } from './run-ramp.js';

export interface RampModeResult {
  /** One per codec, in run order. */
  readonly runs: RampOutcome[];
  /** The last gateway's `GET /stats` at the end of its ramp. */
  readonly stats: GatewayStats | undefined;
  readonly notes: string[];
}

/** Reads the agents process's sent counts (`GET countsUrl`); undefined when unreadable. */
export function agentsSentReader(countsUrl: string): () => Promise<SentCounts | undefined> {
  return async () => {
    try {
      const res = await fetch(countsUrl, { signal: AbortSignal.timeout(2_000) });
      const body: unknown = await res.json();
      if (typeof body !== 'object' || body === null) return undefined;
      return Object.fromEntries(Object.entries(body).filter((e): e is [string, number] => typeof e[1] === 'number'));
    } catch {
      return undefined;
    }
  };
}

export async function runRampMode(
  launch: GatewayLaunch,
  codecs: readonly CodecName[],
  options: RampOptions,
  agents: { readonly pid: number; readonly countsUrl: string },
  children: Child[],
  log: (line: string) => void,
): Promise<RampModeResult> {
  const runs: RampOutcome[] = [];
  let stats: GatewayStats | undefined;
  const agentsSent = agentsSentReader(agents.countsUrl);
  for (const codec of codecs) {
    const gateway = await startGateway({ ...launch, codec });
    children.push(gateway.child);
    try {
      log(`ramp ${codec}: gateway pid ${gateway.child.pid}, SIP udp 127.0.0.1:${gateway.sipPort}, HTTP ${gateway.httpPort}; up to ${options.maxCalls} calls, ${options.stepCalls} per step, ${options.stepS} s windows`);
      const run = await runRamp(loadTarget(gateway.sipPort, codec), { gatewayPid: gateway.child.pid, agentsPid: agents.pid, stats: (o) => gateway.stats(o), agentsSent }, options, log);
      log(`ramp ${codec}: largest concurrency held ${run.capacity.maxHeld}; limit: ${run.capacity.limit}`);
      runs.push(run);
      stats = await gateway.stats();
    } finally {
      await gateway.child.stop();
    }
  }
  const notes = [
    'ramp: each step is judged over its own window on the caller\'s experience (bounds in docs/bench-ramp.md): no failed or gateway-ended call, no downlink loss, ' +
      `uplink processing p99 ≤ ${UPLINK_PROCESSING_P99_LIMIT_MS} ms, downlink delivered ≥ ${MIN_DOWNLINK_DELIVERED_PCT} %, downlink whole-hop and echo round-trip p99 ≤ the first step's + ${FIRST_STEP_MARGIN_MS} ms, ` +
      `caller jitter p99 ≤ ${JITTER_P99_LIMIT_MS} ms, barge-in p95 ≤ ${BARGE_IN_P95_LIMIT_MS} ms and none missed; the ramp stops at the first step that does not hold`,
    `ramp: a step where the agents process or the load generator used ≥ ${SATURATED_CORE_SHARE * 100} % of a core, the load generator's event loop ran ≥ ${MAX_LOAD_GENERATOR_LOOP_DELAY_P99_MS} ms late (p99), ` +
      `or other processes used ≥ ${MAX_OTHER_CORES} cores is "not measurable" (the bench's or the neighbours' lateness, not the gateway's), never held`,
    'ramp: downlink delivered = packets received by the echo callers ÷ 20 ms frames the echo agent sent (counted in the agents process), over the window',
    'ramp: the top-level hops are the gateway\'s over the window of the largest step held (of the first codec); per-step figures are in ramp / rampCapacity',
  ];
  if (codecs.length > 1) notes.push(`ramp: codecs ${codecs.join(', ')}, each on a fresh gateway with the same config and load`);
  return { runs, stats, notes };
}
