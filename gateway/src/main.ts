/**
 * `npm start`: load the configuration once, start tracing (only when the standard OTEL_* variables ask for it),
 * start the gateway, and stop cleanly on SIGINT/SIGTERM: the gateway drains (docs/drain.md; a second signal stops it
 * at once) and closes, then the last spans are flushed.
 * An error nothing else caught is logged and counted and the gateway keeps serving; more than 10 within 10 s
 * and it stops with exit code 70 (process-guard.ts). A Node older than the supported range stops it first
 * (require-node.ts, imported before anything else).
 */
import './require-node.js';
import { dirname } from 'node:path';
import { ObservabilityError, startTelemetry, type Telemetry } from '@patchbay/observability';
import { ConfigError, loadConfigWithSource, type Config, type ConfigSource } from './config.js';
import { startGateway } from './gateway.js';
import { createLogger, type Logger } from './logger.js';
import { ProcessGuard } from './process-guard.js';
import { describeSource, invocationDir, listenFailure, routesSummary, startBanner } from './startup/index.js';
import { reloadConfig } from './startup/config-reload.js';
import { describeDatabase } from './store/index.js';
import { VERSION } from './version.js';

/** Export failures are logged at most this often (a dead collector fails every batch). */
const EXPORT_ERROR_LOG_INTERVAL_MS = 30_000;
/** At shutdown the last spans get this long to leave: a dead collector must not hold the process. */
const FLUSH_TIMEOUT_MS = 5_000;
/** When uncaught errors repeat past the guard's bound, hanging up the calls gets this long before the exit. */
const FATAL_CLOSE_TIMEOUT_MS = 2_000;

async function main(): Promise<void> {
  let config: Config;
  let source: ConfigSource;
  try {
    // Where the user ran the command: `npm start` runs this process in gateway/, npm's INIT_CWD says where npm began.
    ({ config, source } = loadConfigWithSource({ cwd: invocationDir(process.env, process.cwd()), env: process.env }));
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`patchbay: invalid configuration\n${err.issues.map((i) => `  - ${i}`).join('\n')}\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger({ level: config.log.level });
  logger.info({ file: source.kind === 'file' ? source.path : null }, `configuration: ${describeSource(source)}`);
  logger.info({ routes: Object.keys(config.numbers).length }, routesSummary(config));
  let running: { close(): Promise<void> } | undefined;
  const guard = new ProcessGuard({
    logger,
    // Past the bound: BYE what can still be hung up (bounded: the process is not to be trusted), then exit.
    onFatal: (code) => {
      setTimeout(() => process.exit(code), FATAL_CLOSE_TIMEOUT_MS).unref();
      void (running?.close() ?? Promise.resolve()).finally(() => process.exit(code));
    },
  });
  guard.install();
  const telemetry = startTracing(logger);
  let gateway;
  // A relative database.dataDir is read from the configuration file's folder.
  const dataBaseDir = source.kind === 'file' ? dirname(source.path) : source.dir;
  try {
    gateway = await startGateway(config, { logger, env: process.env, tracer: telemetry.tracer, traceTurns: telemetry.enabled, processErrors: () => guard.stats, dataBaseDir });
  } catch (err) {
    await telemetry.shutdown();
    // A port taken or forbidden: one line naming it and the setting that changes it, no stack trace.
    const refused = listenFailure(err, config);
    if (refused !== undefined) {
      process.stderr.write(`patchbay: ${refused.message}\n`);
      process.exit(1);
    }
    if (!(err instanceof ConfigError)) throw err;
    // An adapter refused its options or found a secret missing: the same report as any other configuration error.
    process.stderr.write(`patchbay: invalid configuration\n${err.issues.map((i) => `  - ${i}`).join('\n')}\n`);
    process.exit(2);
  }
  running = gateway;
  // With `database.enabled: false` there is no store, and the banner says nothing of records.
  const records = gateway.store === undefined ? undefined : { engine: gateway.store.dialect, where: describeDatabase(config.database, dataBaseDir) };
  process.stdout.write(startBanner({ config, source, sipPort: gateway.sipPort, ...(gateway.tlsPort === undefined ? {} : { tlsPort: gateway.tlsPort }), httpPort: gateway.httpPort, httpScheme: gateway.httpScheme, admin: gateway.admin ?? null, runtime: `${VERSION} on Node ${process.version}`, ...(records === undefined ? {} : { records }) }));
  // SIGTERM/SIGINT: drain (docs/drain.md: new calls refused, live calls go on up to drain.timeoutS), then close; a
  // second signal during the drain closes at once (every call hung up).
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) {
      logger.warn({ signal, drain: gateway.drainState() }, 'second signal: hanging up every call and closing now');
      gateway.close().catch(() => undefined); // the drain's chain below reports a failed close and exits
      return;
    }
    stopping = true;
    logger.info({ signal }, 'shutting down: draining');
    gateway
      .drain()
      .then(() => gateway.close())
      .then(() => flushTraces(telemetry))
      .then(
        () => process.exit(0),
        (err: unknown) => {
          logger.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
  };
  // SIGHUP: patchbay.yaml again (startup/config-reload.ts); one reload at a time.
  let runningConfig = config;
  let reloading: Promise<unknown> = Promise.resolve();
  const load = (): Config => loadConfigWithSource({ cwd: invocationDir(process.env, process.cwd()), env: process.env }).config;
  const target = { reloadNumbers: (n: Config['numbers']) => gateway.numbers.reloadConfig(n), setLogLevel: (level: Config['log']['level']) => void (logger.level = level), reloadCertificates: () => gateway.reloadCertificates(), reloadTls: () => gateway.reloadTls() };
  process.on('SIGHUP', () => {
    logger.info({ signal: 'SIGHUP' }, 'reloading the configuration');
    reloading = reloading
      .then(() => reloadConfig({ load, running: runningConfig, target, logger }))
      .then((r) => void (runningConfig = r.config))
      .catch((err: unknown) => logger.error({ err }, 'configuration reload failed'));
  });
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

/** Tracing as OTEL_* asks (off without them); an invalid OTEL_* value is a configuration error. */
function startTracing(logger: Logger): Telemetry {
  let lastLoggedMs = -Infinity;
  let telemetry: Telemetry;
  try {
    telemetry = startTelemetry({
      serviceName: 'patchbay-gateway',
      serviceVersion: VERSION,
      env: process.env,
      onError: (err) => {
        const now = performance.now();
        if (now - lastLoggedMs < EXPORT_ERROR_LOG_INTERVAL_MS) return;
        lastLoggedMs = now;
        logger.warn({ err: { message: err.message, name: err.name } }, 'telemetry export failed (spans dropped; the gateway keeps serving)');
      },
    });
  } catch (err) {
    if (!(err instanceof ObservabilityError) || err.code !== 'OBS_TELEMETRY_CONFIG') throw err;
    process.stderr.write(`patchbay: invalid configuration\n${err.issues.map((i) => `  - ${i}`).join('\n')}\n`);
    process.exit(2);
  }
  if (telemetry.enabled) logger.info({ tracing: telemetry.description, warnings: telemetry.warnings }, 'tracing on');
  return telemetry;
}

/** Flushes and stops tracing, giving up after FLUSH_TIMEOUT_MS. */
async function flushTraces(telemetry: Telemetry): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, FLUSH_TIMEOUT_MS)));
  await Promise.race([telemetry.shutdown().catch(() => undefined), timeout]);
  clearTimeout(timer);
}

main().catch((err: unknown) => {
  process.stderr.write(`patchbay: failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
