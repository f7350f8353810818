/**
 * Ramp mode: add calls in steps until the gateway stops keeping up: packet loss in a step, a failed call, p99
 * uplink processing above 5 ms, or the gateway's CPU near one full core (Node runs the media on one thread).
 */
import type { RampStep } from './report/types.js';
import { LoadGenerator, type LoadTarget } from './load/load-generator.js';
import { sampleProcess } from './proc/proc-sampler.js';
import type { Distribution } from './report/types.js';

export interface RampOptions {
  readonly maxCalls: number;
  readonly stepCalls: number;
  readonly stepS: number;
  readonly rate: number;
}

export interface RampOutcome {
  readonly steps: RampStep[];
  /** The largest concurrency at which a whole step passed. */
  readonly maxHeld: number;
  readonly stopReason: string;
}

const UPLINK_P99_LIMIT_MS = 5;
const CPU_SATURATED_SHARE = 0.95;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * `hops()` reads the gateway's cumulative `/stats`; the step's uplink p99 is `uplinkProcessingMs` when the gateway
 * reports it (the 5 ms limit is about work, not the jitter buffer's deliberate wait), else `uplinkMs`, else −1.
 */
export async function runRamp(target: LoadTarget, pid: number, options: RampOptions, hops: () => Promise<Record<string, Distribution> | undefined>, log: (line: string) => void): Promise<RampOutcome> {
  const gen = await LoadGenerator.create(target);
  const steps: RampStep[] = [];
  let maxHeld = 0;
  let stopReason = `reached --calls ${options.maxCalls}`;
  try {
    while (gen.activeCalls < options.maxCalls) {
      const add = Math.min(options.stepCalls, options.maxCalls - gen.activeCalls);
      await gen.addCalls(add, options.rate);
      await sleep(1_000);
      const c0 = gen.counters();
      const p0 = sampleProcess(pid);
      await sleep(options.stepS * 1000);
      const c1 = gen.counters();
      const p1 = sampleProcess(pid);
      const expected = c1.packetsExpected - c0.packetsExpected;
      const lost = Math.max(0, expected - (c1.packetsReceived - c0.packetsReceived));
      const callSeconds = gen.callSeconds(p0.atMs, p1.atMs);
      const h = await hops();
      const uplink = h?.['uplinkProcessingMs'] ?? h?.['uplinkMs'];
      const step: RampStep = {
        concurrency: c1.activeCalls,
        lossPct: expected > 0 ? (100 * lost) / expected : 0,
        uplinkP99Ms: uplink === undefined || uplink.count === 0 ? -1 : uplink.p99,
        cpuMsPerCallSecond: callSeconds > 0 ? (p1.cpuMs - p0.cpuMs) / callSeconds : 0,
      };
      steps.push(step);
      const share = (p1.cpuMs - p0.cpuMs) / (p1.atMs - p0.atMs);
      log(`  step: ${step.concurrency} calls, loss ${step.lossPct.toFixed(3)} %, uplink p99 ${step.uplinkP99Ms.toFixed(2)} ms, ` +
        `${step.cpuMsPerCallSecond.toFixed(2)} ms CPU per call-second, ${(share * 100).toFixed(0)} % of a core`);
      const failed = [...gen.failures.values()].reduce((a, b) => a + b, 0);
      if (failed > 0) stopReason = `${failed} call(s) failed at ${step.concurrency}: ${[...gen.failures.keys()].join(', ')}`;
      else if (step.lossPct > 0) stopReason = `packet loss ${step.lossPct.toFixed(3)} % at ${step.concurrency} calls`;
      else if (step.uplinkP99Ms > UPLINK_P99_LIMIT_MS) stopReason = `uplink p99 ${step.uplinkP99Ms.toFixed(2)} ms > ${UPLINK_P99_LIMIT_MS} ms at ${step.concurrency} calls`;
      else if (share >= CPU_SATURATED_SHARE) stopReason = `gateway CPU saturated (${(share * 100).toFixed(0)} % of a core) at ${step.concurrency} calls`;
      else if (gen.endedByFarEnd > 0) stopReason = `${gen.endedByFarEnd} call(s) ended by the gateway at ${step.concurrency}`;
      else {
        maxHeld = step.concurrency;
        stopReason = `reached --calls ${options.maxCalls}`;
        continue;
      }
      break;
    }
    await gen.hangUpAll();
    return { steps, maxHeld, stopReason };
  } finally {
    gen.close();
  }
}
