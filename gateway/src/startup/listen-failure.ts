/**
 * A listener that could not open at start-up, said in one line: which port, and the setting or environment variable
 * that changes it. Without this the user saw `failed to start: 503 Service Unavailable - cannot bind UDP
 * 0.0.0.0:5060` (a SIP status for a local socket error) or a bare `listen EADDRINUSE`.
 *
 * The listeners and their settings are one table; the causes (Node's errno codes) another. Only start-up binds
 * are described here: RTP ports are bound per call from `media.portMin`-`media.portMax`, skipping pairs another
 * program holds (`MEDIA_PORTS_EXHAUSTED` when none is left).
 */
import { SipTransportError } from '../sip/transport/transport-error.js';
import type { Config } from '../config.js';
import { AdminListenError } from '../http/start.js';

export const LISTENERS = {
  'sip-udp': { label: 'SIP', transport: 'UDP', portSetting: 'sip.port', portEnv: 'PATCHBAY_SIP_PORT', hostSetting: 'sip.host' },
  'sip-tcp': { label: 'SIP', transport: 'TCP', portSetting: 'sip.port', portEnv: 'PATCHBAY_SIP_PORT', hostSetting: 'sip.host' },
  'sip-tls': { label: 'SIP over TLS', transport: 'TLS', portSetting: 'sip.tls.port', portEnv: undefined, hostSetting: 'sip.host' },
  http: { label: 'HTTP', transport: 'TCP', portSetting: 'http.port', portEnv: 'PATCHBAY_HTTP_PORT', hostSetting: 'http.host' },
  /** The admin listener (metrics, stats: http/start.ts). */
  'http-admin': { label: 'HTTP admin', transport: 'TCP', portSetting: 'http.admin.port', portEnv: 'PATCHBAY_ADMIN_PORT', hostSetting: 'http.admin.host' },
} as const;
export type Listener = keyof typeof LISTENERS;

/** Stable codes for the start-up refusals, by Node's errno code. */
export const LISTEN_FAILURES = {
  EADDRINUSE: 'START_PORT_IN_USE',
  EACCES: 'START_PORT_FORBIDDEN',
  EADDRNOTAVAIL: 'START_ADDRESS_UNAVAILABLE',
} as const;
type Errno = keyof typeof LISTEN_FAILURES;

export interface ListenFailure {
  readonly code: (typeof LISTEN_FAILURES)[Errno];
  readonly listener: Listener;
  readonly host: string;
  readonly port: number;
  /** The one line for stderr (no trailing newline). */
  readonly message: string;
}

/** Describes `err` if it is a start-up listener that could not open; undefined for anything else. */
export function listenFailure(err: unknown, config: Config): ListenFailure | undefined {
  const sip = chain(err).some((e) => e instanceof SipTransportError);
  const admin = chain(err).some((e) => e instanceof AdminListenError);
  const sys = chain(err).find(isSystemError);
  if (sys === undefined || !(sys.code in LISTEN_FAILURES)) return undefined;
  const errno = sys.code as Errno;
  // UDP sockets fail in bind(), TCP servers in listen(); only SIP listens on UDP at start-up.
  const tls = sip && config.sip.tls !== undefined && sys.port === config.sip.tls.port && config.sip.tls.port !== config.sip.port;
  const listener: Listener = sys.syscall === 'bind' ? 'sip-udp' : tls ? 'sip-tls' : sip ? 'sip-tcp' : admin ? 'http-admin' : 'http';
  const spec = LISTENERS[listener];
  const section = listener === 'http' ? config.http : listener === 'http-admin' ? (config.http.admin ?? config.http) : config.sip;
  const port = typeof sys.port === 'number' ? sys.port : section.port;
  const host = typeof sys.address === 'string' ? sys.address : section.host;
  const where = `${spec.label} port ${port} (${spec.transport} on ${host})`;
  const change = spec.portEnv === undefined ? `set ${spec.portSetting} in patchbay.yaml (e.g. ${suggestion(listener, port)})` : `set ${spec.portSetting} in patchbay.yaml or ${spec.portEnv} (e.g. ${spec.portEnv}=${suggestion(listener, port)} npm start)`;
  const message = {
    EADDRINUSE: `${where} is already in use by another program (another Patchbay, a SIP server, a web server?): ${change}.`,
    EACCES: `${where} needs privileges (ports below 1024 need root or CAP_NET_BIND_SERVICE): ${change}.`,
    EADDRNOTAVAIL: `cannot listen on ${where}: ${host} is not an address of this machine: set ${spec.hostSetting} in patchbay.yaml.`,
  }[errno];
  return { code: LISTEN_FAILURES[errno], listener, host, port, message };
}

interface SystemError {
  code: string;
  syscall?: unknown;
  port?: unknown;
  address?: unknown;
}

function isSystemError(e: unknown): e is SystemError {
  return e instanceof Error && 'code' in e && typeof e.code === 'string' && 'syscall' in e;
}

/** `err` and its causes, outermost first (bounded: a cause cycle ends it). */
function chain(err: unknown): unknown[] {
  const out: unknown[] = [];
  for (let e: unknown = err; e !== undefined && out.length < 8 && !out.includes(e); e = e instanceof Error ? e.cause : undefined) out.push(e);
  return out;
}

/** A port to suggest instead: SIP 5060 → 5070 (5061 is SIP over TLS by convention), HTTP 8080 → 8081. */
function suggestion(listener: Listener, port: number): number {
  const next = port + (listener === 'http' || listener === 'http-admin' ? 1 : 10);
  return next > 65535 ? 1024 : next;
}
