/**
 * A stream transport (TCP, and TLS over it): a listening server plus the open connections (accepted and opened by
 * us), each with its own stream framer. What differs between TCP and TLS is how a socket becomes ready to carry SIP
 * (`StreamSockets`: at once, or after the TLS handshake); the connection handling here is shared. Bounded (see TcpLimits: a global and a per-source connection cap, an idle timeout, an incomplete-message
 * timeout, and the framer's per-connection buffer). A framing error closes that connection only; no socket error
 * escapes.
 *
 * What "in use" means for the idle timeout: a connection is in use while SIP messages cross it (either way) or,
 * once the peer has sent one, while it sends RFC 5626 CRLF pings. The transport knows nothing of dialogs, so a
 * connection of a live call whose peer neither pings nor sends for `idleTimeoutMs` is closed; a later in-dialog
 * request from us opens a new connection to the peer (RFC 3261 §18.1.1), as for any closed connection. Connections
 * we opened are closed when idle in the same way: we open them again when we next send.
 */
import net from 'node:net';
import type { Logger } from 'pino';
import { StreamFramer, type FramerOutput } from './stream-framer.js';
import { SipTransportError, SipTransportErrorCode } from './transport-error.js';
import {
  normalizeAddress,
  type ConnectionId,
  type InboundContext,
  type RemoteInfo,
  type TcpLimits,
} from './types.js';

const CONNECT_TIMEOUT_MS = 10_000;
const PONG = Buffer.from('\r\n');

/** How a stream transport's sockets become ready to carry SIP: plain TCP at once, TLS after its handshake. */
export interface StreamSockets {
  readonly transport: 'tcp' | 'tls';
  /**
   * An accepted TCP connection, within the limits: call `ready` with the stream that carries SIP once it can
   * (TLS: the handshake is done and the client verified). A connection that never gets ready is closed by the
   * incomplete-message timeout or by its own failure.
   */
  secure(raw: net.Socket, ready: (stream: net.Socket) => void): void;
  /** Opens a connection to `target`; it carries SIP once `readyEvent` fires. */
  open(target: RemoteInfo): { socket: net.Socket; readyEvent: 'connect' | 'secureConnect' };
  /** The error a failed `open` rejects with (TLS: a handshake or certificate failure is told apart and logged). */
  openFailed(err: unknown, target: RemoteInfo, tcpConnected: boolean): SipTransportError;
}

/** Why stream connections were refused or closed by the transport. */
export interface StreamCounters {
  refusedLimit: number;
  refusedPerIp: number;
  closedIdle: number;
  closedIncomplete: number;
}

export interface StreamTransportOptions {
  readonly logger: Logger;
  readonly limits: TcpLimits;
  readonly maxMessageBytes: number;
  /** One whole framed message. */
  readonly onMessage: (buf: Buffer, inbound: InboundContext) => void;
  /** The stream could not be framed; the connection has been closed. */
  readonly onFramingError: (err: unknown, remote: RemoteInfo) => void;
  /** An incoming connection was refused because a limit is reached. */
  readonly onRefused: (remote: RemoteInfo) => void;
  /**
   * The edge's gate at accept (TransportLayerOptions.admitConnection): false closes the connection before any
   * state is kept for it, before a TLS handshake (not counted here: the gate counts its refusals). Unset: every
   * connection is admitted.
   */
  readonly admitConnection?: ((remote: RemoteInfo) => boolean) | undefined;
  /**
   * The connection budget to count against, shared by the TCP and TLS transports of one stack so that
   * `maxConnections` and `maxConnectionsPerIp` bound a source across both; default: this transport's own.
   */
  readonly budget?: ConnectionBudget | undefined;
}

/**
 * Open connections counted against TcpLimits: all of them (accepted and opened by us) for `maxConnections`, and
 * the accepted ones per source address for `maxConnectionsPerIp`.
 */
export class ConnectionBudget {
  private open = 0;
  private readonly perIp = new Map<string, number>();

