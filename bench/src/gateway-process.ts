/**
 * The gateway under test as a separate process: a generated config (loopback, free ports, warn logs) passed by
 * `PATCHBAY_CONFIG`, started with tsx, ready once `GET /healthz` answers 200.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CodecName } from './load/codec-profile.js';
import type { Distribution } from './report/types.js';
import { startTsx, waitForHttp, type Child } from './proc/child.js';
import { freeTcpPort, freeUdpPort, mediaPortRange } from './proc/ports.js';
import { parseDistribution } from './stats.js';

export const ECHO_NUMBER = '+15550000001';
export const TURN_NUMBER = '+15550000002';
export const BARGE_IN_NUMBER = '+15550000003';

/** What the bench reads from `GET /stats`: the hop distributions, and the per-number barge-in summary if any. */
export interface GatewayStats {
  readonly hops: Record<string, Distribution>;
  readonly bargeIn: Readonly<Record<string, unknown>> | undefined;
  /** The store's write queue (`applied`, `queued`, `dropped`, ...), absent without a store. */
  readonly store: Readonly<Record<string, unknown>> | undefined;
  /** The media plane's figures (`activeCalls`, `srtpFailures`, ...). */
  readonly media?: Readonly<Record<string, unknown>> | undefined;
}

export interface GatewayProcess {
  readonly child: Child;
  readonly sipPort: number;
  readonly httpPort: number;
  /**
   * `GET /stats` (`?reset=1` with `reset`: the gateway answers, then starts a new window for its hop histograms), or
   * undefined when the endpoint is missing or malformed.
   */
  stats(options?: { readonly reset?: boolean }): Promise<GatewayStats | undefined>;
}

export interface GatewayLaunch {
  readonly repoRoot: string;
  readonly workDir: string;
  /** `in-process`: the built-in echo; else the echo agent's ws:// URL. */
  readonly echoAgent: string;
  readonly turnAgentUrl: string;
  readonly talkerAgentUrl: string;
  readonly maxCalls: number;
  /** The gateway's `media.workers`. */
  readonly workers: number | 'auto';
  /** The one codec the gateway offers (`media.codecs`): the run's `--codec`. */
  readonly codec: CodecName;
  /** The Node binary to run the gateway on (default the bench's own); an unsupported one is allowed (--runtimes). */
  readonly node?: string;
  /**
   * Records and webhooks (`--records`): `on`, the store (SQLite in `dataDir`) and one webhook endpoint (`url`, every
   * call event type) with 180 Ringing sent so `call.ringing` goes out too; `off`, `database.enabled: false` and the
   * same 180. Absent: the gateway's defaults (the store in the work folder, no webhooks).
   */
  readonly records?: RecordsLaunch;
  /** Outbound calls: a trunk whose proxy is the load generator's carrier side (`SipUas`), with room for the run. */
  readonly outbound?: { readonly carrierPort: number; readonly calls: number; readonly rate: number };
  /** The echo number's barge-in (`--barge-in`): `default` (absent too) or `off`; see `echoRoute`. */
  readonly echoBargeIn?: EchoBargeIn;
  /** `--pin`: the CPU the gateway runs on (taskset). */
  readonly cpu?: number;
}

/** `default`: the echo number as a real number is configured (no `bargeIn`: the detector runs on every frame); `off`: `bargeIn: off`. */
export type EchoBargeIn = 'default' | 'off';

/**
 * The echo number's route. `default` leaves `bargeIn` out, so `media.bargeIn` (`gateway`) applies as on every real
 * number, except for the built-in `echo` agent (`--agent in-process`), which the gateway defaults to `off`: there the
 * bench writes `gateway`, what the number of a real agent gets. `off`: `bargeIn: off`, no speech detector at all.
 */
export function echoRoute(agent: string, mode: EchoBargeIn = 'default'): { agent: string; bargeIn?: 'off' | 'gateway' } {
  if (mode === 'off') return { agent, bargeIn: 'off' };
  return agent === 'echo' ? { agent, bargeIn: 'gateway' } : { agent };
}

