/**
 * Kamailio (Debian `kamailio`) as a registrar and proxy for tests: started on a free loopback UDP port in a temp
 * dir with a minimal config of ours — registrar + usrloc in memory, digest auth against one fixed user and
 * password (the `auth` module's `pv_auth_check`, no database), and INVITEs for a registered AOR relayed with
 * `lookup("location")` + `t_relay()`. Each REGISTER it accepts is logged as `PB-REGISTERED cseq=… expires=…`,
 * each relayed INVITE as `PB-RELAY <new Request-URI>`; `log()` returns what it has written so far.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { accessSync, constants as fsConstants } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, requireTool } from './sipp.js';
import { waitFor } from './wait-for.js';

export const KAMAILIO_INSTALL = 'apt-get install -y --no-install-recommends kamailio';

export interface KamailioOptions {
  readonly realm: string;
  readonly username: string;
  readonly password: string;
  /** Longest binding granted (`registrar` max_expires): a short one makes refreshes come quickly. */
  readonly maxExpiresS: number;
  /** Digest algorithm of the challenge (auth module `algorithm`). Default SHA-256. */
  readonly algorithm?: 'MD5' | 'SHA-256';
}

export interface Kamailio {
  readonly port: number;
  log(): string;
  /** Lines matching `PB-REGISTERED`, parsed. */
  registrations(): { cseq: number; expires: string; atMs: number }[];
  close(): Promise<void>;
}

export function kamailioBinary(): string {
  try {
    return requireTool('kamailio', KAMAILIO_INSTALL);
  } catch (err) {
    try {
      accessSync('/usr/sbin/kamailio', fsConstants.X_OK); // not on a non-root PATH
      return '/usr/sbin/kamailio';
    } catch {
      throw err;
    }
  }
}

/**
 * The start of every Kamailio config the tests write: one UDP listener on loopback, one child, logs on stderr, and the
 * modules every script here uses (transactions, stateless replies, variables, Max-Forwards, utils, text ops, xlog).
 */
export function kamailioPreamble(port: number): string {
  return `#!KAMAILIO
debug=2
log_stderror=yes
children=1
disable_tcp=yes
auto_aliases=no
listen=udp:127.0.0.1:${port}
mpath="/usr/lib/x86_64-linux-gnu/kamailio/modules/"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "siputils.so"
loadmodule "textops.so"
loadmodule "xlog.so"
`;
}

function config(port: number, o: KamailioOptions): string {
  const q = (s: string): string => s.replace(/["\\]/g, '');
  return `${kamailioPreamble(port)}loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "auth.so"
modparam("usrloc", "db_mode", 0)
modparam("registrar", "max_expires", ${o.maxExpiresS})
modparam("registrar", "min_expires", 1)
modparam("auth", "algorithm", "${o.algorithm ?? 'SHA-256'}")
request_route {
  if (!mf_process_maxfwd_header("10")) { sl_send_reply("483", "Too Many Hops"); exit; }
  if (is_method("REGISTER")) {
    if (!pv_auth_check("${q(o.realm)}", "${q(o.password)}", "0", "0")) { auth_challenge("${q(o.realm)}", "1"); exit; }
    if ($au != "${q(o.username)}") { sl_send_reply("403", "Forbidden"); exit; }
    consume_credentials();
    if (!save("location")) { sl_reply_error(); exit; }
    xlog("L_NOTICE", "PB-REGISTERED cseq=$cs expires=$hdr(Expires)\\n");
    exit;
  }
  if (is_method("CANCEL") || is_method("ACK")) { if (t_check_trans()) t_relay(); exit; }
  if (has_totag()) { t_relay(); exit; }
  if (is_method("INVITE")) {
    if (!lookup("location")) { sl_send_reply("404", "Not Found"); exit; }
    xlog("L_NOTICE", "PB-RELAY $ru\\n");
    t_relay();
    exit;
  }
  sl_send_reply("405", "Method Not Allowed");
}
`;
}

/** Resolves once Kamailio answers a datagram on its port (any response), within `timeoutMs`. */
export async function answering(port: number, timeoutMs: number): Promise<void> {
  const socket = createSocket('udp4');
  let answered = false;
  socket.on('message', () => (answered = true));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  const local = socket.address().port;
  const probe = (): void => {
    const msg = [
      `OPTIONS sip:127.0.0.1:${port} SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.1:${local};branch=z9hG4bKprobe${Date.now()}`,
      'Max-Forwards: 70',
      `From: <sip:probe@127.0.0.1>;tag=p`,
      `To: <sip:127.0.0.1:${port}>`,
      `Call-ID: probe-${Date.now()}@127.0.0.1`,
      'CSeq: 1 OPTIONS',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
    socket.send(msg, port, '127.0.0.1');
  };
  try {
    await waitFor(() => {
      if (!answered) probe();
      return answered;
    }, timeoutMs, () => `kamailio did not answer on 127.0.0.1:${port}`);
  } finally {
    socket.close();
  }
}

export async function startKamailio(options: KamailioOptions): Promise<Kamailio> {
  const bin = kamailioBinary();
  const dir = await mkdtemp(join(tmpdir(), 'patchbay-kamailio-'));
  const port = await freePort('udp');
  const cfg = join(dir, 'kamailio.cfg');
  await writeFile(cfg, config(port, options));
  let output = '';
  const lines: { cseq: number; expires: string; atMs: number }[] = [];
  const child: ChildProcess = spawn(bin, ['-f', cfg, '-DD', '-E', '-Y', dir, '-m', '32', '-M', '4'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  const onData = (chunk: Buffer): void => {
    const text = chunk.toString('utf8');
    output += text;
    for (const m of text.matchAll(/PB-REGISTERED cseq=(\d+) expires=(\S*)/g)) lines.push({ cseq: Number(m[1]), expires: m[2] ?? '', atMs: performance.now() });
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const close = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 3_000).unref())]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await answering(port, 10_000);
  } catch (err) {
    await close();
    throw new Error(`kamailio did not start:\n${output.slice(-2000)}`, { cause: err });
  }
  return { port, log: () => output, registrations: () => [...lines], close };
}
