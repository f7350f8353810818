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
export const DEFAULT_MAX_TCP_CONNECTIONS = 1000;
export const DEFAULT_TCP_IDLE_MS = 5 * 60_000;

/** Strip IPv6 brackets and the IPv4-mapped prefix so addresses compare equal however they were written. */
export function normalizeAddress(address: string): string {
  let a = address.trim().toLowerCase();
  if (a.startsWith('[') && a.endsWith(']')) a = a.slice(1, -1);
  if (a.startsWith('::ffff:') && a.includes('.')) a = a.slice('::ffff:'.length);
  return a;
}
