/**
 * Types shared by the SIP transports (RFC 3261 §18) and the layers above them.
 */

export type TransportName = 'udp' | 'tcp';

/** Where a message came from, or where one is to be sent. */
export interface RemoteInfo {
  readonly transport: TransportName;
  readonly address: string;
  readonly port: number;
}

/** A TCP connection id as handed out by the TCP transport; absent for UDP. */
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
