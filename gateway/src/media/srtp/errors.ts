/**
 * The SRTP library's programming errors (a key of the wrong length, a packet we were asked to protect that is not
 * RTP). Received packets never throw: they unprotect to `{ ok: false, failure }` (see `SRTP_FAILURES`).
 */

export const SRTP_ERROR_CODES = {
  /** A master key or salt whose length does not match its suite (RFC 4568 §6.2, RFC 7714 §12). */
  SRTP_KEY_LENGTH: 'master key or salt of the wrong length for the suite',
  /** `protectRtp`/`protectRtcp` was given bytes that are not an RTP/RTCP packet (our own sender's bug). */
  SRTP_NOT_A_PACKET: 'asked to protect bytes that are not an RTP or RTCP packet',
  /** The replay window option is out of range (64 to 32768 packets). */
  SRTP_BAD_OPTION: 'invalid SRTP session option',
} as const;

export type SrtpErrorCode = keyof typeof SRTP_ERROR_CODES;

export class SrtpError extends Error {
  override readonly name = 'SrtpError';

  constructor(
    readonly code: SrtpErrorCode,
    detail: string,
  ) {
    super(`${SRTP_ERROR_CODES[code]}: ${detail}`);
  }
}
