/** One call as the media plane on one event loop holds it (local-plane.ts), and what moves its agent (agent-moves.ts). */
import type { Agent, StartMessage } from '@patchbay/agents';
import type { Logger } from 'pino';
import type { AgentLink } from '../agent/agent-link.js';
import type { DeferredSink } from '../agent/deferred-sink.js';
import type { ResumeTranscript } from '../agent-failover/watch.js';
import type { EndReason } from '../call/vocabulary.js';
import type { CallMedia } from '../media/call-media.js';
import type { MediaPorts } from '../media/port-pool.js';
import type { PreAnswerSources } from '../media/pre-answer-sources.js';
import type { CallMonitor } from '../monitor/mixer.js';
import type { MediaCallInfo } from './plane.js';

export interface PlaneCall {
  /** What the call was opened with; its plan is replaced when a bridged call goes back to an agent (takeBack). */
  info: MediaCallInfo;
  readonly ports: MediaPorts;
  /** Who sends to the ports before the answer (until the media starts). */
  readonly early: PreAnswerSources;
  readonly log: Logger;
  /** Its adapter agent, taken when the call opened or went back to its agent (a runtime adapter removed since stays this call's). */
  adapter: Agent | undefined;
  /** The conversation so far across every agent the call had (final transcript lines): what `start.resume` carries. */
  readonly transcript: ResumeTranscript;
  agent: AgentLink | undefined;
  /** The apology agent took the call (its agent was unreachable): its hangup ends the call as `agent-unavailable`. */
  fallback: boolean;
  /** The call is a bridged leg (its plan's agent is `bridge`, or `fallback('bridge')` made it one). */
  bridged: boolean;
  /** The `start` its agent was (or would have been) sent: the apology agent gets the same. */
  start: StartMessage | undefined;
  /** Holds what the agent sends until the media exists (late offers: at the ACK). */
  agentSink: DeferredSink | undefined;
  media: CallMedia | undefined;
  /** When the media started (performance.now()). */
  startedMs: number;
  /** Set by close(); a connect still in flight then closes what it opened. */
  endReason: EndReason | undefined;
  /**
   * A warm transfer's consultation (the caller's side): its agent talks to the person's leg `leg` meanwhile, and the
   * caller hears hold music (`agent` is then the hold agent). Undefined otherwise.
   */
  consult?: { readonly leg: string; readonly agent: AgentLink; readonly agentSink: DeferredSink } | undefined;
  /** The person's side of a consultation: the caller's call id. */
  consultOf?: string | undefined;
  /** A supervisor listens in (monitor/): its leg (a SIP call) or its WebSocket link, and the mixer. */
  monitor?: { readonly leg: string | undefined; readonly link: AgentLink | undefined; readonly mixer: CallMonitor; readonly agent?: boolean } | undefined;
  /** The supervisor's SIP leg: the monitored call's id. */
  monitorOf?: string | undefined;
}
