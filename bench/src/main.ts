/**
 * `npm run bench`: the end-to-end load bench. Runs the micro-benchmarks in this process first, then starts the
 * scripted agents and the gateway as separate processes, runs N calls at R calls/s through it (echo calls with
 * markers; every 10th a turn call, every 10th offset by 4 a barge-in call to the talker), samples the gateway's CPU
 * and RSS, reads its hop latencies from `GET /stats`, runs the same load through the floor relay, and writes
 * `<out>/<date>-<name>.json` (BenchResult with notes and extra figures), `.md`, `.svg` and `LATEST.md`, plus a short
 * summary. `--ramp` adds calls in steps instead, each measured over its own window. `--direction outbound` has the
 * gateway place the calls (`POST /v1/calls`, through a trunk pointing at the load generator, which answers as the
 * carrier); `--direction both` runs inbound then outbound, each on a fresh gateway, and compares them.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CliError, parseCli, type CliOptions } from './cli.js';
import { CALL_MIX, costOf, directionFigures, loadTarget, runDirection, type Direction } from './direction-run.js';
import { BARGE_IN_NUMBER, fetchHops, type GatewayStats } from './gateway-process.js';
import { BARGE_IN_LEAD_MS, LoadGenerator } from './load/load-generator.js';
import { ECHO_MARKER_DELAY_MS, ECHO_PAUSE_MS } from './load/signals.js';
import { machineInfo } from './machine.js';
import { runMicro } from './micro/in-run.js';
import { startTsx, waitForHttp, type Child } from './proc/child.js';
import { sampleProcess } from './proc/proc-sampler.js';
import { runRampMode } from './ramp/ramp-mode.js';
import type { RampOutcome } from './ramp/run-ramp.js';
import { runRuntimes } from './runtimes/run-runtimes.js';
import { recordsOrder, runRecords, type RecordsRun, type WebhookSink } from './records-run.js';
import { srtpOrder, suiteOf } from './load/srtp-offer.js';
import { runSrtp, type SrtpRun } from './srtp-run.js';
import { comparesVariants, runVariant, variantFigures, variantOrder } from './variants-run.js';
import { PIN, pinProcess, requireTaskset } from './proc/pin.js';
import type { BenchResult, CostFigures, DirectionFigures, Distribution, RampCapacity, RecordsFigures, SrtpFigures, VariantFigures } from './report/types.js';
import type { SinkCounts } from './webhook-sink/serve.js';
import { runPhase, type PhaseResult } from './run-phase.js';
import { loadGeneratorLoad, runEach } from './run-each.js';
import { EMPTY_DISTRIBUTION } from './stats.js';
import { checkTargets } from './targets.js';
import { printSummary } from './summary.js';
import { writeReport } from './report/write.js';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const REPO = resolve(HERE, '../..');
const { turnEvery: TURN_EVERY, bargeInEvery: BARGE_IN_EVERY, bargeInOffset: BARGE_IN_OFFSET } = CALL_MIX;

/** The JSON file: a `BenchResult` plus notes on what was or was not measured and figures outside the schema. */
export type BenchResultFile = BenchResult & { notes: string[]; extra: Record<string, unknown> };

const log = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

const cost = costOf;

function round(v: number): number {
  return Math.round(v * 1000) / 1000;
}

function roundDistribution(d: Distribution): Distribution {
  return { count: d.count, p50: round(d.p50), p95: round(d.p95), p99: round(d.p99), max: round(d.max), mean: round(d.mean) };
}