export type RecordsLaunch =
  | { readonly mode: 'on'; readonly dataDir: string; readonly webhookUrl: string }
  | { readonly mode: 'off' };

/** The webhook events the `on` endpoint subscribes to: every call event type the gateway sends. */
export const BENCH_WEBHOOK_EVENTS = ['call.ringing', 'call.answered', 'call.ended', 'call.transferred'] as const;
const WEBHOOK_SECRET_ENV = 'PATCHBAY_BENCH_WEBHOOK_SECRET';
/** A fixed Standard Webhooks secret (the sink does not verify; the gateway still signs every POST). */
const WEBHOOK_SECRET = `whsec_${Buffer.alloc(32, 0x5a).toString('base64')}`;
/** The environment the gateway gets the webhook secret from. */
export const BENCH_WEBHOOK_ENV: Readonly<Record<string, string>> = { [WEBHOOK_SECRET_ENV]: WEBHOOK_SECRET };

function recordsConfig(r: RecordsLaunch): Record<string, unknown> {
  if (r.mode === 'off') return { database: { enabled: false } };
  return {
    database: { dataDir: r.dataDir },
    webhooks: { endpoints: [{ name: 'bench-sink', url: r.webhookUrl, secretEnv: WEBHOOK_SECRET_ENV, events: [...BENCH_WEBHOOK_EVENTS] }] },
  };
}

/** The bench's trunk (outbound runs), and the prefix every number it dials starts with (inside its allow list). */
export const BENCH_TRUNK = 'bench-carrier';
export const OUTBOUND_PREFIX = '+1555200';
/** With a trunk: a number forwarded (docs/forwarding.md) to `FORWARD_TARGET` at the carrier, which bridges each call. */
export const FORWARD_NUMBER = '+15550109000';
export const FORWARD_TARGET = `${OUTBOUND_PREFIX}9000`;

export function gatewayConfig(launch: GatewayLaunch, sipPort: number, httpPort: number, media: { portMin: number; portMax: number }): unknown {
  return {
    sip: {
      host: '127.0.0.1', port: sipPort, udp: true, tcp: false, publicAddress: '127.0.0.1', maxConcurrentCalls: launch.maxCalls + 50,
      ...(launch.records === undefined ? {} : { ringing: true }),
    },
    // No admin listener (its default port would clash between runs): /stats on the main listener, which answers
    // loopback clients when no api.keys are set (the bench sets none).
    http: { host: '127.0.0.1', port: httpPort, admin: 'api' },
    media: { ...media, codecs: [launch.codec], workers: launch.workers },
    numbers: numbersOf(launch),
    agents: { onFailure: 'reject' },
    log: { level: 'warn' },
    ...(launch.outbound === undefined ? {} : outboundConfig(launch.outbound, launch.maxCalls)),
    ...(launch.outbound === undefined ? {} : { numbers: { ...numbersOf(launch), [FORWARD_NUMBER]: { agent: 'echo', forward: { to: [FORWARD_TARGET], trunk: BENCH_TRUNK, ringTimeoutS: 10, fallback: 'reject' } } } }),
    ...(launch.records === undefined ? {} : recordsConfig(launch.records)),
  };
}

function numbersOf(launch: GatewayLaunch): Record<string, unknown> {
  return {
    // The echo callers talk with pauses; their markers sit in the pauses, clear of the barge-ins (signals.ts).
    [ECHO_NUMBER]: echoRoute(launch.echoAgent, launch.echoBargeIn),
    // The media default (`bargeIn: gateway`) applies to the turn number: its answers never overlap the caller.
    [TURN_NUMBER]: { agent: launch.turnAgentUrl },
    [BARGE_IN_NUMBER]: { agent: launch.talkerAgentUrl, bargeIn: 'gateway' },
  };
}

/**
 * The outbound side of the config: one trunk (the load generator as a carrier, both ways: inbound calls from
 * 127.0.0.1 match it too, so a `both` run gives both directions the same config) whose limits are raised to the run's
 * needs, and an API rate limit that does not count against the bench (no key: the API answers loopback clients).
 */
