/** Errors of the LiveKit adapter while a call runs, with stable codes, and the reasons it gives when it hangs up. */

export const LiveKitErrorCode = {
  /** Joining the room failed (bad URL, rejected token, unreachable server). */
  ConnectFailed: 'LIVEKIT_CONNECT_FAILED',
  /** Publishing the caller's audio track failed. */
  PublishFailed: 'LIVEKIT_PUBLISH_FAILED',
  /** A frame from LiveKit was not PCM16 mono 24 kHz. */
  BadFrame: 'LIVEKIT_BAD_FRAME',
} as const;
export type LiveKitErrorCodeValue = (typeof LiveKitErrorCode)[keyof typeof LiveKitErrorCode];

export class LiveKitAdapterError extends Error {
  override readonly name = 'LiveKitAdapterError';
  constructor(
    readonly code: LiveKitErrorCodeValue,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** `reason` of the `hangup` the adapter sends when the LiveKit side ends the call. */
export const LiveKitHangupReason = {
  /** The agent participant left the room (a LiveKit agent hangs up by leaving or deleting the room). */
  AgentLeft: 'livekit_agent_left',
  /** The room disconnected us (room deleted, server gone, we were removed). */
  RoomDisconnected: 'livekit_room_disconnected',
  /** The room could not be joined, or the caller's track not published. */
  ConnectFailed: 'livekit_connect_failed',
  /** No agent published audio within `agentTimeoutMs`. */
  AgentTimeout: 'livekit_agent_timeout',
} as const;
export type LiveKitHangupReasonValue = (typeof LiveKitHangupReason)[keyof typeof LiveKitHangupReason];
