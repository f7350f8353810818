/**
 * Assembles a running gateway from a validated Config: SIP stack, call controller, media plane, HTTP (health,
 * stats, Prometheus metrics), and each call's trace. `npm start` (main.ts) and the tests both come through here.
 */
import { trace, type Tracer } from '@opentelemetry/api';
import { createGatewayMetrics, type GatewayMetrics } from '@patchbay/observability';
import type { Logger } from 'pino';
import { CallController, type CallStats } from './call/call-controller.js';
import type { CallControl } from './call/control.js';
import { MediaEventRelay } from './call/media-events.js';
import { startForwarding } from './forwarding/index.js';
import { startMonitoring } from './monitor/index.js';
import { OutboundSide } from './call/outbound.js';
import { BUILTIN_AGENTS, type Config } from './config.js';
import { ApiAccess } from './api/auth.js';
import { CoreCallControl } from './api/core-adapter.js';
import { startHttp, type HttpListeners } from './http/start.js';
import { silentLogger } from './logger.js';
import { loadDemoPrompts } from '@patchbay/agents';
import { loadResampler } from './media/audio/resampler.js';
import { loadSilero, loadVad, type SileroModel } from './media/vad/index.js';
import { availableParallelism } from 'node:os';
import { loadAdapters, type AdapterAgents } from './agent/adapters.js';
import { LocalMediaPlane, type MediaPlaneConfig } from './media-plane/local-plane.js';
import type { MediaPlane, MediaPlaneEvents, MediaPlaneStats, RuntimeAdapters, RuntimeAgentTls } from './media-plane/plane.js';
import { loadAgentTls, type AgentTlsMaterial } from './agent/agent-tls.js';
import { startNumbers, type NumberService } from './numbers/index.js';
import { WorkerMediaPlane } from './media-plane/worker-plane.js';
import { HopMetrics, type HopSnapshot, type HopState } from './metrics/hop-metrics.js';
import { HopWindow } from './metrics/hop-window.js';
import { SipStack } from './sip/stack.js';
import { Registrations } from './registration/index.js';
import { CallTelemetry } from './telemetry/call-telemetry.js';
import { subscribeTelemetry } from './telemetry/subscribe.js';
import type { ProcessErrorStats } from './process-guard.js';
import { gatewaySnapshot, hopStates } from './telemetry/metrics-source.js';
import { openStore, type Store, type WriteQueueStats } from './store/index.js';
import { VERSION } from './version.js';
import { startRecords } from './records/start.js';
import { historyOf } from './records/query.js';
import { startNumberMetrics } from './records/number-metrics.js';
import type { CallRecordSource } from './records/record.js';
import { startWebhooks } from './webhooks/index.js';
import { DRAIN_PHASE_VALUE, startDrain, type DrainOutcome, type DrainState } from './drain/index.js';
import { edgeSnapshot, startEdge, type EdgeStats } from './edge/index.js';
import { prepareTls, type GatewayTls } from './tls/index.js';
import type { TlsReloadResult } from './sip/stack.js';

export interface RunningGateway {
  readonly sipPort: number;
  /** The SIP over TLS port; undefined without `sip.tls` (docs/tls.md). */
  readonly tlsPort: number | undefined;
  /** Reads the TLS certificate and key again (SIGHUP); undefined without `sip.tls`. */
  reloadTls(): Promise<TlsReloadResult | undefined>;
  readonly httpPort: number;
  /** `https` when `http.tls` is set (docs/http.md). */
  readonly httpScheme: 'http' | 'https';
  /** The admin listener (`/metrics`, `/stats` without a key); undefined with `http.admin: api`. */
  readonly admin: { readonly host: string; readonly port: number } | undefined;
  /** SIGHUP: reads the HTTPS certificate and the agents' TLS files again; false if one could not be used (the old stays). */
  reloadCertificates(): Promise<boolean>;
  activeCalls(): number;
  /** Trunk registrations (`list()` for the API). */
  readonly registrations: Registrations;
  /** List, read, hang up, transfer and send DTMF to calls (what the REST API serves). */
  readonly calls: CallControl;
  /** The call lifecycle stream (created, ringing, answered, ended, ...): subscribe for records, webhooks, tests. */
  readonly events: CallController['events'];
  /** Every finished call's record (after its media reported): webhooks' `call.ended`. docs/records.md. */
  readonly records: CallRecordSource;
  /** The numbers routed by (YAML + runtime); `reloadConfig` takes a reloaded `numbers:` (SIGHUP). */
  readonly numbers: NumberService;
  /** The database (records, webhooks, numbers): `store.db` to read, `store.writer.enqueue` to write (store/types.ts); undefined with `database.enabled: false`. */
  readonly store: Store | undefined;
  stats(): Promise<GatewayStats>;
  /**
   * Graceful drain (docs/drain.md; main.ts on SIGTERM): from now on new calls are refused (503 + Retry-After, the
   * API's GATEWAY_DRAINING, /readyz 503) while live calls go on; resolves once none is left (they ended, or were
   * hung up at `drain.timeoutS` or by `close()`). Idempotent. `close()` follows it.
   */
  drain(options?: { timeoutS?: number }): Promise<DrainOutcome>;
  /** The drain's phase, since, deadline and live calls (also in /healthz and /stats). */
  drainState(): DrainState;
  /** Hangs up every call, stops listening. Idempotent. */
  close(): Promise<void>;
}

