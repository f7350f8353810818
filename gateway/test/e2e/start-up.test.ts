/**
 * `npm start` as a new user meets it, with the gateway as its own process (`src/main.ts`, run in gateway/ as the
 * workspace script runs it): the configuration is read from where the user ran the command (npm's INIT_CWD) and the
 * banner says which file and where each number goes; a port already taken ends the start with one line naming the
 * port and the setting that changes it, exit code 1. Loopback only.
 */
import { spawn } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { SipCaller } from '../helpers/sip-caller.js';
import { freePort } from '../helpers/sipp.js';
import { waitFor } from '../helpers/wait-for.js';

const GATEWAY_DIR = fileURLToPath(new URL('../../', import.meta.url));

interface Run {
  readonly stdout: () => string;
  readonly stderr: () => string;
  readonly exit: () => number | string | undefined;
  readonly exited: Promise<void>;
  kill(): void;
}

/** `node --import tsx src/main.ts` in gateway/, with only the variables given (and PATH). */
function runMain(env: Record<string, string>): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: GATEWAY_DIR,
    env: { PATH: process.env['PATH'] ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let code: number | string | undefined;
  child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.once('exit', (c, signal) => resolve(void (code = c ?? signal ?? 'unknown'))));
  cleanups.push(async () => {
    if (code === undefined) child.kill('SIGKILL');
    await exited;
  });
  return { stdout: () => out, stderr: () => err, exit: () => code, exited, kill: () => child.kill('SIGTERM') };
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'patchbay-start-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function holdUdp(port: number): Promise<Socket> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, '127.0.0.1', () => resolve());
  });
  cleanups.push(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  return socket;
}

async function holdTcp(port: number): Promise<Server> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return server;
}

