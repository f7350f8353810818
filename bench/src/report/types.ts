/**
 * The bench's result, as written to bench/results/<date>-<name>.json and rendered to Markdown and SVG.
 * Every latency is in milliseconds.
 */
/** Latency percentiles, the same shape the gateway's own histograms report (`GET /stats`). */
export type { Distribution } from '@patchbay/gateway';
import type { Distribution } from '@patchbay/gateway';

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memGiB: number;
  node: string;
  os: string;
}

export interface BenchOptions {
  calls: number;
  /** New calls per second. */
  rate: number;
  durationS: number;
  codec: 'PCMU' | 'PCMA' | 'G722' | 'opus';
  agent: 'in-process' | 'websocket';
  mode: 'fixed' | 'ramp';
  /** The gateway's `media.workers` (absent in results from before worker threads: 0). */
  workers?: number | 'auto';
  /** Who placed the calls (absent in results from before outbound calls: inbound). */
  direction?: 'inbound' | 'outbound' | 'both';
  /** `--records on|off|both`: call records + webhooks on, off (`database.enabled: false`), or both alternated. */
  records?: 'on' | 'off' | 'both';
  /** `--srtp off|aes-cm|gcm|all`: plain RTP, SRTP with one suite, or the three back to back. */
  srtp?: 'off' | 'aes-cm' | 'gcm' | 'all';
  /** `--repeat N` with `--srtp`: rounds, each in the reverse order of the one before. */
  repeat?: number;
  /** `--ramp --codecs A,B` / `--codec all`: the codecs ramped, each on a fresh gateway. */
  rampCodecs?: string[];
  /** `--barge-in default|off|both`: the echo number's barge-in (absent in results from before: `off`). */
  bargeIn?: 'default' | 'off' | 'both';
  /** `--workers 1,2`: the worker counts compared, one run each. */
  workerCounts?: readonly (number | 'auto')[];
  /** `--pin`: the gateway on CPU 0, the load generator and the agents on CPU 1 (taskset). */
  pin?: boolean;
}

/**
 * One `--barge-in both` / `--workers 1,2` run on its own gateway (same load). `gateway` is over the hold window;
 * `lifecycle` over the calls' whole life, as in `RecordsFigures`.
 */
export interface VariantFigures {
  /** The echo number's barge-in: `default` (no override: `gateway`, the detector on every frame) or `off`. */
  bargeIn: 'default' | 'off';
  workers: number | 'auto';
  callsUp: number;
  failedCalls: number;
  lossPct: number;
  gateway: CostFigures;
  lifecycle: { cpuMs: number; wallS: number; callSeconds: number; cpuMsPerCallSecond: number };
  /** The gateway's CPU over the hold window as a share of one core. */
  cpuCoreShare: number;
  /** Echo markers found back at the caller, and their round trip. */
  roundTripMs: Distribution;
  /** Echo markers due back (sent at least the pause before their call stopped sending) and found back of those. */
  markers?: { due: number; back: number };
  /** Turn calls: end of speech → first agent audio; barge-in calls: onset → agent stopped (at the caller). */
  turnMs: Distribution;
  bargeInMs: Distribution;
  /** The gateway's interruptions on the echo number (`/stats` bargeIn): one per echo caller utterance when on. */
  echoInterruptions?: number;
}

/** One `--srtp` run on its own gateway (same load, records off). `gateway` is over the hold window. */
export interface SrtpFigures {
  mode: 'off' | 'aes-cm' | 'gcm';
  /** The suite offered (absent: plain RTP/AVP). */
  suite?: string;
  callsUp: number;
  failedCalls: number;
  lossPct: number;
  gateway: CostFigures;
  lifecycle: { cpuMs: number; wallS: number; callSeconds: number; cpuMsPerCallSecond: number };
  /** Received packets the load generator's SRTP sessions refused. */
  srtpRefused: number;
  /** Echo markers found back at the caller (audio through the gateway intact) and their round-trip p50, ms. */
  roundTrips: number;
  roundTripP50Ms: number;
  /** The gateway's SRTP refusals by failure (`/stats` media.srtpFailures). */
  gatewayFailures?: Record<string, number>;
}

/**
 * One `--records` run on its own gateway (same load). `gateway` is over the hold window (every call up), as
 * everywhere in the bench; `lifecycle` is the whole life of the calls: from before the first INVITE to after the
 * tear-down and, with records on, until every record is written and every webhook delivered.
 */