export type GatewayStats = CallStats & {
  activeCalls: number;
  sip: SipStack['stats'];
  /** What the SIP edge dropped before parsing, and its ban list (docs/edge.md). */
  edge: EdgeStats;
  hops: HopSnapshot;
  media: {
    workers: number;
    /** Media clock wake-ups ≥ 2 ticks (4 ms) late, since start (inside a packet time). */
    clockLateTicks: number;
    /** Media clock wake-ups ≥ 20 ms (a packet time) late, since start: event-loop stalls callers hear. */
    clockStalls: number;
    portsInUse: number;
    activeCalls: number;
    agentQueuedFrames: number;
    /** RTP/RTCP packets dropped for their source, and the distinct sources, since start (`media.latch`). */
    rtpRejectedPackets: number;
    rtpRejectedSources: number;
    /** SRTP/SRTCP packets refused and dropped, by failure (auth, replay, malformed), since start (docs/srtp.md). */
    srtpFailures: Record<'auth' | 'replay' | 'malformed', number>;
  };
  /** Uncaught exceptions and unhandled rejections the process survived (only when run by main.ts). */
  process?: ProcessErrorStats;
  /** The store's write queue (docs/store.md); absent with `database.enabled: false`. */
  store?: WriteQueueStats & { engine: Store['dialect'] };
  /** The graceful drain (docs/drain.md): `serving`, or when it began, its deadline and the calls still up. */
  drain: DrainState;
};

export interface GatewayOptions {
  logger?: Logger;
  /** Where adapters read the secrets their options name (`apiKeyEnv`); default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Each call's spans go here (startTelemetry's tracer); default the API's global tracer (no-op unless registered). */
  tracer?: Tracer;
  /**
   * Time every turn's hops in the media plane for the traces; default: on when a tracer is given. Off, the media
   * does no per-turn work at all (pass `telemetry.enabled`).
   */
  traceTurns?: boolean;
  /** The Prometheus registry `GET /metrics` serves; default a new one with Node's default metrics. */
  metrics?: GatewayMetrics;
  /** Errors nothing else caught, counted by main.ts's ProcessGuard; shown in `GET /stats` as `process`. */
  processErrors?: () => ProcessErrorStats;
  /** Where a relative `database.dataDir` is read from: the configuration file's folder (main.ts); default the working dir. */
  dataBaseDir?: string;
  /** An opened store to use instead of opening `config.database` (tests: openMemoryStore()); the caller closes it. */
  store?: Store;
  /** Names this gateway in the records it writes (several may share one database); default the store's (the host name). */
  gatewayId?: string;
  /** How often `http.tls`'s files are checked for change, ms (default 5000; 0: SIGHUP only). */
  certWatchIntervalMs?: number;
  /** How often runtime numbers are re-read for other gateways' changes, ms (default 3000). */
  numbersPollMs?: number;
}

