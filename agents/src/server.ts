/**
 * Serves in-process `Agent`s over protocol v1: a WebSocket server the gateway dials, one session per connection.
 * `serveAgent` serves one agent on one path; `serveAgents` several on one port, one per path (the adapter server).
 * Also the simplest way to run your own TypeScript agent.
 */

import { createServer } from 'node:http';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import type { RawData } from 'ws';
import type { Agent, AgentContext, AgentSession } from './agent.js';
import { ProtocolError } from './protocol/errors.js';
import { FRAME_BYTES, HEADER_CALL_ID, HEADER_TOKEN, PROTOCOL_LIMITS } from './protocol/messages.js';
import type { AgentMessage, GatewayMessage, StartMessage } from './protocol/messages.js';
import { parseAgentMessage, parseGatewayMessage } from './protocol/parse.js';
import { pcm16FromBytes, pcm16ToBytes } from './protocol/pcm.js';
import { normaliseUrl, verifyCallToken } from './protocol/token.js';
import type { VerifiedCallToken } from './protocol/token.js';

/** The subset of a pino logger this module uses. */
export interface AgentServerLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface ServeAgentOptions {
  /** Default `127.0.0.1`. */
  host?: string;
  /** Default `0` (any free port; read it from `url`). */
  port?: number;
  /** When set, upgrades without a valid `X-Patchbay-Token` signed with it are refused with 401. */
  secret?: string;
  /** Default `/`. Other paths are refused with 404. */
  path?: string;
  /**
   * The URL the gateway is configured to dial, when it differs from `url` (behind a proxy or TLS terminator). The
   * token must have been issued for it; the query string of each request is taken into account.
   */
  publicUrl?: string;
  /** Default: warnings and errors to stderr. */
  logger?: AgentServerLogger;
  /** Close connections that send no `start` within this time. Default 10,000. */
  startTimeoutMs?: number;
}

export interface AgentServer {
  /** `ws://host:port/path`. */
  readonly url: string;
  /** Closes every connection (1001) and the listener. Idempotent. */
  close(): Promise<void>;
}

export interface ServeAgentsOptions extends Omit<ServeAgentOptions, 'path' | 'publicUrl'> {
  /**
   * The base URL the gateway dials when it differs from `url` (behind a proxy or TLS terminator), e.g.
   * `wss://agents.example.com` or, for a proxy that strips a prefix, `wss://example.com/agents`. A token is checked
   * against this base followed by the path and the query string of the request (`wss://agents.example.com/sales`).
   */
  publicUrl?: string;
}

export interface AgentsServer {
  /** `ws://host:port`, without a path. */
  readonly url: string;
  /** Each path's full URL: `{ '/sales': 'ws://host:port/sales' }`. */
  readonly urls: Readonly<Record<string, string>>;
  /** Closes every connection (1001) and the listener. Idempotent. */
  close(): Promise<void>;
}

/** Largest WebSocket message accepted: a JSON message at its limit, or a generous amount of audio. */
const MAX_PAYLOAD_BYTES = 1024 * 1024;
const CLOSE_FORCE_AFTER_MS = 2000;
/** A path the server can serve: `/`, or `/` followed by URL path characters. */
const PATH_PATTERN = /^\/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$/;

/** Serves one agent on one path. */
export async function serveAgent(agent: Agent, options: ServeAgentOptions = {}): Promise<AgentServer> {
  const path = options.path ?? '/';
  const { publicUrl, path: _path, ...rest } = options;
  const listener = await listen({ [path]: agent }, rest, (base) => publicUrl ?? `${base}${path}`);
  return { url: `${listener.url}${path}`, close: listener.close };
}

/**
 * Serves several agents on one port, one per path (`{ '/sales': a, '/support': b }`); other paths are refused with
 * 404. Each connection is served exactly as `serveAgent` serves it, and tokens are checked against each path's URL.
 */
export async function serveAgents(agents: Readonly<Record<string, Agent>>, options: ServeAgentsOptions = {}): Promise<AgentsServer> {
  const { publicUrl, ...rest } = options;
  const base = publicUrl?.replace(/\/+$/, '');
  const listener = await listen(agents, rest, (url, path) => `${base ?? url}${path}`);
  const urls = Object.fromEntries(Object.keys(agents).map((path) => [path, `${listener.url}${path}`]));
  return { url: listener.url, urls, close: listener.close };
}

