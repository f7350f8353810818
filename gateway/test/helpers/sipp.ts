/**
 * Run SIPp (Debian package `sip-tester`) as a black-box SIP peer and collect what it saw.
 *
 * Every run gets its own temporary directory for SIPp's trace files (error log, statistics CSV, message log,
 * final screen, per-call response times); their contents come back in `SippResult` and the directory is removed.
 * A run is bounded twice: SIPp's own `-timeout … -timeout_error` (a hung scenario exits non-zero), and a hard
 * SIGKILL a few seconds later in case SIPp itself wedges.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants as fsConstants } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { tmpdir } from 'node:os';
import { delimiter, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SIPP_INSTALL = 'apt-get install -y sip-tester';

/** Folder holding the scenario XML files. */
export const SCENARIO_DIR = fileURLToPath(new URL('../sipp/', import.meta.url));

/**
 * Throws `Error("<bin> not found: install it with: <installLine>")` unless `bin` is an executable on PATH.
 * `runSipp` calls it first, so every test that needs SIPp fails with the install line (a throwing `beforeAll`
 * would only mark the tests skipped).
 */
export function requireTool(bin: string, installLine: string): string {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, bin);
    try {
      accessSync(candidate, fsConstants.X_OK);
      return candidate;
    } catch {
      // not in this PATH entry; keep looking
    }
  }
  throw new Error(`${bin} not found: install it with: ${installLine}`);
}

/**
 * A port that was free on 127.0.0.1 a moment ago (bound to port 0, then released). There is a small window in
 * which another process may take it; the OS hands out ephemeral ports in rotation, so collisions are rare.
 */
export async function freePort(protocol: 'udp' | 'tcp'): Promise<number> {
  if (protocol === 'tcp') {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    if (address === null || typeof address === 'string') throw new Error('tcp socket has no port');
    return address.port;
  }
  const socket = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => resolve());
  });
  const port = socket.address().port;
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

export type SipTransport = 'udp' | 'tcp';

export interface SippRunOptions {
  /** Scenario file name inside `test/sipp/`, or an absolute path. */
  readonly scenario: string;
  /** The peer SIPp calls (ignored with `uas`). */
  readonly host: string;
  readonly port: number;
  /** Run as a UAS (carrier): no remote address; it waits for calls on `localPort`. */
  readonly uas?: boolean;
  /** SIPp's own address (`-i`, `-mi`): another loopback address makes another source; default 127.0.0.1. */
  readonly localIp?: string;
  /** SIPp's own SIP port (`-p`); default a free one. */
  readonly localPort?: number;
  readonly transport: SipTransport;
  /** User part of the Request-URI (`-s`), e.g. the dialled number. */
  readonly service?: string;
  /** Calls to place before exiting (`-m`); default 1. */
  readonly calls?: number;
  /** Calls per second (`-r`); default 10 (SIPp's own default). */
  readonly rate?: number;
  /** Maximum simultaneous calls (`-l`). */
  readonly limit?: number;
  /** Duration of a bare `<pause/>` in ms (`-d`); default 100. */
  readonly pauseMs?: number;
  /** Whole-run bound; SIPp exits non-zero when it is reached. Default 15000. */
  readonly timeoutMs?: number;
  /** Per-receive bound: an expected message that never comes fails the call. Default 8000. */
  readonly recvTimeoutMs?: number;
  /** Values for `[key]` placeholders (`-key name value`). */
  readonly keys?: Readonly<Record<string, string>>;
  /** Keep the full message log (costly under load). Default true. */
  readonly traceMessages?: boolean;
  readonly extraArgs?: readonly string[];
}

export interface SippResult {
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly args: readonly string[];
  readonly stdout: string;
  readonly stderr: string;
  /** `-trace_err`: unexpected messages, failed regexps, timeouts. */
  readonly errorLog: string;
  /** `-trace_msg`: every message sent and received (empty when `traceMessages` is false). */
  readonly messageLog: string;
  /** `-trace_screen`: the final statistics screen. */
  readonly screen: string;
  /** `-trace_logs`: output of `<log>` actions. */
  readonly actionLog: string;
  /** Last row of the `-trace_stat` CSV, keyed by column name, e.g. `SuccessfulCall(C)`. */
  readonly stats: Readonly<Record<string, string>>;
  readonly successfulCalls: number;
  readonly failedCalls: number;
  /** Per-call response times in ms for each `rtd` name (`-trace_rtt`), e.g. `setup`. */
  readonly responseTimesMs: Readonly<Record<string, number[]>>;
  readonly wallMs: number;
}

