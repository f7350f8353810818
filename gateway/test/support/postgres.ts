/**
 * A real PostgreSQL for tests: Debian's server binaries (found on PATH or under /usr/lib/postgresql/<version>/bin,
 * where Debian keeps initdb), a fresh cluster in a temp dir, listening on a free loopback port with its unix
 * socket in the same temp dir, a database created for the caller. `stopServer()`/`startServer()` (and `restart()`)
 * take it down and bring it back on the same port and data for the "database down" tests; `stop()` removes it all.
 *
 * PostgreSQL refuses to run as root: as root the cluster belongs to the `postgres` user (created by Debian's
 * postgresql package) and initdb and postgres run as that user (spawn's uid/gid). Missing binaries fail with the
 * install line, never a skip.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { delimiter, join } from 'node:path';
import { execFileSync } from 'node:child_process';
import pg from 'pg';

export const POSTGRES_INSTALL = 'apt-get install -y --no-install-recommends postgresql';
const USER = 'patchbay';

export interface TestPostgres {
  /** `postgres://patchbay@127.0.0.1:<port>/<database>` (trust auth on loopback: no password). */
  readonly url: string;
  readonly port: number;
  /**
   * Another empty database on the same server (one per suite or test). The cluster collates in "C"; `icuLocale`
   * (e.g. 'en-US') gives the database that ICU collation instead, as production databases often have.
   */
  createDatabase(name: string, options?: { icuLocale?: string }): Promise<string>;
  /** Fast shutdown (connections are cut): the database is down until startServer(). */
  stopServer(): Promise<void>;
  startServer(): Promise<void>;
  restart(): Promise<void>;
  /** Stops the server and removes its files. Idempotent. */
  stop(): Promise<void>;
}

/** The folder holding initdb and postgres: PATH first, else the newest /usr/lib/postgresql/<v>/bin. */
export function postgresBinDir(path = process.env['PATH'] ?? ''): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (dir !== '' && existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'postgres'))) return dir;
  }
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => /^\d+$/.test(v) && existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(root, versions[0], 'bin');
}

/** As root: the uid/gid of the `postgres` user, which the cluster runs as. */
function runAs(): { uid: number; gid: number } | undefined {
  if (userInfo().uid !== 0) return undefined;
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    return { uid, gid };
  } catch {
    throw new Error(`PostgreSQL cannot run as root and there is no 'postgres' user: install the server with \`${POSTGRES_INSTALL}\` (it creates the user)`);
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return address.port;
}

function run(cmd: string, args: string[], user: { uid: number; gid: number } | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], ...(user ?? {}), env: { PATH: process.env['PATH'] ?? '', LC_ALL: 'C' } });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} exited with ${code}: ${stderr.trim()}`))));
  });
}

async function canConnect(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1_000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Servers still running: stopped if the test process exits without calling stop() (a failed afterAll). One set per process (test files may share a worker). */
const LIVE = Symbol.for('patchbay.test-postgres.live');
const live: Set<ChildProcess> = ((globalThis as Record<symbol, unknown>)[LIVE] as Set<ChildProcess> | undefined) ?? newLiveSet();
function newLiveSet(): Set<ChildProcess> {
  const set = new Set<ChildProcess>();
  (globalThis as Record<symbol, unknown>)[LIVE] = set;
  process.once('exit', () => {
    for (const child of set) child.kill('SIGINT');
  });
  return set;
}

export async function startPostgres(database = 'patchbay_test'): Promise<TestPostgres> {
  const bin = postgresBinDir();
  if (bin === undefined) throw new Error(`PostgreSQL server binaries (initdb, postgres) not found on PATH or in /usr/lib/postgresql/*/bin. Install them: ${POSTGRES_INSTALL}`);
  const user = runAs();
  const dir = mkdtempSync(join(tmpdir(), 'patchbay-pg-'));
  if (user !== undefined) chownSync(dir, user.uid, user.gid);
  const data = join(dir, 'data');
  await run(join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', USER, '--no-sync', '-E', 'UTF8', '--locale=C'], user);
  const port = await freePort();
  const base = `postgres://${USER}@127.0.0.1:${port}`;
  let server: ChildProcess | undefined;
  let serverLog = '';

  const startServer = async (): Promise<void> => {
    if (server !== undefined) return;
    const args = ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'];
    const child = spawn(join(bin, 'postgres'), args, { stdio: ['ignore', 'ignore', 'pipe'], ...(user ?? {}), env: { PATH: process.env['PATH'] ?? '', LC_ALL: 'C' } });
    child.stderr?.on('data', (d: Buffer) => (serverLog = (serverLog + d.toString()).slice(-4000)));
    server = child;
    live.add(child);
    let exited = false;
    child.once('exit', () => {
      live.delete(child);
      exited = true;
      if (server === child) server = undefined;
    });
    const deadline = performance.now() + 20_000;
    while (!(await canConnect(`${base}/postgres`))) {
      if (exited || performance.now() > deadline) throw new Error(`PostgreSQL did not start on port ${port}: ${serverLog.trim()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  const stopServer = async (): Promise<void> => {
    const child = server;
    if (child === undefined) return;
    server = undefined;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGINT'); // fast shutdown: active connections are cut, as when a server goes away
    await exited;
  };

  const createDatabase = async (name: string, options: { icuLocale?: string } = {}): Promise<string> => {
    if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bad database name ${name}`);
    const icu = options.icuLocale;
    if (icu !== undefined && !/^[A-Za-z]{2,3}(-[A-Za-z0-9]+)*$/.test(icu)) throw new Error(`bad ICU locale ${icu}`);
    const client = new pg.Client({ connectionString: `${base}/postgres` });
    await client.connect();
    try {
      await client.query(icu === undefined ? `create database ${name}` : `create database ${name} template template0 locale_provider icu icu_locale '${icu}' locale 'C'`);
    } finally {
      await client.end();
    }
    return `${base}/${name}`;
  };

  let stopped = false;
  try {
    await startServer();
    await createDatabase(database);
  } catch (err) {
    await stopServer();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    url: `${base}/${database}`,
    port,
    createDatabase,
    stopServer,
    startServer,
    restart: async () => {
      await stopServer();
      await startServer();
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await stopServer();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