export async function startGateway(config: Config, options: GatewayOptions = {}): Promise<RunningGateway> {
  const logger = options.logger ?? silentLogger;
  const workers = mediaWorkers(config);
  // The codecs, models and prompts load where the media runs: here, or in each worker (which loads its own).
  let silero: SileroModel | undefined;
  if (workers === 0) {
    await loadResampler(); // compiles the wasm once
    await loadVad();
    // Silero (optional dependency) only when some number asks for it, so a missing install fails at start, clearly.
    silero = usesSilero(config) ? await loadSilero() : undefined;
    loadDemoPrompts(); // reads the built-in prompts now, not on the first call
  }
  // Adapters named by numbers: built (and their options and secrets checked) before we listen.
  const env = options.env ?? process.env;
  const adapters = await loadAdapters(config.numbers, env, logger);
  // `agents.tls` (CA, client certificate for wss:// agents): read now, so a missing file stops the start.
  const certBaseDir = options.dataBaseDir ?? process.cwd();
  const agentTls = loadAgentTls(config.agents.tls, certBaseDir);
  // The database before we listen: one that cannot be opened stops the start, naming the file or URL.
  // `database.enabled: false`: none (no records written, no webhooks, history of live calls only; docs/store.md).
  const store = options.store ?? (config.database.enabled ? await openStore(config.database, { logger, baseDir: options.dataBaseDir ?? process.cwd(), ...(options.gatewayId === undefined ? {} : { gatewayId: options.gatewayId }) }) : undefined);
  const closeStore = async (): Promise<void> => {
    if (options.store === undefined) await store?.close();
  };
  // SIP over TLS (tls/, docs/tls.md): the listener's and the trunks' files, checked and read before we listen.
  let tls: GatewayTls;
  try {
    tls = prepareTls(config, options.dataBaseDir ?? process.cwd(), logger.child({ layer: 'tls' }));
  } catch (err) {
    await closeStore();
    throw err;
  }
  // The hardened edge (edge/, docs/edge.md): per-source limits, ban list, unknown sources, scanners, before parsing.
  const edge = startEdge(config.sip, config.trunks);
  const stack = new SipStack({
    admit: edge.admit,
    admitConnection: edge.admitConnection,
    tls: tls.server,
    tlsDefaultClient: tls.defaultClient,
    host: config.sip.host,
    port: config.sip.port,
    udp: config.sip.udp,
    tcp: config.sip.tcp,
    tcpLimits: config.sip.tcpLimits,
    maxMessageBytes: config.sip.maxMessageBytes,
    maxTransactions: config.sip.maxTransactions,
    timers: config.sip.timers,
    logger: logger.child({ layer: 'sip' }),
  });
  const bound = await stack.listen().catch(async (err: unknown) => {
    edge.close();
    await closeStore();
    throw err;
  });
  const sipPort = bound.udpPort ?? bound.tcpPort ?? config.sip.port;
  const hops = new HopMetrics(); // call setup; the media hops come from the plane
  const tracer = options.tracer ?? trace.getTracer('patchbay-gateway', VERSION);
  const telemetry = new CallTelemetry({ tracer });
  const metrics = options.metrics ?? createGatewayMetrics({ onError: (err) => logger.warn({ err }, 'metrics source failed') });
  // The plane is built before the call core it reports to (it may be workers to start): its events wait in the relay.
  const events = new MediaEventRelay();
  const traceTurns = options.traceTurns ?? options.tracer !== undefined;
  let media: MediaPlane & RuntimeAdapters & RuntimeAgentTls;
  try {
    media = await createMediaPlane(config, workers, events, logger, silero, adapters, env, traceTurns, agentTls);
  } catch (err) {
    await stack.close();
    await closeStore();
    throw err;
  }
  // Numbers at runtime and routing webhooks (numbers/, routing-webhook/).
  const numbers = await startNumbers({ config, store, adapters: media, env, sileroLoaded: silero !== undefined || usesSilero(config), logger, metrics, ...(options.numbersPollMs === undefined ? {} : { pollMs: options.numbersPollMs }) }).catch(async (err: unknown) => {
    await media.shutdown();
    await stack.close();
    throw err;
  });
  const calls = new CallController({ config, stack, media, hops, sipPort, logger, routing: { numbers: numbers.service.book, routing: numbers.routing }, draining: () => drainer.draining });
  // Graceful drain (drain/, docs/drain.md): main.ts starts it on SIGTERM; the call core refuses new calls meanwhile.
  const drainer = startDrain({ calls, config: config.drain, logger });
  events.bind(calls);
  subscribeTelemetry(calls.events, telemetry, metrics);
  const records = startRecords({ events: calls.events, store, gatewayId: options.gatewayId ?? store?.gatewayId ?? 'gateway', logger });
  // Per-number figures in /metrics from finished records: configured numbers (YAML or the numbers API) by name, the rest `other`.
  const stopNumberMetrics = startNumberMetrics({ source: records, metrics: metrics.numbers, isConfigured: (pattern) => numbers.service.book.find(pattern) !== undefined });
  stack.onRequest = (tx) => calls.handleRequest(tx);
  stack.onAck = (ack) => calls.handleAck(ack);
  stack.isDialog = (req) => calls.findCall(req) !== undefined; // a To tag naming no call: stateless 481, no state
  // Outbound calls (POST /v1/calls) through the trunks' outbound sides.
  const tlsPeers = tls.peers(stack);
  const outbound = new OutboundSide({ config, host: calls, registry: calls.registry, events: calls.events, media, stack, logger, numbers: numbers.service.book, tlsPeers });
  calls.control.setOutbound(outbound);
  // Forwarding (forwarding/, docs/forwarding.md): people as bridged outbound legs.
  startForwarding({ config, calls, outbound, media, logger });
  startMonitoring({ config, calls, outbound, media, logger });
  const registrations = new Registrations({ config, host: stack, logger: logger.child({ layer: 'registration' }), tlsPeers });
  // Webhooks (webhooks/, docs/webhooks.md): call events to the configured endpoints through the store's outbox.
  const webhooks = store === undefined ? undefined : startWebhooks({ config: config.webhooks, numbers: numbers.service.book, env, store, events: calls.events, records, normalize: config.sip.defaultCountryCode === null ? {} : { defaultCountryCode: config.sip.defaultCountryCode }, logger: logger.child({ layer: 'webhooks' }) });
  const apiControl = new CoreCallControl({ control: calls.control, trunks: config.trunks, registrations: () => registrations.list(), builtins: BUILTIN_AGENTS });

  /** The planes' hop histograms with call setup's: monotonic (counts never reset). */
  const mergedHops = (plane: MediaPlaneStats): HopState => {
    const merged = new HopMetrics();
    merged.merge(plane.hops);
    merged.setupMs.merge(hops.setupMs.state());
    return merged.state();
  };
  // One plane read serves the hop histograms and the snapshot of the same scrape.
  let planeRead: Promise<MediaPlaneStats> | undefined;
  const planeNow = (): Promise<MediaPlaneStats> => (planeRead ??= media.stats(false).finally(() => (planeRead = undefined)));
  metrics.edge.setSource(() => edgeSnapshot(edge.stats));
  metrics.setHopSource(async () => hopStates(mergedHops(await planeNow())));
  metrics.setSnapshotSource(async () =>
    gatewaySnapshot({ activeCalls: calls.activeCalls, drainState: DRAIN_PHASE_VALUE[drainer.state().phase], calls: calls.stats, sip: stack.traffic.snapshot(), plane: await planeNow(), registrations: registrations.list(), ...(bound.tlsPort === undefined ? {} : { tls: stack.stats }), ...(store === undefined ? {} : { store: store.stats() }) }),
  );

  let listening = true;
  const statsWindow = new HopWindow();
  const processErrors = options.processErrors;
  const statsNow = async (options: { reset: boolean } = { reset: false }): Promise<GatewayStats> => {
    // `reset` restarts the peaks (max) and moves the window's baseline; the histograms themselves keep counting.
    const plane = await media.stats(options.reset);
    const state = mergedHops(plane);
    if (options.reset) hops.resetPeaks();
    const inWindow = statsWindow.view(state);
    if (options.reset) statsWindow.reset(state);
    return {
      activeCalls: calls.activeCalls,
      ...structuredClone(calls.stats),
      sip: { ...stack.stats },
      edge: edge.stats,
      hops: HopMetrics.from(inWindow).snapshot(),
      media: { workers, clockLateTicks: plane.clockLateTicks, clockStalls: plane.clockStalls, portsInUse: plane.portsInUse, activeCalls: plane.activeCalls, agentQueuedFrames: plane.agentQueuedFrames, rtpRejectedPackets: plane.rtpRejectedPackets, rtpRejectedSources: plane.rtpRejectedSources, srtpFailures: plane.srtpFailures },
      ...(processErrors ? { process: { ...processErrors() } } : {}),
      ...(store === undefined ? {} : { store: { ...store.stats(), engine: store.dialect } }),
      drain: drainer.state(),
    };
  };
  // The HTTP listeners (http/start.ts, docs/http.md): main (health, API; HTTPS with http.tls) and admin (metrics, stats).
  let http: HttpListeners;
  try {
    http = await startHttp({
      config: config.http,
      source: { activeCalls: () => calls.activeCalls, sipListening: () => listening, stats: statsNow, metrics: () => metrics.render(), drain: () => drainer.state() },
      server: {
        access: new ApiAccess(config.api.keys),
        api: { control: apiControl, callsPerMinute: config.api.rateLimit.callsPerMinute, logger, listenHost: config.http.host, numbers: numbers.service, ...(webhooks === undefined ? {} : { webhooks: webhooks.deliveries }), ...(store === undefined ? {} : { history: historyOf(store) }) },
        bodyLimitBytes: config.api.bodyLimitBytes,
      },
      baseDir: certBaseDir,
      logger,
      ...(options.certWatchIntervalMs === undefined ? {} : { watchIntervalMs: options.certWatchIntervalMs }),
    });
  } catch (err) {
    await webhooks?.close();
    await media.shutdown();
    await stack.close();
    await closeStore();
    throw err;
  }
  const httpPort = http.port;
  logger.info({ sipPort, tlsPort: bound.tlsPort, httpPort, https: http.scheme === 'https', admin: http.admin, udp: config.sip.udp, tcp: config.sip.tcp, node: process.version }, 'gateway listening');
  registrations.start();

  let closing: Promise<void> | undefined;
  return {
    sipPort,
    tlsPort: bound.tlsPort,
    reloadTls: async () => stack.reloadTls(),
    httpPort,
    httpScheme: http.scheme,
    admin: http.admin,
    reloadCertificates: async () => {
      const httpOk = await http.reloadCertificate();
      if (config.agents.tls.caFile === undefined && config.agents.tls.certFile === undefined) return httpOk;
      try {
        media.setAgentTls(loadAgentTls(config.agents.tls, certBaseDir));
        logger.info({ caFile: config.agents.tls.caFile ?? null, certFile: config.agents.tls.certFile ?? null }, 'agents.tls reloaded');
        return httpOk;
      } catch (err) {
        logger.error({ err: { message: err instanceof Error ? err.message : String(err) } }, 'agents.tls reload failed: the running files stay');
        return false;
      }
    },
    activeCalls: () => calls.activeCalls,
    registrations,
    calls: calls.control,
    events: calls.events,
    records,
    numbers: numbers.service,
    store,
    stats: () => statsNow(),
    drain: (options) => drainer.drain(options),
    drainState: () => drainer.state(),
    close: () => {
      closing ??= (async () => {
        drainer.stopNow(); // a drain under way ends here (its calls are hung up just below, as without one)
        calls.hangupAll('shutdown');
        listening = false;
        numbers.close();
        await media.shutdown();
        stopNumberMetrics();
        records.close(); // after the media's last reports (call.ended webhooks come from them)
        await webhooks?.close();
        telemetry.close();
        metrics.setHopSource(undefined);
        metrics.setSnapshotSource(undefined);
        await http.close();
        await registrations.stop(); // un-REGISTER while the stack can still send
        await stack.close();
        edge.close();
        await closeStore(); // last: what the shutdown wrote (records of the calls just hung up) is flushed or spilled
      })();
      return closing;
    },
  };
}

