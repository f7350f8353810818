/**
 * The transport layer (RFC 3261 §18): UDP and TCP on one host/port, TLS on its own port (`tls`), parsing, Via stamping on inbound requests,
 * answers to malformed requests, and response routing. Everything that arrives is counted; nothing a peer sends
 * can throw out of a socket handler.
 */
import os from 'node:os';
import type { Logger } from 'pino';
import { SipErrorCode, SipParseError } from '../errors.js';
import type { SipMessage, SipRequest, SipResponse } from '../message.js';
import { headerName } from '../message.js';
import { parseMessage } from '../parser.js';
import { createResponse, randomToken } from '../response.js';
import { serializeMessage } from '../serialize.js';
import { ConnectionBudget, type StreamTransport } from './stream-transport.js';
import { TcpTransport } from './tcp-transport.js';
import { TlsTransport, type TlsClientProfile, type TlsCounters, type TlsReloadResult, type TlsServerSettings } from './tls-transport.js';
import { SipTransportError, SipTransportErrorCode } from './transport-error.js';
import {
  isReliable,
  normalizeAddress,
  type InboundContext,
  type RemoteInfo,
  type TcpCounters,
  type TcpLimits,
  type TransportCounters,
  type TransportName,
} from './types.js';
import { UdpTransport } from './udp-transport.js';
import { responseTarget, responseVia, stampTopVia } from './via-routing.js';

const BIND_ATTEMPTS = 5;
const REQUIRED_FOR_ANSWER = ['via', 'from', 'to', 'call-id', 'cseq'];
/**
 * A Request-Line as far as an answer needs it: any SIP version, so a `SIP/7.0` request (RFC 4475 "badvers") gets
 * its 505, and a Request-URI with whitespace in it ("lwsruri") its 400.
 */
