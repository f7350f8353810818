/**
 * Ramp mode: add calls in steps and hold each step for a measurement window; judge every step on the caller's
 * experience (`judgeStep`, bounds.ts) and stop at the first step that did not hold (failed or not measurable).
 *
 * One window: `GET /stats?reset=1` starts the gateway's hop histograms afresh (and gives the media clock's late-tick
 * count so far), then the load generator's counters, the agents' sent counts and the CPU of the gateway, the agents
 * and this process (the load generator) are read; the same reads at the end, and the window is the difference. The
 * settle time after the calls are added (1 s; 5 s for the first step, the baseline: `FIRST_SETTLE_MS`) is outside the
 * window; failed calls count from the step's first INVITE (their set-up is where they fail).
 *
 * Downlink delivered, and why it is exact: the echo agent sends back one 20 ms frame for every caller frame, and a
 * gateway that keeps up sends one RTP packet per 20 ms tick, agent audio when it has some (an echo call's queue is
 * never empty in steady state) and silence otherwise. So over a window, packets received by the echo callers = 20 ms
 * frames the echo agent sent (counted inside the agents process, `GET countsUrl`), up to the packets in flight at the
 * window's edges. A gateway that falls behind skips ticks (its pacer releases at most 3 late ticks and drops the
 * rest from the schedule): the count drops while RTP sequence numbers show no loss. What it does not see is audio
 * the gateway dropped but replaced with a packet on time (a barge-in flush, stall trimming): that is the round
 * trip's (markers late or missing) and the gateway's `downlinkMs` sample count's, both reported per step.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { SAMPLES_PER_FRAME_24K, type SentCounts } from '../agents/sent-counter.js';
import type { GatewayStats } from '../gateway-process.js';
import { LoadGenerator, type LoadSnapshot, type LoadTarget } from '../load/load-generator.js';
import { sampleProcess, type ProcSample } from '../proc/proc-sampler.js';
import type { Distribution, RampCapacity, RampMeasures, RampStep } from '../report/types.js';
import { distribution } from '../stats.js';
import { describeVerdict, judgeStep } from './bounds.js';
import { rampCapacity } from './capacity.js';
import { machineCores, sampleMachine, type MachineCpuSample } from './machine-cpu.js';

export interface RampOptions {
  readonly maxCalls: number;
  readonly stepCalls: number;
  readonly stepS: number;
  readonly rate: number;
}

/** The processes and endpoints a ramp reads. */
export interface RampProbes {
  readonly gatewayPid: number;
  readonly agentsPid: number;
  /** `GET /stats` (`reset`: start a new hop window after answering). */
  readonly stats: (options: { readonly reset: boolean }) => Promise<GatewayStats | undefined>;
  /** The agents' sent-sample counts so far (undefined: unreadable). */
  readonly agentsSent: () => Promise<SentCounts | undefined>;
}

export interface RampOutcome {
  readonly capacity: RampCapacity;
  /** The gateway's hop distributions over the window of the largest step held. */
  readonly heldHops: Record<string, Distribution> | undefined;
}

const SETTLE_MS = 1_000;
/**
 * The first step settles longer: its window is the baseline of the relative bounds, and a fresh gateway spends its
 * first seconds compiling the hot path (measured: 25 calls right after start gave a downlink p99 of 66.8 ms and an
 * uplink processing p99 of 0.4 ms, against 43.6 and 0.2 ms at 50 calls in the next window), which loosened every
 * later step's bound by as much.
 */
export const FIRST_SETTLE_MS = 5_000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** What a window read at each end. */
interface WindowEnd {
  readonly load: LoadSnapshot;
  readonly lateTicks: number | undefined;
  readonly stalls: number | undefined;
  readonly echoSamplesSent: number | undefined;
  readonly gateway: ProcSample;
  readonly agents: ProcSample;
  readonly self: NodeJS.CpuUsage;
  readonly machine: MachineCpuSample;
  readonly atMs: number;
}

/** The figures of one window (pure: the two ends, the gateway's hops over it, the load generator's samples). */
export interface WindowFigures {
  readonly start: Pick<WindowEnd, 'load' | 'lateTicks' | 'stalls' | 'echoSamplesSent'>;
  readonly end: Pick<WindowEnd, 'load' | 'lateTicks' | 'stalls' | 'echoSamplesSent'>;
  /** Failed calls and calls the gateway ended since the step's first INVITE. */
  readonly failedCalls: number;
  readonly endedByGateway: number;
  readonly hops: Record<string, Distribution> | undefined;
  readonly samples: { readonly roundTrip: ArrayLike<number>; readonly turn: ArrayLike<number>; readonly bargeIn: ArrayLike<number>; readonly jitter: ArrayLike<number> };
  /** Shares of one core; `machine`: the whole machine's busy CPU, in cores. */
  readonly coreShare: { readonly gateway: number; readonly agents: number; readonly loadGenerator: number; readonly machine: number };
  readonly loadGeneratorLoopDelayP99Ms: number;
}

