/**
 * The SIP stack façade: transports (RFC 3261 §18) and transactions (§17, RFC 6026) behind one object.
 *
 *   sockets ──► TransportLayer (parse, Via stamping, malformed answers) ──► TransactionLayer ──► TU callbacks
 *   TU ──► respond()/sendRequest()/sendStateless() ──► TransactionLayer / TransportLayer ──► sockets
 */
import { pino, type Logger } from 'pino';
import type { SipMessage, SipRequest } from './message.js';
import { resolveTimers } from './transaction/timers.js';
import { DEFAULT_MAX_TRANSACTIONS, TransactionLayer } from './transaction/transaction-layer.js';
import type { ClientTransaction, ServerTransaction } from './transaction/types.js';
import { TransportLayer } from './transport/transport-layer.js';
import { DEFAULT_MAX_MESSAGE_BYTES } from './parser.js';
import { SipTraffic } from './sip-traffic.js';
import { DEFAULT_TCP_LIMITS, type RemoteInfo, type TcpCounters, type TcpLimits } from './transport/types.js';
import type { BoundPorts } from './transport/transport-layer.js';
import type { TlsClientProfile, TlsCounters, TlsReloadResult, TlsServerSettings } from './transport/tls-transport.js';

export type { RemoteInfo } from './transport/types.js';
export type { TlsClientProfile, TlsReloadResult, TlsServerSettings } from './transport/tls-transport.js';
export type { ClientTransaction, ServerTransaction, TerminationReason } from './transaction/types.js';

export interface SipStackOptions {
  host: string;
  port: number;
  /** Default true. */
  udp?: boolean;
  /** Default true. */
  tcp?: boolean;
  /** Default 65,535. */
  maxMessageBytes?: number;
  timers?: { t1Ms?: number; t2Ms?: number; t4Ms?: number };
  logger?: Logger;
  /** TCP connection caps and timeouts (TLS connections too); each missing one takes its DEFAULT_TCP_LIMITS value. */
  tcpLimits?: Partial<TcpLimits>;
  /** SIP over TLS on its own port; unset: no TLS. */
  tls?: TlsServerSettings | undefined;
  /** How we connect over TLS to peers no trunk profile names; default: verified against the system's CAs. */
  tlsDefaultClient?: TlsClientProfile | undefined;
  /** Live transactions (server + client) before new requests get 503; default 20,000. */
  maxTransactions?: number;
  /** The edge's gate, asked before parsing each message (TransportLayerOptions.admit); false drops it silently. */
  admit?: (remote: RemoteInfo, bytes: Buffer) => boolean;
  /** The edge's gate for each accepted stream connection (TransportLayerOptions.admitConnection); false closes it. */
  admitConnection?: (remote: RemoteInfo) => boolean;
}

/**
 * Does this request (it has a To tag) belong to a dialog the TU carries? Asked synchronously before a transaction
 * is created for it; false gets a stateless 481 and leaves no state.
 */
export type DialogLookup = (req: SipRequest) => boolean;

export interface SipStackStats extends TcpCounters, TlsCounters {
  /** Messages received (parsed or not; CRLF keep-alives excluded). */
  readonly received: number;
  /** Messages that did not parse or frame. */
  readonly malformed: number;
  /** Messages dropped: malformed, refused connections, stray responses, requests over the transaction cap. */
  readonly dropped: number;
  /** Request retransmissions matched to a live server transaction. */
  readonly retransmissionsAbsorbed: number;
  /** Live transactions. */
  readonly transactions: number;
  /** Requests with a To tag that named no dialog, and CANCELs matching no INVITE: one stateless 481, no state. */
  readonly unknownDialog: number;
  /** Open TCP connections. */
  readonly tcpConnections: number;
  /** Open TLS connections (handshakes under way included). */
  readonly tlsConnections: number;
}

export class SipStack {
  /** A new request (not a retransmission, ACK or CANCEL), including methods the stack does not know. */
  onRequest?: (tx: ServerTransaction) => void;
  /** An ACK for a 2xx (no transaction), for the dialog layer. */
  onAck?: (ack: SipRequest, remote: RemoteInfo) => void;

