/**
 * The gateway as its own process (`src/main.ts`, as `npm start` runs it) with a YAML configuration, for tests that
 * must see whether it survives: a crash is the process exiting, not an error inside the test runner. Loopback only;
 * logs are kept (the last 64 KiB) for the failure message.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { freePort } from './sipp.js';
import { waitFor } from './wait-for.js';

const GATEWAY_DIR = fileURLToPath(new URL('../../', import.meta.url));

export interface GatewayProcess {
  readonly sipPort: number;
  readonly httpPort: number;
  /** The process id (its CPU time is in /proc/<pid>/stat). */
  readonly pid: number | undefined;
  /** The admin listener (`/metrics`, `/stats`). */
  readonly adminPort: number;
  /** The exit code (or signal name) once the process has exited; undefined while it runs. */
  readonly exit: number | string | undefined;
  /** Its stdout and stderr so far (the last 64 KiB). */
  readonly output: string;
  /** The YAML file it was started with (rewrite it and send SIGHUP to reload). */
  readonly configFile: string;
  /** Sends `signal` to the process. */
  signal(signal: NodeJS.Signals): void;
  /** `GET /stats`, parsed. */
  stats(): Promise<GatewayStatsView>;
  /** SIGTERM, then SIGKILL after 5 s; resolves once it has exited. Idempotent. */
  close(): Promise<void>;
}

/** The fields of `GET /stats` these tests read. */
export interface GatewayStatsView {
  activeCalls: number;
  callsEnded: number;
  endReasons: Record<string, number>;
  rejected: Record<string, number>;
  media: { portsInUse: number; activeCalls: number };
  process?: { uncaughtExceptions: number; unhandledRejections: number };
}

/**
 * How to run it: from source through tsx (the default, `npm run dev`), or the compiled build as `npm start` and the
 * Docker image run it (`scripts/build.mjs` must have run), with `nodeArgs` before the entry.
 */
export type GatewayEntry = { readonly kind: 'source' } | { readonly kind: 'build'; readonly nodeArgs?: readonly string[] };

/** The compiled gateway's command line, as the root package.json's `start` script runs it (from the repository root). */
export const BUILD_ARGS = ['--conditions=patchbay-dist', '--enable-source-maps', 'gateway/dist/main.js'] as const;

/**
 * Starts `src/main.ts` (or the build, per `entry`) with `config` (its `sip.port` and `http.port` are chosen here) and
 * resolves once `/healthz` answers. Rejects with the process's output if it exits or is not up within `startTimeoutMs`.
 */
export async function startGatewayProcess(
  config: Record<string, unknown>,
  startTimeoutMs = 60_000,
  entry: GatewayEntry = { kind: 'source' },
): Promise<GatewayProcess> {
  const sipPort = await freePort('udp');
  const httpPort = await freePort('tcp');
  const adminPort = await freePort('tcp');
  const dir = await mkdtemp(join(tmpdir(), 'patchbay-gw-'));
  const file = join(dir, 'patchbay.yaml');
  const sip = { host: '127.0.0.1', udp: true, tcp: false, publicAddress: '127.0.0.1', ...(config['sip'] as object | undefined), port: sipPort };
  await writeFile(file, stringify({ ...config, sip, http: { host: '127.0.0.1', port: httpPort, admin: { host: '127.0.0.1', port: adminPort } } }));
  const [args, cwd] =
    entry.kind === 'source' ? [['--import', 'tsx', 'src/main.ts'], GATEWAY_DIR] : [[...(entry.nodeArgs ?? []), ...BUILD_ARGS], join(GATEWAY_DIR, '..')];
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd,
    env: { PATH: process.env['PATH'] ?? '', PATCHBAY_CONFIG: file },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const append = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-65_536);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  let exit: number | string | undefined;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exit = code ?? signal ?? 'unknown';
      resolve();
    }),
  );
  const base = `http://127.0.0.1:${httpPort}`;
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      if (exit === undefined) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
      await rm(dir, { recursive: true, force: true });
    })());
  try {
    await waitFor(
      async () => {
        if (exit !== undefined) throw new Error(`the gateway exited (${exit}) while starting:\n${output}`);
        return fetch(`${base}/healthz`, { signal: AbortSignal.timeout(1_000) }).then((r) => r.status === 200, () => false);
      },
      startTimeoutMs,
      () => output,
    );
  } catch (err) {
    await close();
    throw err;
  }
  return {
    sipPort,
    httpPort,
    pid: child.pid,
    adminPort,
    get exit() {
      return exit;
    },
    get output() {
      return output;
    },
    configFile: file,
    signal: (signal) => void child.kill(signal),
    async stats() {
      const response = await fetch(`http://127.0.0.1:${adminPort}/stats`, { signal: AbortSignal.timeout(3_000) });
      return (await response.json()) as GatewayStatsView;
    },
    close,
  };
}