type ListenOptions = Omit<ServeAgentOptions, 'path' | 'publicUrl'>;

/**
 * The shared server: `expectedUrl(url, path)` is the URL a token for `path` must have been issued for (before the
 * request's query string is added), `url` being `ws://host:port`.
 */
async function listen(
  agents: Readonly<Record<string, Agent>>,
  options: ListenOptions,
  expectedUrl: (url: string, path: string) => string,
): Promise<{ url: string; close(): Promise<void> }> {
  const routes = new Map<string, { agent: Agent; log: AgentServerLogger }>();
  const log = options.logger ?? stderrLogger;
  for (const [path, agent] of Object.entries(agents)) {
    if (!PATH_PATTERN.test(path)) throw new TypeError(`agent server: '${path}' is not a URL path (it must start with /)`);
    routes.set(path, { agent, log: withFields(log, { path }) });
  }
  if (routes.size === 0) throw new TypeError('agent server: no agents to serve');
  const host = options.host ?? '127.0.0.1';
  const startTimeoutMs = options.startTimeoutMs ?? 10_000;

  const http = createServer((_req, res) => {
    res.writeHead(426, { 'content-type': 'text/plain', upgrade: 'websocket' }).end('WebSocket only\n');
  });
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_PAYLOAD_BYTES,
  });

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port ?? 0, host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const { port } = http.address() as AddressInfo;
  const url = `ws://${host.includes(':') ? `[${host}]` : host}:${port}`;

  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', (err) => log.debug({ err }, 'agent server: upgrade socket error'));
    const requestUrl = new URL(req.url ?? '/', 'ws://localhost');
    const route = routes.get(requestUrl.pathname);
    if (route === undefined) {
      log.debug({ path: requestUrl.pathname.slice(0, 200) }, 'agent server: unknown path refused');
      refuse(socket, 404, 'Not Found');
      return;
    }
    let claims: VerifiedCallToken | undefined;
    if (options.secret !== undefined) {
      const token = req.headers[HEADER_TOKEN];
      const expected = new URL(expectedUrl(url, requestUrl.pathname));
      expected.search = requestUrl.search;
      const verdict =
        typeof token === 'string'
          ? verifyCallToken(options.secret, token, { url: normaliseUrl(expected.href) })
          : ({ ok: false, reason: 'missing' } as const);
      const headerCallId = req.headers[HEADER_CALL_ID];
      if (!verdict.ok || (typeof headerCallId === 'string' && headerCallId !== verdict.claims.callId)) {
        route.log.warn({ reason: verdict.ok ? 'call_id_mismatch' : verdict.reason }, 'agent server: token refused');
        refuse(socket, 401, 'Unauthorized');
        return;
      }
      claims = verdict.claims;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      serveConnection(route.agent, ws, { log: route.log, startTimeoutMs, claims });
    });
  });

  let closing: Promise<void> | undefined;
  return {
    url,
    close() {
      closing ??= closeAll(http, wss);
      return closing;
    },
  };
}

interface ConnectionOptions {
  log: AgentServerLogger;
  startTimeoutMs: number;
  claims: VerifiedCallToken | undefined;
}

