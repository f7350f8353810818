/**
 * Types shared by the SIP transports (RFC 3261 §18) and the layers above them.
 */

/**
 * The SIP transports, one table: what each is called on the wire (Via, `;transport=`), whether it is reliable
 * (RFC 3261 §17: no retransmissions, Timer A/E/G off, Timer K/D zero) and whether it is encrypted (`sips:`).
 * Every check of a transport goes through `isReliable`/`isSecure`, never `=== 'tcp'`.
 */
export const SIP_TRANSPORTS = {
  udp: { via: 'UDP', reliable: false, secure: false, defaultPort: 5060 },
  tcp: { via: 'TCP', reliable: true, secure: false, defaultPort: 5060 },
  tls: { via: 'TLS', reliable: true, secure: true, defaultPort: 5061 },
} as const;

export type TransportName = keyof typeof SIP_TRANSPORTS;

/** A stream transport (TCP, TLS): no retransmissions, responses over the request's connection. */
export function isReliable(transport: TransportName): boolean {
  return SIP_TRANSPORTS[transport].reliable;
}

/** An encrypted transport (TLS): `sips:` URIs need it. */
export function isSecure(transport: TransportName): boolean {
  return SIP_TRANSPORTS[transport].secure;
}

/** The transport as Via writes it: `UDP`, `TCP`, `TLS`. */
export function viaTransport(transport: TransportName): string {
  return SIP_TRANSPORTS[transport].via;
}

/** The URI parameter naming the transport: none for UDP (the default), `;transport=tcp`, `;transport=tls`. */
export function uriTransportParam(transport: TransportName): string {
  return transport === 'udp' ? '' : `;transport=${transport}`;
}

/** The transport a Via or URI names (case-insensitive), or undefined when it is not one we speak. */
export function transportNamed(token: string): TransportName | undefined {
  const t = token.toLowerCase();
  return t === 'udp' || t === 'tcp' || t === 'tls' ? t : undefined;
}

/** Where a message came from, or where one is to be sent. */
export interface RemoteInfo {
  readonly transport: TransportName;
  readonly address: string;
  readonly port: number;
}

/** A stream connection id as handed out by the TCP or TLS transport; absent for UDP. */
export type ConnectionId = number;

/** The transport a message arrived on, so responses can go back the same way (RFC 3261 §18.2.2). */
export interface InboundContext {
  readonly remote: RemoteInfo;
  /** The TCP connection the message arrived on. */
  readonly connectionId?: ConnectionId;
}

/** Counters kept by the transport layer; the stack adds the transaction figures. */
export interface TransportCounters {
  received: number;
  malformed: number;
  dropped: number;
  /** Messages the edge's gate refused before parsing (silently dropped). */
  gated: number;
}

export const DEFAULT_SIP_PORT = 5060;

/**
 * Bounds on TCP connections, so that no source can hold the gateway's connections or CPU:
 * - `maxConnections`: open connections in all (accepted and opened by us); more incoming ones are refused.
 * - `maxConnectionsPerIp`: accepted connections from one source address; more from it are refused while other
 *   sources still connect. Connections we open do not count against it.
 * - `idleTimeoutMs`: a connection that carries no complete SIP message, either way, for this long is closed.
 *   CRLF keep-alive pings (RFC 5626 §3.5.1) count only once the peer has sent a SIP message on the connection,
 *   so a peer that only pings cannot hold a slot, while a phone that keeps its flow alive during a call can.
 * - `incompleteMessageTimeoutMs`: a message must arrive whole within this long of its first byte, and an accepted
 *   connection must deliver its first message within this long of opening; else the connection is closed.
 */
export interface TcpLimits {
  readonly maxConnections: number;
  readonly maxConnectionsPerIp: number;
  readonly idleTimeoutMs: number;
  readonly incompleteMessageTimeoutMs: number;
}

export const DEFAULT_TCP_LIMITS: TcpLimits = {
  maxConnections: 1000,
  maxConnectionsPerIp: 50,
  idleTimeoutMs: 5 * 60_000,
  incompleteMessageTimeoutMs: 10_000,
};

/** Why TCP connections were refused or closed by the transport (counters, for GET /stats). */
export interface TcpCounters {
  /** Incoming connections refused because `maxConnections` was reached. */
  tcpRefusedLimit: number;
  /** Incoming connections refused because their source had `maxConnectionsPerIp` open. */
  tcpRefusedPerIp: number;
  /** Connections closed after `idleTimeoutMs` without a SIP message. */
  tcpClosedIdle: number;
  /** Connections closed because a message (or the first one) did not arrive whole in time. */
  tcpClosedIncomplete: number;
}

/** Strip IPv6 brackets and the IPv4-mapped prefix so addresses compare equal however they were written. */
export function normalizeAddress(address: string): string {
  let a = address.trim().toLowerCase();
  if (a.startsWith('[') && a.endsWith(']')) a = a.slice(1, -1);
  if (a.startsWith('::ffff:') && a.includes('.')) a = a.slice('::ffff:'.length);
  return a;
}
