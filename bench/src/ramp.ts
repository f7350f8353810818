/**
 * Ramp mode: add calls in steps and hold each step for a measurement window, until the gateway stops keeping up:
 * packet loss in the window, p99 uplink PROCESSING time (`uplinkProcessingMs`: decode, resample, speech detection;
 * the jitter buffer's deliberate wait excluded) above 5 ms in the window, a failed call, or a call the gateway ended.
 *
 * Windows: `GET /stats?reset=1` at the start of a window discards what the histograms gathered while calls were
 * being added; the same request at its end reads the window alone. CPU is sampled at the same two instants.
 */
import { LoadGenerator, type LoadTarget } from './load/load-generator.js';
import { sampleProcess } from './proc/proc-sampler.js';
import type { Distribution, RampStep } from './report/types.js';

export interface RampOptions {
  readonly maxCalls: number;
  readonly stepCalls: number;
  readonly stepS: number;
  readonly rate: number;
}

/** A ramp step with what the schema's `RampStep` has no room for. */
export interface RampWindow extends RampStep {
  /** Gateway CPU over the window as a share of one core. */
  readonly cpuCoreShare: number;
  /** `uplinkMs` p99 in the window (jitter-buffer wait included), −1 if not reported. */
  readonly uplinkTotalP99Ms: number;
}

export interface RampOutcome {
  readonly steps: RampWindow[];
  /** The largest concurrency at which a whole step passed (0: none did). */
  readonly maxHeld: number;
  /** The gateway's hop distributions over that step's window. */
  readonly heldHops: Record<string, Distribution> | undefined;
  readonly stopReason: string;
}

/** The hop histograms; `reset` starts a new window after reading. */
export type WindowedHops = (options: { readonly reset: boolean }) => Promise<Record<string, Distribution> | undefined>;

export const UPLINK_PROCESSING_P99_LIMIT_MS = 5;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Why a step failed, or undefined if it held (pure). `uplinkP99Ms` −1 (not reported) never fails a step. */
export function rampVerdict(step: RampStep, failedCalls: number, endedByGateway: number): string | undefined {
  if (failedCalls > 0) return `${failedCalls} call(s) failed at ${step.concurrency} calls`;
  if (step.lossPct > 0) return `packet loss ${step.lossPct.toFixed(3)} % at ${step.concurrency} calls`;
  if (step.uplinkP99Ms > UPLINK_PROCESSING_P99_LIMIT_MS) {
    return `uplink processing p99 ${step.uplinkP99Ms.toFixed(2)} ms > ${UPLINK_PROCESSING_P99_LIMIT_MS} ms at ${step.concurrency} calls`;
  }
  if (endedByGateway > 0) return `${endedByGateway} call(s) ended by the gateway at ${step.concurrency} calls`;
  return undefined;
}

export async function runRamp(target: LoadTarget, pid: number, options: RampOptions, hops: WindowedHops, log: (line: string) => void): Promise<RampOutcome> {
  const gen = await LoadGenerator.create(target);
  const steps: RampWindow[] = [];
  let maxHeld = 0;
  let heldHops: Record<string, Distribution> | undefined;
  let stopReason = `reached --calls ${options.maxCalls}`;
  try {
    while (gen.activeCalls < options.maxCalls) {
      const add = Math.min(options.stepCalls, options.maxCalls - gen.activeCalls);
      await gen.addCalls(add, options.rate);
      await sleep(1_000);
      await hops({ reset: true }); // the window starts here: drop what calls being set up added
      const c0 = gen.counters();
      const p0 = sampleProcess(pid);
      await sleep(options.stepS * 1000);
      const c1 = gen.counters();
      const p1 = sampleProcess(pid);
      const h = await hops({ reset: true });
      const expected = c1.packetsExpected - c0.packetsExpected;
      const lost = Math.max(0, expected - (c1.packetsReceived - c0.packetsReceived));
      const callSeconds = gen.callSeconds(p0.atMs, p1.atMs);
      const processing = h?.['uplinkProcessingMs'];
      const total = h?.['uplinkMs'];
      const step: RampWindow = {
        concurrency: c1.activeCalls,
        lossPct: expected > 0 ? (100 * lost) / expected : 0,
        uplinkP99Ms: processing === undefined || processing.count === 0 ? -1 : processing.p99,
        cpuMsPerCallSecond: callSeconds > 0 ? (p1.cpuMs - p0.cpuMs) / callSeconds : 0,
        cpuCoreShare: p1.atMs > p0.atMs ? (p1.cpuMs - p0.cpuMs) / (p1.atMs - p0.atMs) : 0,
        uplinkTotalP99Ms: total === undefined || total.count === 0 ? -1 : total.p99,
      };
      steps.push(step);
      log(`  step: ${step.concurrency} calls, loss ${step.lossPct.toFixed(3)} %, uplink processing p99 ${step.uplinkP99Ms.toFixed(2)} ms ` +
        `(with jitter buffer ${step.uplinkTotalP99Ms.toFixed(1)} ms), ${step.cpuMsPerCallSecond.toFixed(2)} ms CPU per call-second, ` +
        `${(step.cpuCoreShare * 100).toFixed(0)} % of a core`);
      const failed = [...gen.failures.values()].reduce((a, b) => a + b, 0);
      const verdict = rampVerdict(step, failed, gen.endedByFarEnd);
      if (verdict !== undefined) {
        stopReason = failed > 0 ? `${verdict}: ${[...gen.failures.keys()].join(', ')}` : verdict;
        break;
      }
      maxHeld = step.concurrency;
      heldHops = h;
    }
    await gen.hangUpAll();
    return { steps, maxHeld, heldHops, stopReason };
  } finally {
    gen.close();
  }
}