/** Exit codes documented by SIPp. */
export const SIPP_EXIT = {
  allCallsSucceeded: 0,
  someCallsFailed: 1,
  internalCommand: 97,
  noCallsProcessed: 99,
  fatal: 255,
  bindFailed: 254,
} as const;

/** Run one SIPp client scenario to completion. Never rejects because SIPp failed: inspect the result. */
export async function runSipp(options: SippRunOptions): Promise<SippResult> {
  const bin = requireTool('sipp', SIPP_INSTALL);
  const dir = await mkdtemp(join(tmpdir(), 'patchbay-sipp-'));
  try {
    const scenarioPath = isAbsolute(options.scenario) ? options.scenario : join(SCENARIO_DIR, options.scenario);
    const timeoutMs = options.timeoutMs ?? 15_000;
    const localPort = options.localPort ?? (await freePort(options.transport));
    const controlPort = await freePort('udp');
    const files = {
      errors: join(dir, 'errors.log'),
      stats: join(dir, 'stats.csv'),
      messages: join(dir, 'messages.log'),
      screen: join(dir, 'screen.log'),
      logs: join(dir, 'actions.log'),
      rtt: join(dir, 'rtt.csv'),
    };
    const args: string[] = [
      '-sf', scenarioPath,
      '-i', options.localIp ?? '127.0.0.1',
      '-mi', options.localIp ?? '127.0.0.1',
      '-p', String(localPort),
      '-cp', String(controlPort),
      '-t', options.transport === 'udp' ? 'u1' : 't1',
      '-s', options.service ?? 'patchbay',
      '-m', String(options.calls ?? 1),
      '-r', String(options.rate ?? 10),
      '-d', String(options.pauseMs ?? 100),
      '-timeout', `${Math.ceil(timeoutMs / 1000)}s`,
      '-timeout_error',
      '-recv_timeout', String(options.recvTimeoutMs ?? 8_000),
      '-nostdin',
      '-trace_err', '-error_file', files.errors,
      '-trace_stat', '-stf', files.stats, '-fd', '1',
      '-trace_screen', '-screen_file', files.screen,
      '-trace_logs', '-log_file', files.logs,
      '-trace_rtt', '-rtt_freq', '1', // written as <scenario>_<pid>_rtt.csv in the working directory
    ];
    if (options.limit !== undefined) args.push('-l', String(options.limit));
    if (options.traceMessages ?? true) args.push('-trace_msg', '-message_file', files.messages);
    for (const [name, value] of Object.entries(options.keys ?? {})) args.push('-key', name, value);
    args.push(...(options.extraArgs ?? []));
    if (options.uas !== true) args.push(`${options.host}:${options.port}`);

    const started = performance.now();
    const child = spawn(bin, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const killTimer = setTimeout(() => child.kill('SIGKILL'), timeoutMs + 5_000);
    const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(
      (resolve, reject) => {
        child.once('error', reject);
        child.once('close', (c, s) => resolve({ code: c, signal: s }));
      },
    ).finally(() => clearTimeout(killTimer));
    const wallMs = performance.now() - started;

    const statsCsv = await readOptional(files.stats);
    const stats = lastCsvRow(statsCsv);
    const rttFiles = await readRttFiles(dir);
    return {
      exitCode: code,
      signal,
      args,
      stdout: stripAnsi(stdout),
      stderr,
      errorLog: await readOptional(files.errors),
      messageLog: await readOptional(files.messages),
      screen: await readOptional(files.screen),
      actionLog: await readOptional(files.logs),
      stats,
      successfulCalls: Number(stats['SuccessfulCall(C)'] ?? Number.NaN),
      failedCalls: Number(stats['FailedCall(C)'] ?? Number.NaN),
      responseTimesMs: rttFiles,
      wallMs,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Resolves once something (a SIPp UAS just spawned) has bound UDP `port` on 127.0.0.1. */
export async function waitForUdpBound(port: number, timeoutMs = 5_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const socket = createSocket('udp4');
    const taken = await new Promise<boolean>((resolve) => {
      socket.once('error', () => resolve(true));
      socket.bind(port, '127.0.0.1', () => resolve(false));
    });
    await new Promise<void>((resolve) => {
      try {
        socket.close(() => resolve());
      } catch {
        resolve(); // never bound
      }
    });
    if (taken) return;
    if (performance.now() > deadline) throw new Error(`nothing bound udp port ${port} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A compact account of a run for assertion messages: exit code, counters, error log, tail of the screen. */
export function describeRun(result: SippResult): string {
  const lines = [
    `sipp ${result.args.join(' ')}`,
    `exit=${String(result.exitCode)} signal=${String(result.signal)} successful=${result.successfulCalls} failed=${result.failedCalls}`,
  ];
  if (result.stderr.trim() !== '') lines.push(`stderr:\n${result.stderr.trim().slice(-2_000)}`);
  if (result.errorLog.trim() !== '') lines.push(`error log:\n${result.errorLog.trim().slice(-4_000)}`);
  if (result.messageLog.trim() !== '') lines.push(`messages (tail):\n${result.messageLog.trim().slice(-4_000)}`);
  else if (result.screen.trim() !== '') lines.push(`screen:\n${result.screen.trim().slice(-2_000)}`);
  return lines.join('\n');
}

/** SIPp's `hh:mm:ss:uuuuuu` duration as milliseconds. */
export function sippDurationMs(value: string | undefined): number {
  if (value === undefined) return Number.NaN;
  const match = /^(\d+):(\d\d):(\d\d):(\d{6})$/.exec(value.trim());
  if (match === null) return Number.NaN;
  const [, h, m, s, us] = match;
  return ((Number(h) * 60 + Number(m)) * 60 + Number(s)) * 1000 + Number(us) / 1000;
}

export interface LoggedMessage {
  readonly direction: 'sent' | 'received';
  readonly text: string;
}

/** Split a `-trace_msg` log into the messages SIPp sent and received, in order. */
export function parseMessageLog(log: string): LoggedMessage[] {
  const out: LoggedMessage[] = [];
  const blocks = log.split(/^-{20,}.*$/m);
  for (const block of blocks) {
    const header = /^\s*(?:UDP|TCP|SCTP|TLS)? ?message (sent|received)[^\n]*\n/im.exec(block);
    if (header === null) continue;
    const text = block.slice(header.index + header[0].length).replace(/^\s*\n/, '');
    out.push({ direction: header[1]?.toLowerCase() === 'sent' ? 'sent' : 'received', text });
  }
  return out;
}

/** Value of the first header line named `name` (long form, case-insensitive) in a raw message. */
export function headerOf(message: string, name: string): string | undefined {
  const re = new RegExp(`^${name}\\s*:\\s*(.*)$`, 'im');
  return re.exec(message)?.[1]?.trim();
}

async function readOptional(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return '';
  }
}

function lastCsvRow(csv: string): Record<string, string> {
  const lines = csv.split('\n').filter((l) => l.trim() !== '');
  const header = lines[0]?.split(';') ?? [];
  const last = lines.length > 1 ? (lines[lines.length - 1]?.split(';') ?? []) : [];
  const row: Record<string, string> = {};
  header.forEach((name, i) => {
    if (name !== '') row[name] = last[i] ?? '';
  });
  return row;
}

/** `-trace_rtt` writes `<scenario>_<pid>_rtt.csv` in the working directory: `Date_ms;response_time_ms;rtd_no`. */
async function readRttFiles(dir: string): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = {};
  for (const name of await readdir(dir)) {
    if (!name.endsWith('_rtt.csv')) continue;
    for (const line of (await readOptional(join(dir, name))).split('\n').slice(1)) {
      const cells = line.split(';');
      const rtd = cells[2]?.trim();
      const ms = Number(cells[1]);
      if (rtd === undefined || rtd === '' || !Number.isFinite(ms)) continue;
      (out[rtd] ??= []).push(ms);
    }
  }
  return out;
}

function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
}