async function main(options: CliOptions): Promise<void> {
  const startedAt = new Date();
  const t0 = performance.now();
  const work = mkdtempSync(join(tmpdir(), 'patchbay-bench-'));
  const children: Child[] = [];
  const notes: string[] = [];
  const extra: Record<string, unknown> = {};
  try {
    if (options.runtimes !== undefined) {
      log(`patchbay bench '${options.name}': the gateway on Node ${options.runtimes.join(', ')}, ${options.calls} calls at ${options.rate}/s held ${options.durationS} s each, then the floor`);
      const written = await runRuntimes({ ...options, runtimes: options.runtimes }, { repoRoot: REPO, benchSrc: HERE, workDir: work, target: (sipPort) => loadTarget(sipPort, options.codec), log });
      for (const file of written) log(`wrote ${file}`);
      return;
    }
    log(`patchbay bench '${options.name}': ${options.mode} ${options.calls} calls at ${options.rate}/s, ${options.agent} echo agent` +
      (options.direction === 'inbound' ? '' : `, direction ${options.direction}`));
    // --pin: this process (the load generator) and what it starts for the load on one CPU, the gateway on another.
    const benchCpu = options.pin ? PIN.bench : undefined;
    const gatewayCpu = options.pin ? PIN.gateway : undefined;
    if (options.pin) {
      requireTaskset();
      pinProcess(PIN.bench);
      log(`pinned: the gateway and the floor relay on CPU ${PIN.gateway}; this process (load generator), the agents and the webhook sink on CPU ${PIN.bench}`);
    }
    let micro: BenchResult['micro'];
    if (options.micro) {
      log('micro-benchmarks (µs per 20 ms frame, in this process, before any load)');
      const microStart = performance.now();
      const m = await runMicro();
      micro = m.usPerFrame;
      extra['microDurationS'] = round((performance.now() - microStart) / 1000);
      extra['microTimesFloor'] = m.timesFloor;
      for (const [name, us] of Object.entries(m.usPerFrame)) log(`  ${name.padEnd(34)} ${us.toFixed(3).padStart(9)} µs`);
    }
    const agents = await startTsx(join(HERE, 'agents/serve.ts'), [], {}, undefined, undefined, benchCpu);
    children.push(agents.child);
    const urls = JSON.parse(agents.firstLine) as { echoUrl: string; turnUrl: string; talkerUrl: string; rawEchoUrl: string; countsUrl: string };
    const launch = {
      // PATCHBAY_BENCH_GATEWAY_ROOT: another checkout whose gateway to run under this bench (a before/after in one session).
      repoRoot: process.env['PATCHBAY_BENCH_GATEWAY_ROOT'] ?? REPO,
      workDir: work,
      echoAgent: options.agent === 'in-process' ? 'echo' : urls.echoUrl,
      turnAgentUrl: urls.turnUrl,
      talkerAgentUrl: urls.talkerUrl,
      maxCalls: options.calls,
      workers: options.workers ?? 0,
      codec: options.codec,
      echoBargeIn: options.bargeIn === 'off' ? 'off' : 'default',
      ...(gatewayCpu === undefined ? {} : { cpu: gatewayCpu }),
    } as const;

    let phase: PhaseResult | undefined;
    let ramp: RampOutcome | undefined;
    let rampCapacity: RampCapacity[] | undefined;
    let stats: GatewayStats | undefined;
    let directions: DirectionFigures[] | undefined;
    let records: RecordsFigures[] | undefined;
    let srtp: SrtpFigures[] | undefined;
    let variants: VariantFigures[] | undefined;
    const agentsBefore = sampleProcess(agents.child.pid);
    if (options.mode === 'ramp') {
      const r = await runRampMode(launch, options.rampCodecs ?? [options.codec],
        { maxCalls: options.calls, stepCalls: options.stepCalls, stepS: options.stepS, rate: options.rate },
        { pid: agents.child.pid, countsUrl: urls.countsUrl }, children, log);
      ramp = r.runs[0];
      rampCapacity = r.runs.map((run) => run.capacity);
      stats = r.stats;
      notes.push(...r.notes);
      for (const c of rampCapacity) notes.push(`ramp ${c.codec}: largest concurrency held ${c.maxHeld}; limit: ${c.limit}`);
      extra['rampMaxHeld'] = ramp?.capacity.maxHeld ?? 0;
      extra['rampStopReason'] = ramp?.capacity.limit ?? 'no ramp ran';
    } else if (comparesVariants(options.bargeIn, options.workerCounts)) {
      const { runs, first } = await runEach(variantOrder(options.bargeIn, options.workerCounts), (v) => runVariant(v, launch, options, log), 'variant');
      phase = first.phase;
      stats = first.stats;
      variants = runs.map(variantFigures);
      extra['variantRuns'] = runs.map((r) => ({ ...r.variant, failures: r.phase.failures, endedByFarEnd: r.phase.endedByFarEnd,
        loadGenerator: loadGeneratorLoad(r.phase) }));
      notes.push('variants: each run on a fresh gateway with the same load; only the echo number\'s bargeIn (default: unset, i.e. gateway; off) and media.workers differ; ' +
        'the top-level figures (and the floor comparison) are the first run\'s; every run is in the comparison table');
    } else if (options.srtp !== undefined) {
      const { runs, first } = await runEach(srtpOrder(options.srtp, options.repeat), (mode) => runSrtp(mode, launch, options, log), 'srtp run');
      phase = first.phase;
      stats = first.stats;
      srtp = runs.map(srtpFigures);
      extra['srtpRuns'] = runs.map((r) => ({
        mode: r.mode, gatewayFailures: r.gatewayFailures, endedByFarEnd: r.phase.endedByFarEnd, failures: r.phase.failures,
        rtpRejectedPackets: r.stats?.media?.['rtpRejectedPackets'], loadGenerator: loadGeneratorLoad(r.phase) }));
      notes.push('srtp: each run on a fresh gateway with the same config (records off: database.enabled false; the default SRTP policy, optional) and the same load; ' +
        'off = the load generator offers RTP/AVP, aes-cm / gcm = RTP/SAVP with AES_CM_128_HMAC_SHA1_80 / AEAD_AES_128_GCM alone and a fresh SDES key per call, ' +
        'its RTP protected and the gateway\'s unprotected with the gateway\'s SRTP library (the load generator\'s CPU is not in the gateway figures)');
      notes.push('srtp: the top-level figures (and the floor comparison) are the first run\'s; every run is in the SRTP table');
    } else if (options.records !== undefined) {
      const sinkProc = await startTsx(join(HERE, 'webhook-sink/serve.ts'), [], {}, undefined, undefined, benchCpu);
      children.push(sinkProc.child);
      const sinkUrls = JSON.parse(sinkProc.firstLine) as { url: string; countsUrl: string };
      const sink: WebhookSink = {
        url: sinkUrls.url,
        counts: async () => (await (await fetch(sinkUrls.countsUrl, { signal: AbortSignal.timeout(3_000) })).json()) as SinkCounts,
      };
      const { runs, first } = await runEach(recordsOrder(options.records), (mode) => runRecords(mode, launch, options, sink, log), 'records run');
      phase = first.phase;
      stats = first.stats;
      records = runs.map(recordsFigures);
      extra['recordsRuns'] = runs.map((r) => ({ mode: r.mode, store: r.stats?.store, sink: r.sink, loadGenerator: loadGeneratorLoad(r.phase) }));
      notes.push('records: each run on a fresh gateway with the same load and numbers, sip.ringing on in both modes; on = the store (SQLite in a fresh folder on a worker thread) ' +
        'and one webhook endpoint on the bench\'s sink (its own process, 204 at once) subscribed to every call event type; off = database.enabled: false');
      notes.push('records: the top-level figures (and the floor comparison) are the first run\'s; every run is in the records table');
    } else {
      // both: inbound, outbound, inbound again (the two inbound runs show how much runs differ on this machine).
      const order: Direction[] = options.direction === 'both' ? ['inbound', 'outbound', 'inbound'] : [options.direction];
      const { runs, first } = await runEach(order, (direction) => runDirection(direction, launch, { ...options, withTrunk: options.direction !== 'inbound' }, log), 'direction');
      phase = first.phase;
      stats = first.stats;
      if (options.direction !== 'inbound') {
        directions = runs.map((r, i) => ({ ...directionFigures(r), ...(r.direction === 'inbound' && i > 0 ? { repeat: true } : {}) }));
        extra['directionRuns'] = runs.map((r) => ({ direction: r.direction, failures: r.phase.failures, endedByFarEnd: r.phase.endedByFarEnd, loadGenerator: loadGeneratorLoad(r.phase) }));
        notes.push('directions: each ran on a fresh gateway with the same config (one trunk, the load generator as the carrier both ways) and the same load; ' +
          'outbound calls are placed by POST /v1/calls at the same rate (number: the per-kind number, so its route\'s agent and barge-in settings apply) ' +
          'and answered at once by the load generator (100, 180, 200; media from the ACK on)');
        notes.push('outbound setupMs = INVITE received → 200 sent at the carrier side (the load generator answering at once); inviteToAckMs = INVITE received → ACK received; apiToInviteMs = POST /v1/calls sent → INVITE received');
        if (options.direction === 'outbound') notes.push('--direction outbound: the top-level figures are the outbound run\'s');
        else notes.push('--direction both: inbound, outbound, inbound again; the top-level figures (and the floor comparison) are the first inbound run\'s; every run is in directions and the comparison table');
      }
    }
    const agentsAfter = sampleProcess(agents.child.pid);
    const hops = ramp === undefined ? stats?.hops : ramp.heldHops;
    if (hops === undefined) {
      notes.push(ramp !== undefined && stats !== undefined ? 'ramp: no step held, so no gateway hop window is reported'
        : 'gateway GET /stats missing or unreadable: uplinkMs and downlinkMs left at count 0');
    }
    else extra['gatewayHops'] = hops;
    const gatewayBargeInMs = hops?.['bargeInMs'];
    if (gatewayBargeInMs !== undefined) extra['gatewayBargeInMs'] = roundDistribution(gatewayBargeInMs);
    const gatewayBargeIn = stats?.bargeIn?.[BARGE_IN_NUMBER];
    if (typeof gatewayBargeIn === 'object' && gatewayBargeIn !== null) {
      // The summary without its list of the last 100 reaction times (the distribution is in gatewayBargeInMs).
      const { reactionMs: _reactions, ...summary } = gatewayBargeIn as Record<string, unknown>;
      extra['gatewayBargeIn'] = summary;
    }

    let floor: BenchResult['floor'];
    let floorPhase: PhaseResult | undefined;
    if (options.floor && phase !== undefined) {
      log('floor phase (UDP → WebSocket → UDP relay, same load)');
      const relayNodeOptions = process.env['PATCHBAY_BENCH_FLOOR_NODE_OPTIONS'];
      const relay = await startTsx(join(HERE, 'floor/relay.ts'), [urls.rawEchoUrl], relayNodeOptions === undefined ? {} : { NODE_OPTIONS: relayNodeOptions }, undefined, undefined, gatewayCpu);
      children.push(relay.child);
      const ports = JSON.parse(relay.firstLine) as { sipPort: number; httpPort: number };
      await waitForHttp(`http://127.0.0.1:${ports.httpPort}/healthz`);
      floorPhase = await runPhase(() => LoadGenerator.create(loadTarget(ports.sipPort, options.codec)), relay.child.pid, options, log);
      const floorHops = await fetchHops(`http://127.0.0.1:${ports.httpPort}/stats`);
      floor = { ...cost(floorPhase), uplinkMs: floorHops?.['uplinkMs'] ?? EMPTY_DISTRIBUTION, downlinkMs: floorHops?.['downlinkMs'] ?? EMPTY_DISTRIBUTION };
      extra['floorWsRoundTripMs'] = floorHops?.['wsRoundTripMs'];
      extra['floorRoundTripMs'] = floorPhase.roundTripMs;
      extra['floorSetupMs'] = floorPhase.setupMs;
      extra['floorLossPct'] = floorPhase.lossPct;
      await relay.child.stop();
    } else if (options.mode === 'ramp') notes.push('no floor run in ramp mode');

    const none: Distribution = EMPTY_DISTRIBUTION;
    const gatewayCost: CostFigures = phase !== undefined ? cost(phase)
      : { cpuMsPerCallSecond: round(ramp?.capacity.cpuMsPerCallSecondAtHeld ?? 0), rssMiBPerCall: 0, rssMiB: 0 };
    if (phase !== undefined) {
      const callSeconds = phase.callSeconds;
      extra['agentsCpuMsPerCallSecond'] = callSeconds > 0 ? round((agentsAfter.cpuMs - agentsBefore.cpuMs) / callSeconds) : 0;
      extra['gatewayCpuCoreShare'] = round(phase.cpuCoreShare);
      extra['gatewayRss'] = { beforeMiB: phase.rssBeforeMiB, peakMiB: phase.rssPeakMiB, afterMiB: phase.rssAfterMiB };
      extra['callsUp'] = phase.callsUp;
      extra['bargeInOnsets'] = phase.bargeInCounts;
      extra['echoMarkers'] = phase.markers;
      extra['loadGenerator'] = { coreShare: round(phase.loadGenCoreShare), loopDelayP99Ms: round(phase.loadGenLoopDelayP99Ms) };
      if (floorPhase !== undefined) extra['floorLoadGenerator'] = { coreShare: round(floorPhase.loadGenCoreShare), loopDelayP99Ms: round(floorPhase.loadGenLoopDelayP99Ms) };
      if (Object.keys(phase.failures).length > 0) notes.push(`failed calls: ${JSON.stringify(phase.failures)}`);
      if (phase.endedByFarEnd > 0) notes.push(`${phase.endedByFarEnd} calls were ended by the gateway`);
      notes.push(`barge-in calls (every ${BARGE_IN_EVERY}th, offset ${BARGE_IN_OFFSET}; bargeIn: gateway): the talker agent talks (speech over a quiet tone, never silent); ` +
        `the caller is quiet ${BARGE_IN_LEAD_MS / 1000} s then speaks the turn calls' utterance, again after each time the talker restarts; ` +
        'bargeInMs = onset packet sent → last non-silent agent packet received before 3 silent packets, at the load generator; ' +
        'extra.bargeInOnsets counts onsets timed, with the talker silent, or not stopped; extra.gatewayBargeInMs is the gateway\'s own (onset packet arrival → last agent packet sent), over every number: ' +
        'with the echo number\'s default barge-in it includes the echo calls\' interruptions (the talker number\'s alone: extra.gatewayBargeIn)');
      if (options.agent === 'websocket') notes.push('agents (echo, turn, talker) run in their own process: their CPU is not in the gateway figures (see extra.agentsCpuMsPerCallSecond)');
      else notes.push('in-process echo: the gateway figures include the echo agent, the floor includes a WebSocket hop the gateway does not make');
    }
    notes.push(`echo calls: the caller talks with pauses (an utterance, then ${ECHO_PAUSE_MS} ms of low noise with the round-trip marker ${ECHO_MARKER_DELAY_MS} ms into it); ` +
      (options.bargeIn === 'off' ? 'the echo number has bargeIn: off (no speech detector)'
        : options.agent === 'in-process'
          ? 'the built-in echo, which the gateway defaults to bargeIn off, gets bargeIn: gateway written out (a real number\'s default): the detector runs on every caller frame, each utterance interrupts the echo, and as the built-in echo never sends clear its audio is dropped for media.interruptGuardMs (500 ms) after each'
          : 'the echo number has no bargeIn override (the default, gateway: the detector runs on every caller frame and each utterance interrupts the echo, whose agent answers clear and echoes on)') +
      (options.bargeIn === 'both' ? '; --barge-in both: see the comparison table for off' : '') +
      '; extra.echoMarkers: markers due back (sent at least the pause before their call stopped sending) and found back: a round trip over 1.7 s is cut by the next utterance\'s barge-in and shows as one not back');
    if (options.pin) notes.push(`--pin: the gateway (every thread) and the floor relay on CPU ${PIN.gateway}; the load generator, the agents and the webhook sink on CPU ${PIN.bench}`);
    notes.push('CPU per call-second is over the hold window (all calls up), set-up and tear-down excluded');
    notes.push('quality.jitterMs: |D(i-1,i)| of RFC 3550 6.4.1 per consecutive pair of received packets, in ms');
    notes.push(`turn calls (every ${TURN_EVERY}th): turnMs = end of the caller's utterance → first agent packet; includes the gateway's speech hangover (300 ms default)`);
    notes.push('gateway uplinkMs/downlinkMs include the jitter-buffer and lead-buffer waits by design; their processing-only parts are in extra.gatewayHops');

    const base: Omit<BenchResult, 'targets'> = {
      name: options.name,
      startedAt: startedAt.toISOString(),
      durationS: Math.round((performance.now() - t0) / 100) / 10,
      machine: machineInfo(),
      options: {
        calls: options.calls, rate: options.rate, durationS: options.durationS, codec: options.codec, agent: options.agent, mode: options.mode,
        ...(options.workers === undefined || options.workers === 0 ? {} : { workers: options.workers }),
        ...(options.direction === 'inbound' ? {} : { direction: options.direction }),
        ...(options.records === undefined ? {} : { records: options.records }),
        ...(options.srtp === undefined ? {} : { srtp: options.srtp }),
        ...(options.repeat > 1 ? { repeat: options.repeat } : {}),
        ...(options.rampCodecs === undefined ? {} : { rampCodecs: [...options.rampCodecs] }),
        bargeIn: options.bargeIn,
        ...(options.workerCounts.length > 1 ? { workerCounts: [...options.workerCounts] } : {}),
        ...(options.pin ? { pin: true } : {}),
      },
      hops: {
        setupMs: phase?.setupMs ?? none,
        uplinkMs: hops?.['uplinkMs'] ?? none,
        downlinkMs: hops?.['downlinkMs'] ?? none,
        roundTripMs: phase?.roundTripMs ?? none,
        turnMs: phase?.turnMs ?? none,
        bargeInMs: phase?.bargeInMs ?? none,
      },
      quality: phase === undefined
        ? { packetsSent: 0, packetsReceived: 0, lossPct: 0, jitterMs: none }
        : { packetsSent: phase.packetsSent, packetsReceived: phase.packetsReceived, lossPct: round(phase.lossPct), jitterMs: phase.jitterMs },
      gateway: gatewayCost,
      ...(floor === undefined ? {} : { floor }),
      ...(micro === undefined ? {} : { micro }),
      ...(directions === undefined ? {} : { directions }),
      ...(records === undefined ? {} : { records }),
      ...(srtp === undefined ? {} : { srtp }),
      ...(ramp === undefined ? {} : { ramp: ramp.capacity.steps }),
      ...(rampCapacity === undefined ? {} : { rampCapacity }),
      ...(variants === undefined ? {} : { variants }),
    };
    const concurrency = phase?.callsUp ?? ramp?.capacity.maxHeld ?? 0;
    const result: BenchResultFile = {
      ...base,
      targets: checkTargets(base, concurrency, hops?.['downlinkProcessingMs']?.p99),
      notes,
      extra,
    };
    mkdirSync(options.outDir, { recursive: true });
    // JSON (with notes and extra figures), Markdown, SVG charts and LATEST.md.
    const written = await writeReport(result, options.outDir);
    printSummary(result, log);
    for (const file of written) log(`wrote ${file}`);
  } finally {
    for (const child of children.reverse()) await child.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

function srtpFigures(r: SrtpRun): SrtpFigures {
  const life = r.phase.lifecycle;
  const suite = suiteOf(r.mode);
  return {
    mode: r.mode,
    ...(suite === undefined ? {} : { suite }),
    callsUp: r.phase.callsUp,
    failedCalls: Object.values(r.phase.failures).reduce((a, b) => a + b, 0),
    lossPct: round(r.phase.lossPct),
    gateway: costOf(r.phase),
    lifecycle: { cpuMs: round(life.cpuMs), wallS: round(life.wallMs / 1000), callSeconds: round(life.callSeconds), cpuMsPerCallSecond: round(life.cpuMsPerCallSecond) },
    srtpRefused: r.phase.srtpRefused,
    roundTrips: r.phase.roundTripMs.count,
    roundTripP50Ms: round(r.phase.roundTripMs.p50),
    ...(r.gatewayFailures === undefined ? {} : { gatewayFailures: { ...r.gatewayFailures } }),
  };
}

function recordsFigures(r: RecordsRun): RecordsFigures {
  const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
  const applied = num(r.stats?.store?.['applied']);
  const dropped = num(r.stats?.store?.['dropped']);
  const life = r.phase.lifecycle;
  return {
    mode: r.mode,
    callsUp: r.phase.callsUp,
    failedCalls: Object.values(r.phase.failures).reduce((a, b) => a + b, 0),
    lossPct: round(r.phase.lossPct),
    gateway: costOf(r.phase),
    lifecycle: { cpuMs: round(life.cpuMs), wallS: round(life.wallMs / 1000), callSeconds: round(life.callSeconds), cpuMsPerCallSecond: round(life.cpuMsPerCallSecond) },
    ...(applied === undefined ? {} : { storeOpsApplied: applied }),
    ...(dropped === undefined ? {} : { storeOpsDropped: dropped }),
    ...(r.sink === undefined ? {} : { webhooks: { ...r.sink.byType } }),
    ...(r.drained === undefined ? {} : { drained: r.drained }),
  };
}

let options: CliOptions;
try {
  // npm runs the workspace script in bench/: a relative --out is taken from where npm was run (INIT_CWD).
  options = parseCli(process.argv.slice(2), join(REPO, 'bench/results'), process.env['INIT_CWD'] ?? process.cwd());
} catch (err) {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(err instanceof CliError ? 2 : 1);
}
main(options).then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exit(1);
  },
);