const p = (d: Distribution | undefined, pick: (d: Distribution) => number): number | null => (d === undefined || d.count === 0 ? null : pick(d));
const r3 = (v: number): number => Math.round(v * 1000) / 1000;
const r3n = (v: number | null): number | null => (v === null ? null : r3(v));

/** The step's measures from its window (pure). */
export function windowMeasures(w: WindowFigures): RampMeasures {
  const c0 = w.start.load.counters;
  const c1 = w.end.load.counters;
  const expected = c1.packetsExpected - c0.packetsExpected;
  const lost = Math.max(0, expected - (c1.packetsReceived - c0.packetsReceived));
  const sentSamples = w.start.echoSamplesSent === undefined || w.end.echoSamplesSent === undefined ? undefined : w.end.echoSamplesSent - w.start.echoSamplesSent;
  const framesSent = sentSamples === undefined ? 0 : Math.round(sentSamples / SAMPLES_PER_FRAME_24K);
  const received = w.end.load.echoPacketsReceived - w.start.load.echoPacketsReceived;
  const roundTrip = distribution(w.samples.roundTrip);
  const turn = distribution(w.samples.turn);
  const bargeIn = distribution(w.samples.bargeIn);
  const jitter = distribution(w.samples.jitter);
  const downlink = w.hops?.['downlinkMs'];
  return {
    failedCalls: w.failedCalls,
    endedByGateway: w.endedByGateway,
    lossPct: expected > 0 ? r3((100 * lost) / expected) : 0,
    uplinkProcessingP99Ms: p(w.hops?.['uplinkProcessingMs'], (d) => d.p99),
    downlinkFramesSent: framesSent,
    downlinkPacketsReceived: received,
    downlinkDeliveredPct: framesSent > 0 ? r3((100 * received) / framesSent) : null,
    downlinkP99Ms: p(downlink, (d) => d.p99),
    downlinkSamples: downlink?.count ?? 0,
    roundTripP99Ms: p(roundTrip, (d) => d.p99),
    roundTrips: roundTrip.count,
    jitterP99Ms: p(jitter, (d) => d.p99),
    jitterSamples: jitter.count,
    clockLateTicks: diff(w.start.lateTicks, w.end.lateTicks),
    clockStalls: diff(w.start.stalls, w.end.stalls),
    turnP50Ms: p(turn, (d) => d.p50),
    turnP95Ms: p(turn, (d) => d.p95),
    turns: turn.count,
    bargeInP50Ms: p(bargeIn, (d) => d.p50),
    bargeInP95Ms: p(bargeIn, (d) => d.p95),
    bargeIns: bargeIn.count,
    bargeInMissed: w.end.load.bargeInCounts.notStopped - w.start.load.bargeInCounts.notStopped,
    gatewayCoreShare: r3(w.coreShare.gateway),
    agentsCoreShare: r3(w.coreShare.agents),
    loadGeneratorCoreShare: r3(w.coreShare.loadGenerator),
    loadGeneratorLoopDelayP99Ms: r3(w.loadGeneratorLoopDelayP99Ms),
    otherCores: r3(Math.max(0, w.coreShare.machine - w.coreShare.gateway - w.coreShare.agents - w.coreShare.loadGenerator)),
  };
}

const diff = (a: number | undefined, b: number | undefined): number | null => (a === undefined || b === undefined ? null : b - a);