export interface RecordsFigures {
  mode: 'on' | 'off';
  callsUp: number;
  failedCalls: number;
  lossPct: number;
  gateway: CostFigures;
  lifecycle: { cpuMs: number; wallS: number; callSeconds: number; cpuMsPerCallSecond: number };
  /** Store ops applied by the end of the run (records, webhook deliveries and their attempts). */
  storeOpsApplied?: number;
  storeOpsDropped?: number;
  /** Webhook deliveries the sink received, by event type (distinct `webhook-id`s). */
  webhooks?: Record<string, number>;
  /** Every record written and every call.ended delivered within the drain's bound (30 s). */
  drained?: boolean;
}

/**
 * One direction's run on its own gateway (same config, same load). `setupMs` is measured where each direction's
 * answer is given: inbound INVITE sent → 200 received at the load generator (the caller); outbound INVITE received →
 * 200 sent at the load generator (the carrier, answering at once).
 */
export interface DirectionFigures {
  direction: 'inbound' | 'outbound';
  /** The second inbound run of a `both` run (inbound, outbound, inbound again): how much two runs of one direction differ. */
  repeat?: boolean;
  callsUp: number;
  failedCalls: number;
  setupMs: Distribution;
  /** Outbound only: INVITE received → ACK received, at the carrier side. */
  inviteToAckMs?: Distribution;
  /** Outbound only: `POST /v1/calls` sent → INVITE received, and → the API's answer, at the API client. */
  apiToInviteMs?: Distribution;
  apiAnswerMs?: Distribution;
  uplinkMs: Distribution;
  downlinkMs: Distribution;
  /** The gateway's processing alone on each hop (jitter-buffer and lead-buffer waits excluded), when it reports them. */
  uplinkProcessingMs?: Distribution;
  downlinkProcessingMs?: Distribution;
  roundTripMs: Distribution;
  turnMs: Distribution;
  bargeInMs: Distribution;
  /** The gateway's own barge-in reaction (onset packet in → last agent packet out), when it reports one. */
  gatewayBargeInMs?: Distribution;
  lossPct: number;
  gateway: CostFigures;
}

export interface Hops {
  /** INVITE sent → 200 OK received, at the load generator. */
  setupMs: Distribution;
  /** RTP arrival at the gateway → frame sent on the WebSocket, measured inside the gateway. */
  uplinkMs: Distribution;
  /** Frame received from the agent → RTP sent, measured inside the gateway. */
  downlinkMs: Distribution;
  /** Caller audio sent → the same audio back through the echo agent, found by correlation at the load generator. */
  roundTripMs: Distribution;
  /** End of caller speech → first agent audio, at the load generator (turn agent). */
  turnMs: Distribution;
  /** Caller speech onset → last agent packet, at the load generator (barge-in calls). */
  bargeInMs: Distribution;
}

export interface CostFigures {
  /** Gateway process CPU (user + system) per second of call time. */
  cpuMsPerCallSecond: number;
  /** Gateway resident memory growth per concurrent call. */
  rssMiBPerCall: number;
  rssMiB: number;
}

export interface RampStep {
  concurrency: number;
  lossPct: number;
  uplinkP99Ms: number;
  cpuMsPerCallSecond: number;
  /** The caller-side verdict's inputs and outcome (absent in results from before it: gateway-side figures only). */
  codec?: string;
  /** The step's own measurement window, s. */
  windowS?: number;
  measures?: RampMeasures;
  /** Every bound of `RAMP_BOUNDS` (bench/src/ramp/bounds.ts) with what was measured against it. */
  checks?: RampCheck[];
  verdict?: RampVerdict;
}

/**
 * What one ramp step measured over its own window. A distribution's p-figure is null when it had no sample in the
 * window. CPU shares are of one core.
 */
