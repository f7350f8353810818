/**
 * Start a real gateway for a test: loopback only, OS-chosen SIP and HTTP ports, silent logs, and a media port
 * range of its own so gateways started by tests running in parallel never compete for RTP ports.
 *
 * `PATCHBAY_TEST_LOG=debug` (or any pino level) shows the gateway's logs while debugging a failing test.
 */
import type { Tracer } from '@opentelemetry/api';
import { createGatewayMetrics, type GatewayMetrics } from '@patchbay/observability';
import { pino, type Logger } from 'pino';
import { parseConfig, type Config } from '../../src/config.js';
import { startGateway, type RunningGateway } from '../../src/gateway.js';
import type { Store } from '../../src/store/types.js';
import { waitFor } from './wait-for.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openMemoryStore } from '../../src/store/testing.js';

export type { RunningGateway };
/** Re-exported: tests that start a gateway poll with it too. */
export { waitFor };

export interface TestGateway {
  readonly gateway: RunningGateway;
  readonly config: Config;
  readonly host: string;
  readonly sipPort: number;
  readonly httpPort: number;
  /** The admin listener's port (`/metrics`, `/stats` without a key); undefined with `http.admin: api`. */
  readonly adminPort: number | undefined;
  /** `GET /healthz`: status code and parsed JSON body (undefined if not JSON). */
  healthz(): Promise<{ status: number; body: unknown }>;
  /** `GET /metrics`: the Prometheus text (from the admin listener; with `http.admin: api`, the main one). */
  metrics(): Promise<string>;
  /** Resolves once `activeCalls()` is 0; rejects after `timeoutMs` with the count it saw last. */
  waitForIdle(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** Media ports 20000–29999 cut into slices of 500; a slice per gateway, chosen by vitest worker and a counter. */
const MEDIA_BASE = 20_000;
const MEDIA_SLICE = 500;
const MEDIA_SLICES = 20;
let started = 0;

function mediaRange(): { portMin: number; portMax: number } {
  const worker = Number(process.env['VITEST_POOL_ID'] ?? '1');
  const slice = ((Number.isFinite(worker) ? worker : 1) * 5 + started++) % MEDIA_SLICES;
  const portMin = MEDIA_BASE + slice * MEDIA_SLICE;
  return { portMin, portMax: portMin + MEDIA_SLICE - 1 };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Shallow-per-section merge: `overrides.sip` replaces keys of the default `sip` section, and so on. */
function withDefaults(overrides: Record<string, unknown>): Record<string, unknown> {
  const defaults: Record<string, unknown> = {
    sip: { host: '127.0.0.1', port: 0, udp: true, tcp: true, publicAddress: '127.0.0.1' },
    http: { host: '127.0.0.1', port: 0, admin: { host: '127.0.0.1', port: 0 } },
    media: mediaRange(),
    log: { level: 'silent' },
  };
  const out: Record<string, unknown> = { ...defaults };
  for (const [key, value] of Object.entries(overrides)) {
    const base = out[key];
    out[key] = isRecord(base) && isRecord(value) ? { ...base, ...value } : value;
  }
  return out;
}

export interface TestGatewayOptions {
  /** What adapters and `...Env` config secrets read from (never this process's environment unless a test passes it). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Calls' spans go here, and the media times every turn. */
  tracer?: Tracer;
  /**
   * The registry `/metrics` serves. Default: one without Node's default metrics, whose event-loop monitor (a 100 Hz
   * timer per registry, never stopped) would add up over the many gateways a test process starts.
   */
  metrics?: GatewayMetrics;
  /** The database (records, webhooks, runtime numbers), e.g. openMemoryStore(); the test opens and closes it. */
  store?: Store;
  /** The gateway's logger (default: pino at PATCHBAY_TEST_LOG, silent). */
  logger?: Logger;
  /** Where relative certificate paths are read from (default the working directory). */
  dataBaseDir?: string;
  /** How often `http.tls`'s files are checked for change, ms. */
  certWatchIntervalMs?: number;
}

/** Validate `overrides` (merged over loopback test defaults) with the real config parser and start a gateway. */
export async function startTestGateway(overrides: Record<string, unknown> = {}, options: TestGatewayOptions = {}): Promise<TestGateway> {
  // The store: an in-memory SQLite one unless the test configures `database:` (then the real store, on a temp
  // data folder unless the test names one; the folder is removed at close).
  const real = isRecord(overrides['database']);
  const tempDir = real && !('dataDir' in (overrides['database'] as Record<string, unknown>)) ? mkdtempSync(join(tmpdir(), 'patchbay-gw-')) : undefined;
  const withData = tempDir === undefined ? overrides : { ...overrides, database: { ...(overrides['database'] as Record<string, unknown>), dataDir: tempDir } };
  const config = parseConfig(withDefaults(withData), options.env ?? {});
  const level = process.env['PATCHBAY_TEST_LOG'] ?? 'silent';
  const logger = options.logger ?? pino({ level });
  // A store the test passes is its own (it closes it); else an in-memory one we close.
  const memory = real || options.store !== undefined ? undefined : await openMemoryStore();
  const cleanup = async (): Promise<void> => {
    await memory?.close();
    if (tempDir !== undefined) rmSync(tempDir, { recursive: true, force: true });
  };
  let gateway: RunningGateway;
  try {
    gateway = await startGateway(config, {
      logger,
      env: options.env ?? {},
      metrics: options.metrics ?? createGatewayMetrics({ defaultMetrics: false }),
      ...(options.tracer ? { tracer: options.tracer } : {}),
      ...(options.dataBaseDir === undefined ? {} : { dataBaseDir: options.dataBaseDir }),
      ...(options.certWatchIntervalMs === undefined ? {} : { certWatchIntervalMs: options.certWatchIntervalMs }),
      ...(options.store ? { store: options.store } : memory ? { store: memory } : {}),
    });
  } catch (err) {
    await cleanup();
    throw err;
  }
  const host = config.sip.host;
  return {
    gateway,
    config,
    host,
    sipPort: gateway.sipPort,
    httpPort: gateway.httpPort,
    adminPort: gateway.admin?.port,
    async healthz() {
      const response = await fetch(`http://${config.http.host}:${gateway.httpPort}/healthz`, {
        signal: AbortSignal.timeout(5_000),
      });
      const text = await response.text();
      let body: unknown;
      try {
        body = JSON.parse(text) as unknown;
      } catch {
        body = undefined;
      }
      return { status: response.status, body };
    },
    async metrics() {
      const where = gateway.admin === undefined ? `${config.http.host}:${gateway.httpPort}` : `${gateway.admin.host}:${gateway.admin.port}`;
      const response = await fetch(`http://${where}/metrics`, { signal: AbortSignal.timeout(5_000) });
      if (response.status !== 200) throw new Error(`GET /metrics answered ${response.status}`);
      return response.text();
    },
    waitForIdle(timeoutMs = 5_000) {
      return waitFor(() => gateway.activeCalls() === 0, timeoutMs, () => `activeCalls() = ${gateway.activeCalls()}`);
    },
    close: async () => {
      await gateway.close();
      await cleanup();
    },
  };
}

/** The gateway's store, for tests that configured one (`database.enabled: false` has none: then it throws). */
export function storeOf(gateway: RunningGateway): Store {
  if (gateway.store === undefined) throw new Error('this gateway runs without a store (database.enabled: false)');
  return gateway.store;
}
