/** The SRTP library's public surface (pure: packets and keys; nothing of SIP, SDP or sockets). */
export * from './types.js';
export { SrtpError, SRTP_ERROR_CODES, type SrtpErrorCode } from './errors.js';
export {
  createSrtpSession,
  DEFAULT_REPLAY_WINDOW,
  rtpHeaderLength,
  type CountedSrtpSession,
  type SrtpCounters,
  type SrtpSessionOptions,
} from './session.js';
