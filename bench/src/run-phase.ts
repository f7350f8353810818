/**
 * One fixed-load phase against a target process (the gateway or the floor relay): place the calls, hold them for
 * `durationS` with every call up, hang up; sample the target's CPU and RSS before, during and after.
 *
 * CPU per call-second is measured over the hold window only (every call up, no set-up or tear-down in it), so the
 * gateway and the floor are compared on the same steady state; set-up cost shows in `setupMs` instead.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { BargeInCounts } from './load/barge-in-tracker.js';
import type { Distribution } from './report/types.js';
import type { LoadGenerator } from './load/load-generator.js';
import { sampleProcess, type ProcSample } from './proc/proc-sampler.js';
import { distribution } from './stats.js';

export interface PhaseOptions {
  readonly calls: number;
  readonly rate: number;
  readonly durationS: number;
}

export interface PhaseResult {
  readonly setupMs: Distribution;
  readonly roundTripMs: Distribution;
  readonly turnMs: Distribution;
  readonly bargeInMs: Distribution;
  /** What became of the barge-in calls' caller onsets (timed, agent silent, not stopped). */
  readonly bargeInCounts: BargeInCounts;
  readonly jitterMs: Distribution;
  readonly packetsSent: number;
  readonly packetsReceived: number;
  readonly lossPct: number;
  readonly callsUp: number;
  readonly callSeconds: number;
  readonly cpuMsPerCallSecond: number;
  /** Target CPU over the hold window as a share of one core. */
  readonly cpuCoreShare: number;
  readonly rssBeforeMiB: number;
  readonly rssPeakMiB: number;
  readonly rssAfterMiB: number;
  readonly rssMiBPerCall: number;
  readonly failures: Readonly<Record<string, number>>;
  readonly endedByFarEnd: number;
  /** Received packets the load generator's SRTP sessions refused (0 on plain runs). */
  readonly srtpRefused: number;
  /** Echo markers due back (sent in time to return) and found back: a round trip too long to measure is a missing one. */
  readonly markers: { readonly due: number; readonly back: number };
  /** The load generator's own CPU over the hold window (share of one core) and its event-loop delay p99, ms. */
  readonly loadGenCoreShare: number;
  readonly loadGenLoopDelayP99Ms: number;
  /**
   * The whole life of the calls: target CPU from before the first INVITE to after the tear-down (and `drain`, when
   * given: records written, webhooks delivered) over every call-second of the phase. Set-up, tear-down and the work
   * they leave behind are in it; the hold-window figures above leave them out.
   */
  readonly lifecycle: { readonly cpuMs: number; readonly wallMs: number; readonly callSeconds: number; readonly cpuMsPerCallSecond: number };
  /** Outbound calls only: INVITE received → ACK received (carrier side), POST → INVITE received, POST → API answer. */
  readonly outbound?: { readonly inviteToAckMs: Distribution; readonly apiToInviteMs: Distribution; readonly apiAnswerMs: Distribution };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const SETTLE_MS = 1_000;

/**
 * `open`: the load generator for the phase's direction (`LoadGenerator.create` or `createOutbound`); closed at the
 * end. `drain(callsUp)`: resolves when the work the calls left behind is done (records, webhooks), before the last
 * sample.
 */
export async function runPhase(open: () => Promise<LoadGenerator>, pid: number, options: PhaseOptions, log: (line: string) => void, drain?: (callsUp: number) => Promise<void>): Promise<PhaseResult> {
  const before = sampleProcess(pid);
  const gen = await open();
  try {
    log(`  placing ${options.calls} calls at ${options.rate}/s`);
    await gen.addCalls(options.calls, options.rate);
    await sleep(SETTLE_MS);
    const holdStart = sampleProcess(pid);
    const selfStart = process.cpuUsage();
    const loopDelay = monitorEventLoopDelay({ resolution: 5 });
    loopDelay.enable();
    let peakRss = holdStart.rssMiB;
    const callsUp = gen.activeCalls;
    log(`  ${callsUp} calls up; holding ${options.durationS} s`);
    const holdEndAt = performance.now() + options.durationS * 1000;
    let last: ProcSample = holdStart;
    while (performance.now() < holdEndAt) {
      await sleep(Math.min(1_000, holdEndAt - performance.now()));
      last = sampleProcess(pid);
      peakRss = Math.max(peakRss, last.rssMiB);
    }
    loopDelay.disable();
    const self = process.cpuUsage(selfStart);
    const callSeconds = gen.callSeconds(holdStart.atMs, last.atMs);
    await gen.hangUpAll();
    await sleep(1_500);
    if (drain !== undefined) await drain(callsUp);
    const after = sampleProcess(pid);
    const lifeCallSeconds = gen.callSeconds(before.atMs, after.atMs);
    const counters = gen.counters();
    const lost = Math.max(0, counters.packetsExpected - counters.packetsReceived);
    const cpuMs = last.cpuMs - holdStart.cpuMs;
    const out = gen.outboundSamples;
    return {
      ...(out === undefined ? {} : {
        outbound: { inviteToAckMs: distribution(out.inviteToAckMs.view()), apiToInviteMs: distribution(out.apiToInviteMs.view()), apiAnswerMs: distribution(out.apiAnswerMs.view()) },
      }),
      setupMs: distribution(gen.setupMs.view()),
      roundTripMs: distribution(gen.shared.roundTripMs.view()),
      turnMs: distribution(gen.shared.turnMs.view()),
      bargeInMs: distribution(gen.shared.bargeInMs.view()),
      bargeInCounts: { ...gen.shared.bargeInCounts },
      jitterMs: distribution(gen.shared.jitterMs.view()),
      packetsSent: counters.packetsSent,
      packetsReceived: counters.packetsReceived,
      lossPct: counters.packetsExpected > 0 ? (100 * lost) / counters.packetsExpected : 0,
      callsUp,
      callSeconds,
      cpuMsPerCallSecond: callSeconds > 0 ? cpuMs / callSeconds : 0,
      cpuCoreShare: last.atMs > holdStart.atMs ? cpuMs / (last.atMs - holdStart.atMs) : 0,
      rssBeforeMiB: before.rssMiB,
      rssPeakMiB: peakRss,
      rssAfterMiB: after.rssMiB,
      rssMiBPerCall: callsUp > 0 ? (peakRss - before.rssMiB) / callsUp : 0,
      lifecycle: {
        cpuMs: after.cpuMs - before.cpuMs,
        wallMs: after.atMs - before.atMs,
        callSeconds: lifeCallSeconds,
        cpuMsPerCallSecond: lifeCallSeconds > 0 ? (after.cpuMs - before.cpuMs) / lifeCallSeconds : 0,
      },
      failures: Object.fromEntries(gen.failures),
      endedByFarEnd: gen.endedByFarEnd,
      srtpRefused: counters.srtpRefused,
      markers: { due: counters.markersDue, back: counters.markersBack },
      loadGenCoreShare: (self.user + self.system) / 1000 / Math.max(1, last.atMs - holdStart.atMs),
      loadGenLoopDelayP99Ms: loopDelay.percentile(99) / 1e6,
    };
  } finally {
    gen.close();
  }
}
