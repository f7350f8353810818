/**
 * What the call controller tells whoever watches its calls (traces and metrics): admission, dialling the agent,
 * the initial INVITE's outcome and the end. Every method is O(1) and must not throw into SIP handling.
 */
import type { AgentConnectReport } from '../media-plane/plane.js';
import type { Call } from './call.js';

export interface CallObserver {
  /** An initial INVITE became a call (before ports, agent and answer). */
  admitted(call: Call): void;
  /** Dialling the call's agent: resolves or rejects as `dialling` does. */
  agentConnect(call: Call, dialling: Promise<AgentConnectReport | undefined>): Promise<AgentConnectReport | undefined>;
  /** The ACK for our 2xx to the initial INVITE arrived. */
  confirmed(call: Call): void;
  /** A final non-2xx went out for an initial INVITE: refused (call undefined before admission) or cancelled (487). */
  inviteFailed(call: Call | undefined, status: number): void;
  /** The call ended (`call.endReason` set). */
  ended(call: Call): void;
}

/** Watches nothing. */
export const NO_OBSERVER: CallObserver = {
  admitted: () => undefined,
  agentConnect: (_call, dialling) => dialling,
  confirmed: () => undefined,
  inviteFailed: () => undefined,
  ended: () => undefined,
};
