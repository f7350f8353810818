/**
 * One fixed-load run in one direction on its own gateway: start the gateway (with the bench's outbound trunk when
 * `withTrunk`: always for outbound, and for both directions of a `--direction both` run so they share one config),
 * run the phase (inbound: the load generator INVITEs the gateway; outbound: it asks `POST /v1/calls` and answers as
 * the carrier), read `GET /stats`, stop the gateway.
 */
import { BARGE_IN_NUMBER, BENCH_TRUNK, ECHO_NUMBER, OUTBOUND_PREFIX, startGateway, TURN_NUMBER, type GatewayLaunch, type GatewayStats } from './gateway-process.js';
import type { CodecName } from './load/codec-profile.js';
import { LoadGenerator, type LoadTarget } from './load/load-generator.js';
import { SipUas } from './load/sip-uas.js';
import type { CostFigures, DirectionFigures, Distribution } from './report/types.js';
import { runPhase, type PhaseOptions, type PhaseResult } from './run-phase.js';
import { EMPTY_DISTRIBUTION } from './stats.js';

const TURN_EVERY = 10;
const BARGE_IN_EVERY = 10;
const BARGE_IN_OFFSET = 4;
export const CALL_MIX = { turnEvery: TURN_EVERY, bargeInEvery: BARGE_IN_EVERY, bargeInOffset: BARGE_IN_OFFSET } as const;

export type Direction = 'inbound' | 'outbound';

export function loadTarget(sipPort: number, codec: CodecName): LoadTarget {
  return { host: '127.0.0.1', sipPort, echoNumber: ECHO_NUMBER, turnNumber: TURN_NUMBER, bargeInNumber: BARGE_IN_NUMBER, ...CALL_MIX, codec };
}

export interface DirectionRun {
  readonly direction: Direction;
  readonly phase: PhaseResult;
  /** `GET /stats` after the phase (undefined: missing or unreadable). */
  readonly stats: GatewayStats | undefined;
}

export async function runDirection(
  direction: Direction,
  launch: Omit<GatewayLaunch, 'outbound'>,
  options: PhaseOptions & { readonly withTrunk: boolean },
  log: (line: string) => void,
): Promise<DirectionRun> {
  // The carrier side is bound first: the gateway's trunk must point at its port.
  const uas = options.withTrunk || direction === 'outbound' ? await SipUas.open() : undefined;
  let owned = uas;
  try {
    const gateway = await startGateway({
      ...launch,
      ...(uas === undefined ? {} : { outbound: { carrierPort: uas.port, calls: options.calls, rate: options.rate } }),
    });
    try {
      log(`gateway pid ${gateway.child.pid} (${direction}): SIP udp 127.0.0.1:${gateway.sipPort}, HTTP ${gateway.httpPort}` +
        (uas === undefined ? '' : `, carrier (load generator) SIP udp 127.0.0.1:${uas.port}`));
      const target = loadTarget(gateway.sipPort, launch.codec);
      const open = direction === 'inbound' || uas === undefined
        ? () => LoadGenerator.create(target)
        : () => {
          owned = undefined; // the generator closes it
          return LoadGenerator.createOutbound(target, uas, { apiUrl: `http://127.0.0.1:${gateway.httpPort}`, trunk: BENCH_TRUNK, toPrefix: OUTBOUND_PREFIX });
        };
      log(`${direction} phase${direction === 'outbound' ? ' (the gateway calls the load generator: POST /v1/calls)' : ''}`);
      const phase = await runPhase(open, gateway.child.pid, options, log);
      const stats = await gateway.stats();
      return { direction, phase, stats };
    } finally {
      await gateway.child.stop();
    }
  } finally {
    owned?.close();
  }
}

function round(v: number): number {
  return Math.round(v * 1000) / 1000;
}

export function costOf(p: PhaseResult): CostFigures {
  return { cpuMsPerCallSecond: round(p.cpuMsPerCallSecond), rssMiBPerCall: round(p.rssMiBPerCall), rssMiB: round(p.rssPeakMiB) };
}

/** A run's figures for the report's `directions`. */
export function directionFigures(run: DirectionRun): DirectionFigures {
  const { phase, stats } = run;
  const hops = stats?.hops;
  const none: Distribution = EMPTY_DISTRIBUTION;
  const gatewayBargeInMs = hops?.['bargeInMs'];
  const uplinkProcessingMs = hops?.['uplinkProcessingMs'];
  const downlinkProcessingMs = hops?.['downlinkProcessingMs'];
  return {
    direction: run.direction,
    callsUp: phase.callsUp,
    failedCalls: Object.values(phase.failures).reduce((a, b) => a + b, 0),
    setupMs: phase.setupMs,
    ...(phase.outbound === undefined ? {} : phase.outbound),
    uplinkMs: hops?.['uplinkMs'] ?? none,
    downlinkMs: hops?.['downlinkMs'] ?? none,
    ...(uplinkProcessingMs === undefined ? {} : { uplinkProcessingMs }),
    ...(downlinkProcessingMs === undefined ? {} : { downlinkProcessingMs }),
    roundTripMs: phase.roundTripMs,
    turnMs: phase.turnMs,
    bargeInMs: phase.bargeInMs,
    ...(gatewayBargeInMs === undefined ? {} : { gatewayBargeInMs }),
    lossPct: round(phase.lossPct),
    gateway: costOf(phase),
  };
}