describe('npm start, as a new user', () => {
  it('reads patchbay.yaml from where npm was run (INIT_CWD), logs it, and the banner says where each number goes', async () => {
    const dir = await tempDir();
    const file = join(dir, 'patchbay.yaml');
    await writeFile(
      file,
      stringify({
        sip: { host: '127.0.0.1', port: 0, tcp: false },
        http: { host: '127.0.0.1', port: 0, admin: { host: '127.0.0.1', port: 0 } },
        numbers: { '+15550100001': { agent: 'echo' }, '*': { agent: 'ws://127.0.0.1:9/bot?token=s3cret' } },
      }),
    );
    const run = runMain({ INIT_CWD: dir });
    await waitFor(() => run.stdout().includes('Try it:') || run.exit() !== undefined, 60_000, () => run.stdout() + run.stderr());
    const out = run.stdout();
    expect(out, run.stderr()).toContain(`Configuration: ${file}\n`);
    expect(out).toMatch(/\n {2}\+15550100001 {2}→ built-in echo agent\n {2}\* {13}→ ws:\/\/127\.0\.0\.1:9\/bot\n/);
    expect(out).toMatch(/Try it: call sip:anything@127\.0\.0\.1:\d+ → ws:\/\/127\.0\.0\.1:9\/bot\n/);
    expect(out).toMatch(/\nMetrics and stats: http:\/\/127\.0\.0\.1:\d+\/metrics and \/stats \(admin listener, no key\)\n/);
    // The JSON log names the file and sums the routes up; no token anywhere.
    expect(out).toContain(`"msg":"configuration: ${file}"`);
    expect(out).toContain('"msg":"2 routes: +15550100001 → built-in echo agent; * → ws://127.0.0.1:9/bot"');
    expect(out).not.toContain('s3cret');
    run.kill();
    await run.exited;
    expect(run.exit()).toBe(0);
  }, 90_000);

  it('with no patchbay.yaml where npm was run, says so and names the directory; records go to ./data there, listed by GET /v1/calls', async () => {
    const dir = await tempDir();
    const run = runMain({ INIT_CWD: dir, PATCHBAY_SIP_PORT: '0', PATCHBAY_HTTP_PORT: '0', PATCHBAY_ADMIN_PORT: '0' });
    await waitFor(() => run.stdout().includes('Call records:') || run.exit() !== undefined, 60_000, () => run.stdout() + run.stderr());
    expect(run.stdout(), run.stderr()).toContain(`Configuration: no patchbay.yaml in ${dir}: embedded defaults\n`);
    const sipPort = Number(/Try it: call sip:anything@127\.0\.0\.1:(\d+) → built-in demo agent\n/.exec(run.stdout())?.[1]);
    const listed = /\nCall records: SQLite at (.+); list them with GET (http:\/\/127\.0\.0\.1:\d+\/v1\/calls)\n/.exec(run.stdout());
    expect(listed?.[1]).toBe(join(dir, 'data', 'patchbay.db'));
    expect(existsSync(join(dir, 'data', 'patchbay.db'))).toBe(true);
    // The quick start's call: the demo agent answers; hung up, the call is in the history the banner points at.
    const caller = await SipCaller.call({ host: '127.0.0.1', port: sipPort, to: 'anything' });
    await caller.hangUp();
    const history = async (): Promise<{ to: string; live: boolean; status: string }[]> =>
      ((await (await fetch(listed?.[2] ?? '', { signal: AbortSignal.timeout(5_000) })).json()) as { calls: { to: string; live: boolean; status: string }[] }).calls;
    await waitFor(async () => (await history()).some((c) => !c.live), 10_000, () => run.stdout());
    expect(await history()).toMatchObject([{ to: 'anything', live: false, status: 'completed' }]);
    run.kill();
    await run.exited;
    expect(run.exit()).toBe(0);
  }, 90_000);

  it.each([
    ['SIP over UDP', 'udp', 'sip', /^patchbay: SIP port (\d+) \(UDP on 127\.0\.0\.1\) is already in use .*set sip\.port in patchbay\.yaml or PATCHBAY_SIP_PORT/],
    ['SIP over TCP', 'tcp', 'sip', /^patchbay: SIP port (\d+) \(TCP on 127\.0\.0\.1\) is already in use .*set sip\.port in patchbay\.yaml or PATCHBAY_SIP_PORT/],
    ['HTTP', 'tcp', 'http', /^patchbay: HTTP port (\d+) \(TCP on 127\.0\.0\.1\) is already in use .*set http\.port in patchbay\.yaml or PATCHBAY_HTTP_PORT/],
    ['HTTP admin', 'tcp', 'admin', /^patchbay: HTTP admin port (\d+) \(TCP on 127\.0\.0\.1\) is already in use .*set http\.admin\.port in patchbay\.yaml or PATCHBAY_ADMIN_PORT/],
  ] as const)('%s: a port already taken ends the start with one line naming it and its setting, exit 1', async (_name, protocol, listener, line) => {
    const taken = await freePort(protocol);
    if (protocol === 'udp') await holdUdp(taken);
    else await holdTcp(taken);
    const dir = await tempDir();
    await writeFile(
      join(dir, 'patchbay.yaml'),
      stringify({
        sip: { host: '127.0.0.1', port: listener === 'sip' ? taken : 0, udp: true, tcp: true },
        http: { host: '127.0.0.1', port: listener === 'http' ? taken : 0, admin: { host: '127.0.0.1', port: listener === 'admin' ? taken : 0 } },
      }),
    );
    const run = runMain({ INIT_CWD: dir });
    await waitFor(() => run.exit() !== undefined, 60_000, () => `still running:\n${run.stdout()}${run.stderr()}`);
    expect(run.exit(), run.stdout() + run.stderr()).toBe(1);
    const lines = run.stderr().trimEnd().split('\n');
    expect(lines, run.stderr()).toHaveLength(1); // one line: no stack trace
    expect(lines[0]).toMatch(line);
    expect(lines[0]?.match(line)?.[1]).toBe(String(taken));
    expect(run.stderr()).not.toMatch(/(^|[^0-9])503 |Service Unavailable|\bat .*\.ts:\d+/);
  }, 90_000);
});
