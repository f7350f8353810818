/**
 * Transport failures. They map to 503 (RFC 3261 §8.1.3.1: a transport error is treated as a 503), so a client
 * transaction can hand the TU a synthesised response with the same status.
 */
import { SipError } from '../errors.js';

export const SipTransportErrorCode = {
  /** The socket could not be bound or is not listening. */
  NotListening: 'SIP_TRANSPORT_NOT_LISTENING',
  /** Sending failed: connection refused or reset, unreachable host, closed socket. */
  SendFailed: 'SIP_TRANSPORT_SEND_FAILED',
  /** The TCP connection limit is reached. */
  ConnectionLimit: 'SIP_TRANSPORT_CONNECTION_LIMIT',
  /** A response has no Via to route it by. */
  Unroutable: 'SIP_TRANSPORT_UNROUTABLE',
  /** The stack was closed. */
  Closed: 'SIP_TRANSPORT_CLOSED',
  /**
   * A TLS connection we opened failed after TCP connected: the handshake failed or the peer's certificate did not
   * verify (untrusted, expired, wrong name). Never retried without TLS.
   */
  TlsFailed: 'SIP_TRANSPORT_TLS_FAILED',
  /** The TLS certificate, key or CA file cannot be read or used (at start; a reload keeps the running ones). */
  TlsCredentials: 'SIP_TRANSPORT_TLS_CREDENTIALS',
} as const;

export type SipTransportErrorCodeValue = (typeof SipTransportErrorCode)[keyof typeof SipTransportErrorCode];

export class SipTransportError extends SipError {
  constructor(detail: string, code: SipTransportErrorCodeValue, cause?: unknown) {
    super(503, `Service Unavailable - ${detail}`, cause === undefined ? { code } : { code, cause });
    this.name = 'SipTransportError';
  }
}