  get total(): number {
    return this.open;
  }

  acceptedFrom(address: string): number {
    return this.perIp.get(address) ?? 0;
  }

  take(address: string, accepted: boolean): void {
    this.open++;
    if (accepted) this.perIp.set(address, (this.perIp.get(address) ?? 0) + 1);
  }

  release(address: string, accepted: boolean): void {
    this.open = Math.max(0, this.open - 1);
    if (!accepted) return;
    const left = (this.perIp.get(address) ?? 1) - 1;
    if (left > 0) this.perIp.set(address, left);
    else this.perIp.delete(address);
  }
}

type RefusedWhy = 'limit' | 'per-ip';

interface Connection {
  readonly id: ConnectionId;
  /** The TCP socket: destroying it ends the connection, TLS or not. */
  readonly raw: net.Socket;
  /** What SIP is read from and written to: `raw` for TCP, the TLS socket over it for TLS; undefined until ready. */
  socket: net.Socket | undefined;
  readonly framer: StreamFramer;
  readonly remote: RemoteInfo;
  readonly key: string;
  /** Accepted (counted against its source's cap), not opened by us. */
  readonly accepted: boolean;
  /** The peer has sent a whole SIP message: from then on its CRLF pings keep the connection alive. */
  spoken: boolean;
  readonly idleTimer: NodeJS.Timeout;
  incompleteTimer: NodeJS.Timeout | undefined;
}

export class StreamTransport {
  private server: net.Server | undefined;
  private boundPort: number | undefined;
  private readonly connections = new Map<ConnectionId, Connection>();
  private readonly byRemote = new Map<string, Connection>();
  private readonly connecting = new Map<string, Promise<Connection>>();
  /** Connections counted against the limits, shared with the other stream transport (TCP and TLS: one budget). */
  private readonly budget: ConnectionBudget;
  readonly counters: StreamCounters = { refusedLimit: 0, refusedPerIp: 0, closedIdle: 0, closedIncomplete: 0 };
  private nextId = 1;
  private closed = false;
  /** `TCP` or `TLS`, for logs and errors. */
  protected readonly label: string;

  constructor(
    protected readonly sockets: StreamSockets,
    protected readonly options: StreamTransportOptions,
  ) {
    this.label = sockets.transport.toUpperCase();
    this.budget = options.budget ?? new ConnectionBudget();
  }

