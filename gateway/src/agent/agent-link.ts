/**
 * The gateway's side of one call's agent, whatever carries it: an in-process built-in or a WebSocket. The media
 * engine talks only to this interface, with the protocol's own message types.
 */
import type { AgentMessage, GatewayMessage, StopReasonValue } from '@patchbay/agents';

/** What the link delivers to the call. */
export interface AgentSink {
  /** Agent audio: PCM16 at 24 kHz, any length. */
  onAudio(pcm: Int16Array): void;
  onMessage(msg: AgentMessage): void;
  /** The agent went away (closed, crashed, timed out); `reason` is a stable code such as `agent_closed`. */
  onClose(reason: string): void;
}

/**
 * How an agent's socket closed, as `AgentSink.onClose` says it: `agent_closed` for a clean close (1000, or a close
 * frame without a code), which ends the call as the agent's choice; `agent_dropped` for anything else (the TCP
 * connection lost without a close frame 1006, the agent's server failing 1011 or going away 1001/1012): a failure,
 * which agent failover recovers from (agent-failover/).
 */
export function closeReason(code: number): 'agent_closed' | 'agent_dropped' {
  return code === 1000 || code === 1005 ? 'agent_closed' : 'agent_dropped';
}

export interface AgentLinkStats {
  /** Caller frames dropped because the agent did not keep up (uplink queue full). */
  uplinkDroppedFrames: number;
  /** Malformed messages from the agent, answered with `error{code: 'bad_message'}`. */
  badMessages: number;
}

export interface AgentLink {
  readonly kind: 'in-process' | 'websocket' | 'bridge';
  /** One 20 ms caller frame (480 samples). Never blocks: a full queue drops the oldest audio and tells the agent. */
  sendAudio(frame: Int16Array): void;
  send(msg: GatewayMessage): void;
  /** Sends `stop{reason}` and closes. Idempotent; no `onClose` follows. */
  close(reason: StopReasonValue): void;
  readonly stats: AgentLinkStats;
  /** Caller frames waiting in the link's own send queue (behind a socket that is not draining); 0 in process. */
  readonly queuedFrames: number;
}

/** Why an agent could not be reached. `AGENT_TLS`: a `wss://` agent's TLS failed (certificate not verified, handshake refused). */
export const AGENT_CONNECT_ERRORS = ['AGENT_UNREACHABLE', 'AGENT_TIMEOUT', 'AGENT_REFUSED', 'AGENT_UNKNOWN', 'AGENT_TLS'] as const;
export type AgentConnectErrorCode = (typeof AGENT_CONNECT_ERRORS)[number];

export class AgentConnectError extends Error {
  constructor(
    readonly code: AgentConnectErrorCode,
    message: string,
    options?: ErrorOptions & { tlsCode?: string },
  ) {
    super(message, options);
    if (options?.tlsCode !== undefined) this.tlsCode = options.tlsCode;
  }

  /** With `AGENT_TLS`: Node's TLS error code (`UNABLE_TO_VERIFY_LEAF_SIGNATURE`, `CERT_HAS_EXPIRED`, ...). */
  readonly tlsCode?: string;
}