const REQUEST_LINE = /^([A-Za-z0-9.!%*_+`'~-]+)[ \t]+(\S.*?)[ \t]+SIP\/[0-9]+\.[0-9]+[ \t]*$/i;

export interface TransportLayerOptions {
  readonly host: string;
  readonly port: number;
  readonly udp: boolean;
  readonly tcp: boolean;
  readonly maxMessageBytes: number;
  readonly tcpLimits: TcpLimits;
  /** SIP over TLS on its own port (tls-transport.ts); the TCP limits apply to its connections too. Unset: no TLS. */
  readonly tls?: TlsServerSettings | undefined;
  /** How we connect over TLS to peers no trunk profile names (TlsTransport.setPeer); default: verified against the system's CAs. */
  readonly tlsDefaultClient?: TlsClientProfile | undefined;
  readonly logger: Logger;
  /**
   * The edge's gate (per-source limits, ban list, allow-list): asked for every datagram and every framed stream
   * message before any parsing work; false drops it silently (no answer), counted in `counters.gated`. Unset:
   * everything is admitted.
   */
  readonly admit?: ((remote: RemoteInfo, bytes: Buffer) => boolean) | undefined;
  /** The edge's gate for each accepted TCP (and TLS) connection, before any state is kept; false closes it. Unset: all admitted. */
  readonly admitConnection?: ((remote: RemoteInfo) => boolean) | undefined;
  readonly onRequest: (req: SipRequest, inbound: InboundContext) => void;
  readonly onResponse: (res: SipResponse, inbound: InboundContext) => void;
}

export interface BoundPorts {
  udpPort?: number;
  tcpPort?: number;
  tlsPort?: number;
}

export class TransportLayer {
  readonly counters: TransportCounters = { received: 0, malformed: 0, dropped: 0, gated: 0 };
  private udp: UdpTransport | undefined;
  private tcp: TcpTransport | undefined;
  private tls: TlsTransport | undefined;
  /** TCP and TLS count their connections against one budget: the limits bound a source across both. */
  private readonly streamBudget = new ConnectionBudget();

  constructor(private readonly options: TransportLayerOptions) {}

  get tcpConnections(): number {
    return this.tcp?.connectionCount ?? 0;
  }

  get tlsConnections(): number {
    return this.tls?.connectionCount ?? 0;
  }

  /** Stream connections (TCP and TLS together) refused and closed by the limits. */
  get tcpCounters(): TcpCounters {
    const out: TcpCounters = { tcpRefusedLimit: 0, tcpRefusedPerIp: 0, tcpClosedIdle: 0, tcpClosedIncomplete: 0 };
    for (const t of [this.tcp, this.tls]) {
      if (t === undefined) continue;
      out.tcpRefusedLimit += t.counters.refusedLimit;
      out.tcpRefusedPerIp += t.counters.refusedPerIp;
      out.tcpClosedIdle += t.counters.closedIdle;
      out.tcpClosedIncomplete += t.counters.closedIncomplete;
    }
    return out;
  }

  /** TLS handshake and connect failures (zeros without TLS). */
  get tlsCounters(): TlsCounters {
    return this.tls?.tlsCounters ?? { tlsHandshakeFailures: 0, tlsConnectFailures: 0 };
  }

  /** Reads the TLS certificate files again (SIGHUP); undefined without TLS. */
  reloadTls(): Promise<TlsReloadResult> | undefined {
    return this.tls?.reload();
  }

  /** How to connect over TLS to this address and port (a trunk's `tls:`). No-op without TLS. */
  setTlsPeer(target: Pick<RemoteInfo, 'address' | 'port'>, profile: TlsClientProfile): void {
    this.tls?.setPeer(target, profile);
  }

  /**
   * Binds the enabled transports. With port 0 and both enabled, UDP takes an ephemeral port and TCP the same
   * number, retrying with a new port when TCP finds it in use.
   */
  async listen(): Promise<BoundPorts> {
    const bound = await this.listenUdpTcp();
    if (this.options.tls === undefined) return bound;
    try {
      return { ...bound, tlsPort: await this.listenTls(this.options.tls) };
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  private async listenUdpTcp(): Promise<BoundPorts> {
    const { host, port } = this.options;
    if (this.udp !== undefined || this.tcp !== undefined || this.tls !== undefined) {
      throw new SipTransportError('already listening', SipTransportErrorCode.NotListening);
    }
    if (!this.options.udp) return this.options.tcp ? { tcpPort: await this.listenTcp(port) } : {};
    for (let attempt = 1; ; attempt++) {
      const udp = new UdpTransport({ logger: this.options.logger, onDatagram: (b, r) => this.onDatagram(b, r) });
      const udpPort = await udp.bind(host, port);
      this.udp = udp;
      if (!this.options.tcp) return { udpPort };
      try {
        return { udpPort, tcpPort: await this.listenTcp(udpPort) };
      } catch (err) {
        if (port !== 0 || attempt >= BIND_ATTEMPTS || !isAddressInUse(err)) {
          await this.close();
          throw err;
        }
        this.udp = undefined;
        await udp.close();
      }
    }
  }

  async close(): Promise<void> {
    const { udp, tcp, tls } = this;
    this.udp = undefined;
    this.tcp = undefined;
    this.tls = undefined;
    await Promise.all([udp?.close(), tcp?.close(), tls?.close()]);
  }

  /** Sends a request (or ACK, or a stateless message) to an explicit target. */
  async sendTo(msg: SipMessage, target: RemoteInfo): Promise<void> {
    const buf = serializeMessage(msg);
    if (isReliable(target.transport)) {
      await this.requireStream(target.transport).send(buf, target);
      return;
    }
    await this.requireUdp().send(buf, target.address, target.port);
  }

  /**
   * Sends a response towards the request's origin (RFC 3261 §18.2.2, RFC 3581 §4): on TCP or TLS over the request's
   * connection while it is open, else to received/sent-by; on UDP to received (else sent-by) and rport (else
   * the sent-by port). A top Via that does not parse (RFC 4475 "badinv01", answered 400) cannot say where: the
   * response goes back to the request's source, one message, no bigger than the request was.
   */
  async sendResponse(res: SipResponse, inbound: InboundContext): Promise<void> {
    let target: RemoteInfo;
    try {
      target = responseTarget(responseVia(res), inbound.remote.transport);
    } catch (err) {
      if (!(err instanceof SipParseError)) throw err;
      target = inbound.remote;
    }
    const buf = serializeMessage(res);
    if (isReliable(target.transport)) {
      await this.requireStream(target.transport).send(buf, target, inbound.connectionId);
      return;
    }
    await this.requireUdp().send(buf, target.address, target.port);
  }

  /** The address and port to put in Via and Contact for messages to `target`. */
  localAddressFor(target: RemoteInfo): { address: string; port: number } {
    if (target.transport === 'tls') {
      return { address: localAddress(this.options.host, target.address), port: this.tls?.port ?? this.options.tls?.port ?? this.options.port };
    }
    const port = (target.transport === 'tcp' ? this.tcp?.port : this.udp?.port) ?? this.udp?.port ?? this.tcp?.port;
    return { address: localAddress(this.options.host, target.address), port: port ?? this.options.port };
  }

  private async listenTcp(port: number): Promise<number> {
    const tcp = new TcpTransport(this.streamOptions());
    const bound = await tcp.listen(this.options.host, port);
    this.tcp = tcp;
    return bound;
  }

  /** TLS on its own port; the certificate files are read (and checked) here. */
  private async listenTls(settings: TlsServerSettings): Promise<number> {
    const tls = new TlsTransport(settings, { ...this.streamOptions(), ...(this.options.tlsDefaultClient === undefined ? {} : { defaultClient: this.options.tlsDefaultClient }) });
    const bound = await tls.listen(this.options.host, settings.port);
    this.tls = tls;
    return bound;
  }

  private streamOptions(): ConstructorParameters<typeof TcpTransport>[0] {
    return {
      logger: this.options.logger,
      limits: this.options.tcpLimits,
      maxMessageBytes: this.options.maxMessageBytes,
      onMessage: (buf, inbound) => this.onMessage(buf, inbound, false),
      onFramingError: () => {
        this.counters.received++;
        this.counters.malformed++;
        this.counters.dropped++;
      },
      onRefused: () => {
        this.counters.dropped++;
      },
      admitConnection: this.options.admitConnection,
      budget: this.streamBudget,
    };
  }

  private onDatagram(buf: Buffer, remote: RemoteInfo): void {
    if (isKeepAlive(buf)) return;
    this.onMessage(buf, { remote }, true);
  }

  private onMessage(buf: Buffer, inbound: InboundContext, datagram: boolean): void {
    this.counters.received++;
    const admit = this.options.admit;
    if (admit !== undefined && !admit(inbound.remote, buf)) {
      this.counters.gated++;
      return;
    }
    let msg: SipMessage;
    try {
      msg = parseMessage(buf, { maxMessageBytes: this.options.maxMessageBytes, datagram });
    } catch (err) {
      this.rejectMalformed(err, inbound);
      return;
    }
    if (msg.kind === 'request') {
      try {
        stampTopVia(msg, inbound.remote);
      } catch (err) {
        // RFC 4475 "badinv01": the request parses but its top Via does not; it still gets its 400.
        const partial = { startLine: `${msg.method} ${msg.uri} SIP/2.0`, headers: msg.headers };
        const code = SipErrorCode.InvalidHeader;
        this.rejectMalformed(new SipParseError(400, 'Bad Request - Malformed Via', { code, cause: err, partial }), inbound);
        return;
      }
    }
    try {
      if (msg.kind === 'request') this.options.onRequest(msg, inbound);
      else this.options.onResponse(msg, inbound);
    } catch (err) {
      this.options.logger.error({ err }, 'SIP message handler threw');
    }
  }

  /**
   * Counts a message that did not parse and, when it was a request whose Via, From, To, Call-ID and CSeq
   * survived, answers it with the parse error's status and reason (e.g. `400 Bad Request - Missing
   * Content-Length`).
   */
  private rejectMalformed(err: unknown, inbound: InboundContext): void {
    this.counters.malformed++;
    this.counters.dropped++;
    this.options.logger.debug({ err, remote: inbound.remote }, 'malformed SIP message');
    if (!(err instanceof SipParseError) || err.partial === undefined) return;
    const match = REQUEST_LINE.exec(err.partial.startLine ?? '');
    const method = match?.[1];
    const uri = match?.[2];
    if (method === undefined || uri === undefined || method === 'ACK') return;
    const present = new Set(err.partial.headers.map((h) => headerName(h.name)));
    if (!REQUIRED_FOR_ANSWER.every((name) => present.has(name))) return;
    const req: SipRequest = { kind: 'request', method, uri, headers: [...err.partial.headers], body: Buffer.alloc(0) };
    try {
      stampTopVia(req, inbound.remote);
    } catch {
      // An unparseable top Via: sendResponse answers the source instead.
    }
    let res: SipResponse;
    try {
      res = createResponse(req, err.status, { reason: err.reason, toTag: randomToken() });
    } catch (buildErr) {
      this.options.logger.debug({ err: buildErr }, 'cannot answer malformed request');
      return;
    }
    this.sendResponse(res, inbound).catch((sendErr: unknown) => {
      this.options.logger.debug({ err: sendErr }, 'answer to malformed request not delivered');
    });
  }

  private requireUdp(): UdpTransport {
    if (this.udp === undefined) throw new SipTransportError('UDP not listening', SipTransportErrorCode.NotListening);
    return this.udp;
  }

  /** The stream transport for a reliable transport name. */
  private requireStream(transport: TransportName): StreamTransport {
    if (transport === 'tcp' && this.tcp !== undefined) return this.tcp;
    if (transport === 'tls' && this.tls !== undefined) return this.tls;
    throw new SipTransportError(`${transport.toUpperCase()} not listening`, SipTransportErrorCode.NotListening);
  }
}

function isKeepAlive(buf: Buffer): boolean {
  for (const byte of buf) if (byte !== 0x0d && byte !== 0x0a) return false;
  return true;
}

function isAddressInUse(err: unknown): boolean {
  const cause = err instanceof Error ? err.cause : undefined;
  return typeof cause === 'object' && cause !== null && 'code' in cause && cause.code === 'EADDRINUSE';
}

/** Our address as seen from `remote`: the bound host, or for a wildcard bind a loopback or first external IP. */
function localAddress(boundHost: string, remote: string): string {
  const host = normalizeAddress(boundHost);
  if (host !== '0.0.0.0' && host !== '::' && host !== '') return host;
  const peer = normalizeAddress(remote);
  if (peer === '::1') return '::1';
  if (peer.startsWith('127.')) return '127.0.0.1';
  for (const list of Object.values(os.networkInterfaces())) {
    for (const info of list ?? []) if (info.family === 'IPv4' && !info.internal) return info.address;
  }
  return '127.0.0.1';
}