export interface RampMeasures {
  failedCalls: number;
  endedByGateway: number;
  /** Downlink RTP loss at the callers, from sequence numbers. */
  lossPct: number;
  /** The gateway's `uplinkProcessingMs` p99. */
  uplinkProcessingP99Ms: number | null;
  /** Echo calls: 20 ms frames the echo agent sent, and packets the echo callers received. */
  downlinkFramesSent: number;
  downlinkPacketsReceived: number;
  /** received ÷ sent × 100; null when the agent sent nothing. */
  downlinkDeliveredPct: number | null;
  /** The gateway's whole downlink hop (`downlinkMs`: agent frame in → RTP out) p99 and sample count. */
  downlinkP99Ms: number | null;
  downlinkSamples: number;
  /** Echo marker round trip at the caller, p99 and count. */
  roundTripP99Ms: number | null;
  roundTrips: number;
  /** Caller-side inter-arrival jitter |D| (RFC 3550 6.4.1) p99 and count. */
  jitterP99Ms: number | null;
  jitterSamples: number;
  /** Media-clock wake-ups at least two ticks (4 ms) late in the window (`/stats` media.clockLateTicks, diffed). */
  clockLateTicks: number | null;
  /** Media-clock wake-ups at least a packet time (20 ms) late in the window (`/stats` media.clockStalls, diffed). */
  clockStalls: number | null;
  turnP50Ms: number | null;
  turnP95Ms: number | null;
  turns: number;
  bargeInP50Ms: number | null;
  bargeInP95Ms: number | null;
  bargeIns: number;
  /** Caller onsets after which the talker kept talking until the next onset (barge-in missed). */
  bargeInMissed: number;
  gatewayCoreShare: number;
  agentsCoreShare: number;
  loadGeneratorCoreShare: number;
  loadGeneratorLoopDelayP99Ms: number;
  /** Busy CPU of every other process on the machine over the window, in cores (/proc/stat less the three above). */
  otherCores: number;
}

/** One bound against one step: the figure measured (null: not measured), the limit it had, and whether it passed. */
export interface RampCheck {
  bound: string;
  measured: number | null;
  limit: number | null;
  pass: boolean;
}

/**
 * A step's verdict: held, failed (every failing bound listed) or not measurable (which process saturated or was
 * starved, and by what: `RAMP_MEASURABILITY` ids).
 */
export type RampVerdict =
  | { kind: 'held' }
  | { kind: 'failed'; failed: string[] }
  | { kind: 'not-measurable'; saturated: ('agents' | 'load-generator' | 'other-processes')[]; causes: string[] };

/** One codec's ramp on its own gateway, and the capacity it gave. */
export interface RampCapacity {
  codec: string;
  /** The largest concurrency at which a whole step held (0: none did). */
  maxHeld: number;
  /** What ended the ramp: the failing bounds and the gateway's CPU at that step, a saturated process, or the end. */
  limit: string;
  /** Gateway CPU per call-second at the step held (null: none held). */
  cpuMsPerCallSecondAtHeld: number | null;
  steps: RampStep[];
}

export interface TargetCheck {
  name: string;
  target: string;
  measured: string;
  pass: boolean;
}

export interface BenchResult {
  name: string;
  startedAt: string;
  durationS: number;
  machine: MachineInfo;
  options: BenchOptions;
  hops: Hops;
  quality: { packetsSent: number; packetsReceived: number; lossPct: number; jitterMs: Distribution };
  gateway: CostFigures;
  /** The same load through a minimal UDP → WebSocket → UDP relay in Node: the floor. */
  floor?: CostFigures & { uplinkMs: Distribution; downlinkMs: Distribution };
  /** Micro-benchmarks run in the same session: name → µs per 20 ms frame (or per operation). */
  micro?: Record<string, number>;
  ramp?: RampStep[];
  /** `--ramp`: each codec's ramp (one with `--codec X`, several with `--codec all` / `--codecs A,B`), in run order. */
  rampCapacity?: RampCapacity[];
  /** `--direction outbound|both`: each direction's figures (inbound first). */
  directions?: DirectionFigures[];
  /** `--records`: each run's figures, in run order. */
  records?: RecordsFigures[];
  /** `--srtp`: each run's figures, in run order. */
  srtp?: SrtpFigures[];
  /** `--barge-in both` / `--workers 1,2`: each run's figures, in run order. */
  variants?: VariantFigures[];
  targets: TargetCheck[];
}

/**
 * A result as the bench writes it: the schema plus free-form notes (what was or was not measured, and how) and
 * figures the schema has no field for (`extra`). The Markdown shows the notes and the few extras it knows.
 */
export type BenchReport = BenchResult & { notes?: readonly string[]; extra?: Readonly<Record<string, unknown>> };