/** `media.workers` as a count: `auto` is one per core beyond the first (the main thread keeps SIP). */
export function mediaWorkers(config: Config): number {
  const w = config.media.workers;
  return w === 'auto' ? Math.max(0, availableParallelism() - 1) : w;
}

async function createMediaPlane(
  config: Config,
  workers: number,
  events: MediaPlaneEvents,
  logger: Logger,
  silero: SileroModel | undefined,
  adapters: AdapterAgents,
  env: Readonly<Record<string, string | undefined>>,
  trace: boolean,
  agentTls: AgentTlsMaterial | undefined,
): Promise<MediaPlane & RuntimeAdapters & RuntimeAgentTls> {
  const planeConfig: MediaPlaneConfig = {
    media: config.media,
    agents: config.agents,
    sip: { host: config.sip.host },
    agentTls,
  };
  const ports = { min: config.media.portMin, max: config.media.portMax };
  if (workers === 0) return new LocalMediaPlane({ config: planeConfig, ports, logger, events, silero, adapters, trace, env });
  const plane = new WorkerMediaPlane({ workers, config: planeConfig, numbers: config.numbers, env, ports, logger, events, silero: usesSilero(config), trace });
  await plane.ready();
  logger.info({ workers }, 'media workers ready');
  return plane;
}

function usesSilero(config: Config): boolean {
  return config.media.speech.confirm === 'silero' || Object.values(config.numbers).some((n) => n.speech?.confirm === 'silero');
}
