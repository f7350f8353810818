/**
 * `npm run adapters -- --config adapters.yaml`: load the configuration once, build every agent, serve them, and stop
 * cleanly on SIGINT/SIGTERM (calls closed with 1001, exit 0). A bad configuration exits 2 listing every problem.
 * Everything the process provides (arguments, environment, streams, exit, signals) comes in through `CliIo`, so the
 * whole start-up and shutdown path is tested in-process; `main.ts` only wires it to `process`.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Env } from '@patchbay/adapter-kit';
import { pino, type DestinationStream, type Logger } from 'pino';
import { startAdapterServer, type AdapterServer } from './adapter-server.js';
import { loadAdapterServerConfig, type AdapterServerConfig } from './config.js';
import { AdapterServerConfigError } from './errors.js';
import type { AdapterLoader } from './registry.js';

export const CONFIG_ENV = 'PATCHBAY_ADAPTERS_CONFIG';
export const DEFAULT_CONFIG_FILE = 'adapters.yaml';
export const EXIT_CONFIG = 2;

const USAGE = `usage: npm run adapters -- --config <adapters.yaml>   (or ${CONFIG_ENV}=<file>)\n`;

export interface CliIo {
  readonly env: Env;
  /** Where a relative `--config` is resolved from. */
  readonly cwd: string;
  readonly stdout: DestinationStream;
  readonly stderr: { write(text: string): unknown };
  exit(code: number): void;
  onSignal(signal: 'SIGINT' | 'SIGTERM', handler: () => void): void;
  /** Finds an adapter by name; default: the registry. */
  readonly load?: AdapterLoader;
}

/** Starts the server, or reports why not and exits; resolves with the running server (for tests). */
export async function runCli(argv: readonly string[], io: CliIo): Promise<AdapterServer | undefined> {
  const fail = (text: string): undefined => {
    io.stderr.write(text);
    io.exit(EXIT_CONFIG);
    return undefined;
  };
  let file: string | undefined;
  try {
    const { values } = parseArgs({ args: [...argv], options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } } });
    if (values.help === true) {
      io.stderr.write(USAGE);
      io.exit(0);
      return undefined;
    }
    file = configFile(values.config, io);
  } catch (err) {
    return fail(`patchbay-adapters: ${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
  }
  if (file === undefined) return fail(`patchbay-adapters: no configuration: pass --config <file> or set ${CONFIG_ENV}\n${USAGE}`);

  let config: AdapterServerConfig;
  try {
    config = loadAdapterServerConfig(file, io.env);
  } catch (err) {
    if (err instanceof AdapterServerConfigError) return fail(report(err));
    throw err;
  }
  const logger = createLogger(config.log.level, io.stdout);
  let server: AdapterServer;
  try {
    server = await startAdapterServer(config, { env: io.env, logger, ...(io.load ? { load: io.load } : {}) });
  } catch (err) {
    // An adapter refused its options or found a secret missing: the same report as any other configuration error.
    if (err instanceof AdapterServerConfigError) return fail(report(err));
    throw err;
  }
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    server.close().then(
      () => io.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        io.exit(1);
      },
    );
  };
  io.onSignal('SIGINT', () => stop('SIGINT'));
  io.onSignal('SIGTERM', () => stop('SIGTERM'));
  return server;
}

/** `--config`, else `PATCHBAY_ADAPTERS_CONFIG`, else `adapters.yaml` if it exists; relative to `io.cwd`. */
function configFile(flag: string | undefined, io: CliIo): string | undefined {
  const named = flag ?? (io.env[CONFIG_ENV] === '' ? undefined : io.env[CONFIG_ENV]);
  if (named !== undefined) return resolve(io.cwd, named);
  const fallback = resolve(io.cwd, DEFAULT_CONFIG_FILE);
  return existsSync(fallback) ? fallback : undefined;
}

function report(err: AdapterServerConfigError): string {
  return `patchbay-adapters: invalid configuration (${err.source})\n${err.issues.map((i) => `  - ${i}`).join('\n')}\n`;
}

/** JSON logs; phone numbers redacted. Adapters log transcripts and prompts at debug only. */
function createLogger(level: AdapterServerConfig['log']['level'], destination: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'patchbay-adapters' },
      redact: { paths: ['from', 'to', 'number', '*.from', '*.to', '*.number'], censor: '[redacted]' },
    },
    destination,
  );
}