/** A media-clock count from `/stats` (`clockLateTicks`, `clockStalls`); undefined when the gateway does not report it. */
function clockCountOf(stats: GatewayStats | undefined, key: 'clockLateTicks' | 'clockStalls'): number | undefined {
  const v = stats?.media?.[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

const share = (a: ProcSample, b: ProcSample): number => (b.atMs > a.atMs ? (b.cpuMs - a.cpuMs) / (b.atMs - a.atMs) : 0);
const pct = (v: number): string => `${(v * 100).toFixed(0)} %`;
const ms = (v: number | null): string => (v === null ? '—' : `${v.toFixed(1)} ms`);

export async function runRamp(target: LoadTarget, probes: RampProbes, options: RampOptions, log: (line: string) => void): Promise<RampOutcome> {
  const gen = await LoadGenerator.create(target);
  const steps: RampStep[] = [];
  let first: RampMeasures | undefined;
  let heldHops: Record<string, Distribution> | undefined;
  const read = async (stats: GatewayStats | undefined): Promise<WindowEnd> => {
    const sent = await probes.agentsSent();
    return {
      load: gen.snapshot(),
      lateTicks: clockCountOf(stats, 'clockLateTicks'),
      stalls: clockCountOf(stats, 'clockStalls'),
      echoSamplesSent: sent?.['echo'],
      gateway: sampleProcess(probes.gatewayPid),
      agents: sampleProcess(probes.agentsPid),
      self: process.cpuUsage(),
      machine: sampleMachine(),
      atMs: performance.now(),
    };
  };
  try {
    while (gen.activeCalls < options.maxCalls) {
      const add = Math.min(options.stepCalls, options.maxCalls - gen.activeCalls);
      const before = gen.snapshot();
      await gen.addCalls(add, options.rate);
      await sleep(steps.length === 0 ? FIRST_SETTLE_MS : SETTLE_MS);
      // The window starts here: the reset drops what the calls being set up added to the gateway's histograms.
      const start = await read(await probes.stats({ reset: true }));
      const loop = monitorEventLoopDelay({ resolution: 5 });
      loop.enable();
      await sleep(options.stepS * 1000);
      loop.disable();
      const endStats = await probes.stats({ reset: true });
      const end = await read(endStats);
      const self = process.cpuUsage(start.self);
      const s = gen.shared;
      const measures = windowMeasures({
        start, end,
        failedCalls: end.load.failed - before.failed,
        endedByGateway: end.load.endedByFarEnd - before.endedByFarEnd,
        hops: endStats?.hops,
        samples: {
          roundTrip: s.roundTripMs.since(start.load.roundTrips),
          turn: s.turnMs.since(start.load.turns),
          bargeIn: s.bargeInMs.since(start.load.bargeIns),
          jitter: s.jitterMs.since(start.load.jitterSamples),
        },
        coreShare: {
          gateway: share(start.gateway, end.gateway),
          agents: share(start.agents, end.agents),
          loadGenerator: end.atMs > start.atMs ? (self.user + self.system) / 1000 / (end.atMs - start.atMs) : 0,
          machine: machineCores(start.machine, end.machine),
        },
        loadGeneratorLoopDelayP99Ms: loop.percentile(99) / 1e6,
      });
      first ??= measures;
      const judged = judgeStep(measures, first);
      const callSeconds = gen.callSeconds(start.gateway.atMs, end.gateway.atMs);
      const step: RampStep = {
        concurrency: end.load.counters.activeCalls,
        lossPct: measures.lossPct,
        uplinkP99Ms: measures.uplinkProcessingP99Ms ?? -1,
        cpuMsPerCallSecond: callSeconds > 0 ? r3((end.gateway.cpuMs - start.gateway.cpuMs) / callSeconds) : 0,
        codec: target.codec,
        windowS: r3((end.atMs - start.atMs) / 1000),
        measures: { ...measures, uplinkProcessingP99Ms: r3n(measures.uplinkProcessingP99Ms) },
        checks: judged.checks,
        verdict: judged.verdict,
      };
      steps.push(step);
      const m = measures;
      log(`  step ${step.concurrency} calls (${target.codec}): ${describeVerdict(judged.verdict, judged.checks, m)}`);
      log(`    delivered ${m.downlinkDeliveredPct === null ? '—' : `${m.downlinkDeliveredPct.toFixed(2)} %`} (${m.downlinkPacketsReceived}/${m.downlinkFramesSent}), ` +
        `downlink p99 ${ms(m.downlinkP99Ms)} (${m.downlinkSamples}), round trip p99 ${ms(m.roundTripP99Ms)} (${m.roundTrips}), jitter p99 ${ms(m.jitterP99Ms)}, ` +
        `clock stalls ${m.clockStalls ?? '—'} (late ticks ${m.clockLateTicks ?? '—'}), turn p50 ${ms(m.turnP50Ms)} (${m.turns}), barge-in p95 ${ms(m.bargeInP95Ms)} (${m.bargeIns}, missed ${m.bargeInMissed}), ` +
        `uplink processing p99 ${ms(m.uplinkProcessingP99Ms)}, loss ${m.lossPct.toFixed(3)} %`);
      log(`    CPU: gateway ${pct(m.gatewayCoreShare)} (${step.cpuMsPerCallSecond.toFixed(2)} ms per call-second), agents ${pct(m.agentsCoreShare)}, ` +
        `load generator ${pct(m.loadGeneratorCoreShare)} (loop delay p99 ${m.loadGeneratorLoopDelayP99Ms.toFixed(1)} ms), other processes ${m.otherCores.toFixed(2)} cores`);
      if (judged.verdict.kind !== 'held') break;
      heldHops = endStats?.hops;
    }
    await gen.hangUpAll();
    return { capacity: rampCapacity(target.codec, steps, options.maxCalls), heldHops };
  } finally {
    gen.close();
  }
}