  /**
   * The TU's dialogs, asked before a request with a To tag gets a transaction (see DialogLookup). Unset: such
   * requests are all served, and count against the transaction cap.
   */
  set isDialog(lookup: DialogLookup | undefined) {
    this.transactions.isDialog = lookup;
  }

  get isDialog(): DialogLookup | undefined {
    return this.transactions.isDialog;
  }

  /** Requests received and responses sent, by method and status (for metrics). */
  readonly traffic = new SipTraffic();
  private readonly logger: Logger;
  private readonly transport: TransportLayer;
  private readonly transactions: TransactionLayer;
  private closing: Promise<void> | undefined;

  constructor(options: SipStackOptions) {
    this.logger = options.logger ?? pino({ level: 'silent' });
    this.transport = new TransportLayer({
      host: options.host,
      port: options.port,
      udp: options.udp ?? true,
      tcp: options.tcp ?? true,
      maxMessageBytes: options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
      tcpLimits: { ...DEFAULT_TCP_LIMITS, ...options.tcpLimits },
      tls: options.tls,
      tlsDefaultClient: options.tlsDefaultClient,
      logger: this.logger,
      admit: options.admit,
      admitConnection: options.admitConnection,
      onRequest: (req, inbound) => {
        this.traffic.requestReceived(req.method);
        this.transactions.handleRequest(req, inbound);
      },
      onResponse: (res) => {
        this.transactions.handleResponse(res);
      },
    });
    this.transactions = new TransactionLayer({
      timers: resolveTimers(options.timers),
      logger: this.logger,
      maxTransactions: options.maxTransactions ?? DEFAULT_MAX_TRANSACTIONS,
      sendResponse: (res, inbound) => {
        this.traffic.responseSent(res);
        return this.transport.sendResponse(res, inbound);
      },
      sendRequest: (msg, target) => this.transport.sendTo(msg, target),
    });
    this.transactions.onRequest = (tx) => {
      const cb = this.onRequest;
      if (cb === undefined) throw new Error('SipStack.onRequest is not set');
      cb(tx);
    };
    this.transactions.onAck = (ack, remote) => this.onAck?.(ack, remote);
  }

  get stats(): SipStackStats {
    const t = this.transport.counters;
    const x = this.transactions.counters;
    return {
      received: t.received,
      malformed: t.malformed + x.rejected,
      dropped: t.dropped + x.rejected + x.strayResponses + x.overCapacity,
      retransmissionsAbsorbed: x.retransmissionsAbsorbed,
      transactions: this.transactions.size,
      unknownDialog: x.unknownDialog,
      tcpConnections: this.transport.tcpConnections,
      tlsConnections: this.transport.tlsConnections,
      ...this.transport.tcpCounters,
      ...this.transport.tlsCounters,
    };
  }

  listen(): Promise<BoundPorts> {
    return this.transport.listen();
  }

  /** Reads the TLS certificate files again (SIGHUP): new connections get them. Undefined without TLS. */
  reloadTls(): Promise<TlsReloadResult> | undefined {
    return this.transport.reloadTls();
  }

  /** How to connect over TLS to this address and port from now on (a trunk's `tls:`). No-op without TLS. */
  setTlsPeer(target: Pick<RemoteInfo, 'address' | 'port'>, profile: TlsClientProfile): void {
    this.transport.setTlsPeer(target, profile);
  }

  /** Stops every transaction (pending client transactions resolve 503) and closes the sockets. Idempotent. */
  close(): Promise<void> {
    if (this.closing === undefined) {
      this.transactions.close();
      this.closing = this.transport.close();
    }
    return this.closing;
  }

  /** Starts a client transaction. The caller builds the whole request, top Via and branch included. */
  sendRequest(req: SipRequest, target: RemoteInfo): ClientTransaction {
    return this.transactions.sendRequest(req, target);
  }

  /** Sends a message outside any transaction (2xx retransmissions, ACK for 2xx). Failures are logged. */
  sendStateless(msg: SipMessage, target: RemoteInfo): void {
    if (msg.kind === 'response') this.traffic.responseSent(msg);
    this.transport.sendTo(msg, target).catch((err: unknown) => {
      this.logger.warn({ err, target }, 'stateless send failed');
    });
  }

  localAddressFor(target: RemoteInfo): { address: string; port: number } {
    return this.transport.localAddressFor(target);
  }
}