function serveConnection(agent: Agent, ws: WebSocket, opts: ConnectionOptions): void {
  const { log } = opts;
  const abort = new AbortController();
  let session: AgentSession | undefined;
  let callId: string | undefined;
  let pending: Buffer | undefined;
  let ended = false;
  let startedMs = 0;

  const startTimer = setTimeout(() => {
    log.warn({}, 'agent server: no start message in time');
    ws.close(1008, 'no start');
  }, opts.startTimeoutMs);

  const end = (): void => {
    if (ended) return;
    ended = true;
    clearTimeout(startTimer);
    abort.abort();
    if (session !== undefined) {
      log.info({ callId, durationMs: Math.round(performance.now() - startedMs) }, 'agent server: call ended');
      try {
        session.close();
      } catch (err) {
        log.error({ err, callId }, 'agent server: session close threw');
      }
    }
  };

  /** Runs agent code; a throw is the agent's bug: log it and end this call only. */
  const guard = (what: string, fn: () => void): void => {
    try {
      fn();
    } catch (err) {
      log.error({ err, callId }, `agent server: ${what} threw; closing the connection`);
      end();
      ws.close(1011, 'agent error');
    }
  };

  const onStart = (start: StartMessage): void => {
    if (opts.claims !== undefined && start.callId !== opts.claims.callId) {
      log.warn({ callId: start.callId }, 'agent server: start callId differs from the token');
      end();
      ws.close(1008, 'callId mismatch');
      return;
    }
    clearTimeout(startTimer);
    callId = start.callId;
    startedMs = performance.now();
    log.info({ callId }, 'agent server: call started');
    const ctx: AgentContext = {
      start,
      signal: abort.signal,
      sendAudio(pcm: Int16Array) {
        if (ended || pcm.length === 0 || ws.readyState !== WebSocket.OPEN) return;
        ws.send(pcm16ToBytes(pcm), { binary: true });
      },
      send(msg: AgentMessage) {
        if (ended || ws.readyState !== WebSocket.OPEN) return;
        const text = JSON.stringify(msg);
        parseAgentMessage(text); // throws ProtocolError on an invalid command: a bug in the agent, surfaced early
        ws.send(text);
      },
    };
    guard('create', () => {
      session = agent.create(ctx);
    });
  };

  const onAudio = (bytes: Buffer): void => {
    if (session === undefined) {
      log.debug({}, 'agent server: audio before start ignored');
      return;
    }
    const live = session;
    const all = pending === undefined ? bytes : Buffer.concat([pending, bytes]);
    let off = 0;
    for (; all.length - off >= FRAME_BYTES && !ended; off += FRAME_BYTES) {
      const frame = pcm16FromBytes(all.subarray(off, off + FRAME_BYTES));
      guard('onAudio', () => live.onAudio(frame));
    }
    pending = off < all.length ? Buffer.from(all.subarray(off)) : undefined;
  };

  const onText = (text: string): void => {
    let msg: GatewayMessage;
    try {
      msg = parseGatewayMessage(text);
    } catch (err) {
      const code = err instanceof ProtocolError ? err.code : 'UNKNOWN';
      log.warn({ code, err, callId }, 'agent server: malformed message ignored');
      return;
    }
    if (msg.type === 'start') {
      if (session === undefined && !ended) onStart(msg);
      else log.warn({ callId }, 'agent server: second start ignored');
      return;
    }
    const live = session;
    if (live === undefined) {
      log.warn({ type: msg.type }, 'agent server: message before start ignored');
      return;
    }
    guard('onMessage', () => live.onMessage(msg));
    if (msg.type === 'stop') end();
  };

  ws.on('message', (data: RawData, isBinary: boolean) => {
    if (ended) return;
    const bytes = toBuffer(data);
    if (isBinary) onAudio(bytes);
    else if (bytes.length > PROTOCOL_LIMITS.maxJsonBytes) {
      log.warn({ bytes: bytes.length, callId }, 'agent server: oversized text message ignored');
    } else onText(bytes.toString('utf8'));
  });
  ws.on('error', (err) => log.warn({ err, callId }, 'agent server: socket error'));
  ws.on('close', end);
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

function refuse(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

async function closeAll(http: ReturnType<typeof createServer>, wss: WebSocketServer): Promise<void> {
  const closed = [...wss.clients].map(
    (ws) =>
      new Promise<void>((resolve) => {
        if (ws.readyState === WebSocket.CLOSED) {
          resolve();
          return;
        }
        const force = setTimeout(() => ws.terminate(), CLOSE_FORCE_AFTER_MS);
        ws.once('close', () => {
          clearTimeout(force);
          resolve();
        });
        ws.close(1001, 'server closing');
      }),
  );
  await Promise.all(closed);
  await new Promise<void>((resolve) => {
    wss.close(() => resolve());
  });
  http.closeAllConnections();
  await new Promise<void>((resolve, reject) => {
    http.close((err) => (err === undefined ? resolve() : reject(err)));
  });
}

/** `log` with `fields` added to every entry. */
function withFields(log: AgentServerLogger, fields: object): AgentServerLogger {
  return {
    debug: (obj, msg) => log.debug({ ...fields, ...obj }, msg),
    info: (obj, msg) => log.info({ ...fields, ...obj }, msg),
    warn: (obj, msg) => log.warn({ ...fields, ...obj }, msg),
    error: (obj, msg) => log.error({ ...fields, ...obj }, msg),
  };
}

const stderrLogger: AgentServerLogger = {
  debug() {},
  info() {},
  warn(obj, msg) {
    console.warn(msg, obj);
  },
  error(obj, msg) {
    console.error(msg, obj);
  },
};