function outboundConfig(o: NonNullable<GatewayLaunch['outbound']>, maxCalls: number): Record<string, unknown> {
  return {
    trunks: [{
      name: BENCH_TRUNK,
      allow: ['127.0.0.1'],
      outbound: {
        proxy: { host: '127.0.0.1', port: o.carrierPort, transport: 'udp' },
        allow: ['+1555'],
        maxConcurrentCalls: maxCalls + 50,
        callsPerSecond: Math.min(1000, Math.max(10, Math.ceil(o.rate * 2))),
      },
    }],
    api: { rateLimit: { callsPerMinute: Math.min(100_000, Math.max(600, o.calls * 4, Math.ceil(o.rate * 120))) } },
  };
}

export async function startGateway(launch: GatewayLaunch): Promise<GatewayProcess> {
  const sipPort = await freeUdpPort();
  const httpPort = await freeTcpPort();
  const media = mediaPortRange(Math.max(200, 4 * launch.maxCalls + 200));
  const configPath = join(launch.workDir, 'patchbay.yaml');
  // JSON is YAML: no serializer needed.
  writeFileSync(configPath, `${JSON.stringify(gatewayConfig(launch, sipPort, httpPort, media), null, 2)}\n`);
  const { child } = await startTsx(
    join(launch.repoRoot, 'gateway/src/main.ts'),
    [],
    {
      PATCHBAY_CONFIG: configPath,
      ...BENCH_WEBHOOK_ENV,
      // Node flags for the gateway alone, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile a run.
      ...(process.env['PATCHBAY_BENCH_GATEWAY_NODE_OPTIONS'] === undefined ? {} : { NODE_OPTIONS: process.env['PATCHBAY_BENCH_GATEWAY_NODE_OPTIONS'] }),
      ...(launch.node === undefined ? {} : { PATCHBAY_UNSUPPORTED_NODE: '1' }),
    },
    30_000,
    launch.node,
    launch.cpu,
  );
  try {
    await waitForHttp(`http://127.0.0.1:${httpPort}/healthz`);
  } catch (err) {
    await child.stop(1_000);
    throw new Error(`gateway did not become healthy: ${err instanceof Error ? err.message : String(err)}\n${child.stderrTail()}`);
  }
  const url = `http://127.0.0.1:${httpPort}/stats`;
  return { child, sipPort, httpPort, stats: (options) => fetchStats(options?.reset === true ? `${url}?reset=1` : url) };
}

/** `GET <url>` → `{ hops: { name: Distribution } }`; undefined on 404, a network error or another shape. */
export async function fetchHops(url: string): Promise<Record<string, Distribution> | undefined> {
  return (await fetchStats(url))?.hops;
}

/** `GET <url>` → the hops (and `bargeIn` when present); undefined on 404, a network error or another shape. */
export async function fetchStats(url: string): Promise<GatewayStats | undefined> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(3_000) });
    if (!response.ok) {
      await response.arrayBuffer();
      return undefined;
    }
    const body: unknown = await response.json();
    if (typeof body !== 'object' || body === null) return undefined;
    const hops = (body as Record<string, unknown>)['hops'];
    if (typeof hops !== 'object' || hops === null) return undefined;
    const out: Record<string, Distribution> = {};
    for (const [name, value] of Object.entries(hops as Record<string, unknown>)) {
      const d = parseDistribution(value);
      if (d !== undefined) out[name] = d;
    }
    const bargeIn = (body as Record<string, unknown>)['bargeIn'];
    const store = (body as Record<string, unknown>)['store'];
    const media = (body as Record<string, unknown>)['media'];
    return {
      media: typeof media === 'object' && media !== null ? (media as Record<string, unknown>) : undefined,
      hops: out,
      bargeIn: typeof bargeIn === 'object' && bargeIn !== null ? (bargeIn as Record<string, unknown>) : undefined,
      store: typeof store === 'object' && store !== null ? (store as Record<string, unknown>) : undefined,
    };
  } catch {
    return undefined;
  }
}
