/**
 * Why a call's Realtime session ended it (logged as `code` with the `agent_error` hang-up). Stable: alert on them.
 */
export const RealtimeFailureCode = {
  /** The socket could not be opened (refused, timed out, upgrade refused: wrong key, wrong URL) or closed mid-call. */
  SocketClosed: 'REALTIME_SOCKET_CLOSED',
  /** The API refused the session configuration (`session.update`): a bad voice, model or option. */
  SessionRefused: 'REALTIME_SESSION_REFUSED',
  /** The call's audio is not PCM16 24 kHz. */
  BadAudioFormat: 'REALTIME_BAD_AUDIO_FORMAT',
  /** The adapter threw while handling an event (a bug): the call ends, the gateway goes on. */
  Fault: 'REALTIME_ADAPTER_FAULT',
} as const;

export type RealtimeFailureCodeValue = (typeof RealtimeFailureCode)[keyof typeof RealtimeFailureCode];
