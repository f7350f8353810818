/**
 * The in-process agent interface. The gateway runs its built-in agents through it, `serveAgent` serves any agent over
 * the WebSocket protocol with it, and adapters (OpenAI Realtime …) implement it. It carries exactly the protocol's
 * messages: what an in-process agent can do, a remote one can do, and the other way round.
 */

import type { AgentMessage, GatewayMessage, StartMessage } from './protocol/messages.js';

export interface AgentContext {
  /** The call's `start` message. */
  readonly start: StartMessage;
  /**
   * Queues audio for the caller: PCM16 mono 24 kHz, any length, faster than real time is fine (the gateway re-chunks
   * and paces). The array is handed over: do not modify it afterwards (the gateway may queue it without copying).
   */
  sendAudio(pcm: Int16Array): void;
  /** mark / clear / hangup / dtmf. Ignored once the call has ended. */
  send(msg: AgentMessage): void;
  /** Aborted when the call ends (before `close()` is called). */
  readonly signal: AbortSignal;
}

export interface AgentSession {
  /**
   * One 20 ms frame (480 samples) of the caller's audio. The array is only valid during the call: copy it to keep
   * it (the gateway may reuse the buffer).
   */
  onAudio(frame: Int16Array): void;
  /** Every gateway message after `start`: dtmf, mark, cleared, error, stop. */
  onMessage(msg: GatewayMessage): void;
  /** The call has ended; release everything. Called once. */
  close(): void;
}

export interface Agent {
  readonly name: string;
  /** Called once per call, right after `start`. Must not throw for a well-formed start. */
  create(ctx: AgentContext): AgentSession;
}