  get port(): number | undefined {
    return this.boundPort;
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** Resolves with the bound port; rejects with a SipTransportError whose `cause` is the socket error. */
  listen(host: string, port: number): Promise<number> {
    const server = net.createServer((socket) => this.accept(socket));
    return new Promise<number>((resolve, reject) => {
      const onError = (err: Error): void => {
        server.close();
        reject(new SipTransportError(`cannot listen on ${this.label} ${host}:${port}`, SipTransportErrorCode.NotListening, err));
      };
      server.once('error', onError);
      server.listen({ host, port }, () => {
        server.off('error', onError);
        server.on('error', (err) => this.options.logger.warn({ err }, `${this.label} server error`));
        const address = server.address();
        this.server = server;
        this.boundPort = typeof address === 'object' && address !== null ? address.port : port;
        resolve(this.boundPort);
      });
    });
  }

  isOpen(id: ConnectionId): boolean {
    return this.connections.has(id);
  }

  /**
   * Writes `buf` on connection `connectionId` when it is still open, else on any open connection to `target`,
   * else on a new connection to `target`.
   */
  async send(buf: Buffer, target: RemoteInfo, connectionId?: ConnectionId): Promise<void> {
    if (this.closed) throw new SipTransportError('stack closed', SipTransportErrorCode.Closed);
    const existing =
      (connectionId === undefined ? undefined : this.connections.get(connectionId)) ??
      this.byRemote.get(remoteKey(target));
    const conn = existing ?? (await this.connect(target));
    await write(conn, buf);
    conn.idleTimer.refresh(); // a message crossed the connection
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const conn of this.connections.values()) {
      this.budget.release(conn.remote.address, conn.accepted);
      conn.raw.destroy();
    }
    this.connections.clear();
    this.byRemote.clear();
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private accept(socket: net.Socket): void {
    const remote: RemoteInfo = {
      transport: this.sockets.transport,
      address: normalizeAddress(socket.remoteAddress ?? ''),
      port: socket.remotePort ?? 0,
    };
    const { limits, admitConnection } = this.options;
    if (admitConnection !== undefined && !this.closed && !admitConnection(remote)) {
      socket.on('error', () => undefined);
      socket.destroy();
      return;
    }
    let refused: RefusedWhy | undefined;
    if (this.closed || this.budget.total + this.connecting.size >= limits.maxConnections) refused = 'limit';
    else if (this.budget.acceptedFrom(remote.address) >= limits.maxConnectionsPerIp) refused = 'per-ip';
    if (refused !== undefined) {
      socket.on('error', () => undefined);
      socket.destroy();
      if (refused === 'limit') this.counters.refusedLimit++;
      else this.counters.refusedPerIp++;
      this.options.logger.warn({ remote, limit: refused }, `${this.label} connection refused: limit reached`);
      this.options.onRefused(remote);
      return;
    }
    const conn = this.register(socket, undefined, remote, true);
    this.sockets.secure(socket, (stream) => {
      if (this.connections.get(conn.id) === conn) this.ready(conn, stream);
      else stream.destroy();
    });
  }

  private connect(target: RemoteInfo): Promise<Connection> {
    const key = remoteKey(target);
    const pending = this.connecting.get(key);
    if (pending !== undefined) return pending;
    if (this.connections.size + this.connecting.size >= this.options.limits.maxConnections) {
      return Promise.reject(
        new SipTransportError(`${this.label} connection limit reached`, SipTransportErrorCode.ConnectionLimit),
      );
    }
    const attempt = new Promise<Connection>((resolve, reject) => {
      const { socket, readyEvent } = this.sockets.open(target);
      let tcpConnected = false;
      socket.setTimeout(CONNECT_TIMEOUT_MS);
      socket.once('connect', () => (tcpConnected = true));
      const fail = (err: unknown): void => {
        socket.destroy();
        reject(this.sockets.openFailed(err, target, tcpConnected));
      };
      socket.once('error', fail);
      socket.once('timeout', () => fail(new Error('connect timeout')));
      socket.once(readyEvent, () => {
        socket.off('error', fail);
        socket.removeAllListeners('timeout');
        socket.setTimeout(0);
        if (this.closed) {
          fail(new Error('stack closed'));
          return;
        }
        const remote: RemoteInfo = { transport: this.sockets.transport, address: normalizeAddress(target.address), port: target.port };
        resolve(this.register(socket, socket, remote, false));
      });
    });
    this.connecting.set(key, attempt);
    const done = (): void => {
      this.connecting.delete(key);
    };
    attempt.then(done, done);
    return attempt;
  }

  /** A connection counted from now on; `stream` is its SIP stream when it is ready already (else see `ready`). */
  private register(raw: net.Socket, stream: net.Socket | undefined, remote: RemoteInfo, accepted: boolean): Connection {
    const id = this.nextId++;
    const { limits } = this.options;
    const idleTimer = setTimeout(() => {
      this.counters.closedIdle++;
      this.options.logger.debug({ remote }, `${this.label} connection idle; closing`);
      raw.destroy();
    }, limits.idleTimeoutMs);
    idleTimer.unref();
    const conn: Connection = {
      id,
      raw,
      socket: undefined,
      framer: new StreamFramer(this.options.maxMessageBytes),
      remote,
      key: remoteKey(remote),
      accepted,
      spoken: false,
      idleTimer,
      incompleteTimer: undefined,
    };
    this.connections.set(id, conn);
    this.budget.take(remote.address, accepted);
    if (accepted) {
      this.startIncompleteTimer(conn); // the handshake (TLS) and the first message must come, whole, in time
    }
    raw.setNoDelay(true);
    raw.on('error', (err) => this.options.logger.debug({ err, remote }, `${this.label} connection error`));
    raw.on('close', () => this.forget(conn));
    if (stream !== undefined) this.ready(conn, stream);
    return conn;
  }

  /** The connection carries SIP from now on: it is found for sending, and what it reads is framed. */
  private ready(conn: Connection, stream: net.Socket): void {
    conn.socket = stream;
    this.byRemote.set(conn.key, conn);
    if (stream !== conn.raw) {
      stream.on('error', (err) => this.options.logger.debug({ err, remote: conn.remote }, `${this.label} connection error`));
      stream.on('close', () => this.forget(conn));
    }
    stream.on('data', (chunk: Buffer) => this.receive(conn, chunk));
  }

  private forget(conn: Connection): void {
    clearTimeout(conn.idleTimer);
    clearTimeout(conn.incompleteTimer);
    if (this.connections.get(conn.id) !== conn) return;
    this.connections.delete(conn.id);
    if (this.byRemote.get(conn.key) === conn) this.byRemote.delete(conn.key);
    this.budget.release(conn.remote.address, conn.accepted);
  }

  private startIncompleteTimer(conn: Connection): void {
    clearTimeout(conn.incompleteTimer);
    conn.incompleteTimer = setTimeout(() => {
      this.counters.closedIncomplete++;
      this.options.logger.info({ remote: conn.remote, buffered: conn.framer.buffered, ready: conn.socket !== undefined }, `${this.label} message incomplete in time; closing`);
      conn.raw.destroy();
    }, this.options.limits.incompleteMessageTimeoutMs);
    conn.incompleteTimer.unref();
  }

  private receive(conn: Connection, chunk: Buffer): void {
    const stream = conn.socket;
    if (stream === undefined) return;
    let output: FramerOutput;
    try {
      output = conn.framer.push(chunk);
    } catch (err) {
      this.options.logger.info({ err, remote: conn.remote }, `${this.label} framing error; closing connection`);
      conn.raw.destroy();
      this.safely(() => this.options.onFramingError(err, conn.remote));
      return;
    }
    const inbound: InboundContext = { remote: conn.remote, connectionId: conn.id };
    if (output.messages.length > 0) conn.spoken = true;
    if (output.messages.length > 0 || (output.pings > 0 && conn.spoken)) conn.idleTimer.refresh();
    // A partial message (or, on a connection we accepted, the wait for the first one) runs against the clock;
    // the clock restarts when a message completes and the next one has begun.
    const waiting = conn.framer.buffered > 0 || (conn.accepted && !conn.spoken);
    if (!waiting) {
      clearTimeout(conn.incompleteTimer);
      conn.incompleteTimer = undefined;
    } else if (conn.incompleteTimer === undefined || output.messages.length > 0) {
      this.startIncompleteTimer(conn);
    }
    // RFC 5626 §3.5.1: answer each CRLFCRLF ping with a CRLF pong.
    for (let i = 0; i < output.pings; i++) stream.write(PONG);
    for (const message of output.messages) this.safely(() => this.options.onMessage(message, inbound));
  }

  private safely(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.options.logger.error({ err }, `${this.label} message handler threw`);
    }
  }
}

function remoteKey(remote: RemoteInfo): string {
  return `${normalizeAddress(remote.address)}|${remote.port}`;
}

function write(conn: Connection, buf: Buffer): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const failed = (err: unknown): void =>
      reject(new SipTransportError(`${conn.remote.transport.toUpperCase()} write to ${conn.key}`, SipTransportErrorCode.SendFailed, err));
    const socket = conn.socket;
    if (socket === undefined || socket.destroyed || !socket.writable) {
      failed(new Error('connection closed'));
      return;
    }
    socket.write(buf, (err) => (err ? failed(err) : resolve()));
  });
}
