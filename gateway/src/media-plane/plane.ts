/**
 * The media plane: everything a call does between RTP and its agent (ports, agent link, codecs, jitter buffer,
 * speech detection, playout), behind one small interface the SIP side drives by call id. It runs either on the
 * main event loop (`LocalMediaPlane`) or spread over worker threads (`WorkerMediaPlane`, `media.workers`), and the
 * call controller cannot tell which: every argument and event is plain data that crosses a thread boundary.
 */
import type { AgentTlsMaterial } from '../agent/agent-tls.js';
import type { SrtpFailure } from '../media/srtp/types.js';
import type { BridgeCommand, CancelConsultCommand, ConsultCommand, GatewayMessage } from '@patchbay/agents';
import type { CallPlan } from '../call/plan.js';
import type { EndReason } from '../call/vocabulary.js';
import type { BargeInStats } from '../media/barge-in.js';
import type { MonitorMode } from '../monitor/mixer.js';
import type { CallQuality } from '../media/call-quality.js';
import type { MediaTimelineEvent } from '../media/timeline.js';
import type { MediaTraceEvent } from '../media/turn-trace.js';
import type { HopState } from '../metrics/hop-metrics.js';
import type { NegotiatedMedia } from '../sdp/index.js';

/** A step of a warm transfer's consultation (`MediaPlane.consult`). */
export type ConsultStep =
  | { readonly kind: 'start'; readonly leg: string }
  | { readonly kind: 'end' }
  /** `listen`: the agent stays on the caller's call, hearing caller and person mixed (its audio is not played). */
  | { readonly kind: 'complete'; readonly listen?: boolean };

/**
 * A supervisor on a call (`MediaPlane.monitor`): `start` with its SIP leg (an answered, unjoined bridged leg in the
 * same place) or its WebSocket (`url`, dialled like an agent: it is sent the mix and may send audio), `mode` to
 * switch, `stop` to detach.
 */
export type MonitorStep =
  | { readonly kind: 'start'; readonly mode: MonitorMode; readonly leg: string; readonly agentStream?: boolean }
  | { readonly kind: 'start'; readonly mode: MonitorMode; readonly url: string; readonly agentStream?: boolean }
  | { readonly kind: 'mode'; readonly mode: MonitorMode }
  | { readonly kind: 'stop' };

/** How `MediaPlane.takeBack` went. */
export type TakeBackOutcome = 'agent' | 'apology' | 'none';

/**
 * The agent's warm-transfer commands, and the plane's word that the consulting agent's link closed in the middle of
 * a consultation (`agent_left`: not an agent message; the person on the line then takes the caller).
 */
export type WarmTransferCommand = ConsultCommand | BridgeCommand | CancelConsultCommand | { readonly type: 'agent_left'; readonly reason: string };

/** What the media plane needs to know about a call to dial its agent. */
export interface MediaCallInfo {
  readonly callId: string;
  /** The call's effective settings (agent, barge-in, speech, failure policy, parameters), resolved at admission. */
  readonly plan: CallPlan;
  /** The address the call's INVITE came from: RTP from it may be latched onto (`media.latch: signalling-ip`). */
  readonly signallingAddress: string;
  /** A call this one will be joined with (`join`): its media runs where that call's does (the same worker). */
  readonly near?: string | undefined;
}

/** What the plane tells the SIP side. */
export interface MediaPlaneEvents {
  /** End the call from our side (BYE): the agent hung up or went away, or the caller's RTP stopped. */
  hangup(callId: string, reason: EndReason): void;
  /**
   * The call's agent failed mid-call and every re-dial failed too (agent-failover/; `cause` from AGENT_FAILURE_CAUSES):
   * a stand-in plays a prompt and ringback meanwhile. The call core moves the chain on: `handOver` to a person, or
   * `fallback(callId, 'apology')`.
   */
  agentFailed(callId: string, cause: string): void;
  /** The agent's warm-transfer command (`consult`, `bridge`, `cancel_consult`), for the call core (forwarding/warm.ts). */
  warmTransfer(callId: string, msg: WarmTransferCommand): void;
  /** The agent asked to transfer the caller to `target` (its `transfer` command, unchanged). */
  transfer(callId: string, target: string): void;
  /**
   * A call's media closed: its barge-in outcomes for the per-number summary, and its quality (loss, jitter, delay,
   * estimated MOS) when its media had started.
   */
  ended(callId: string, pattern: string, bargeIn: BargeInStats, quality: CallQuality | undefined): void;
  /** A turn of the call, or a barge-in, timed for its trace (only when the plane was started with `trace`). */
  trace(callId: string, event: MediaTraceEvent): void;
  /** An entry of the call's timeline for its record (always on: a handful per turn, never per packet). */
  timeline(callId: string, event: MediaTimelineEvent): void;
}

/**
 * How dialling the agent went, as data (epoch ms: valid across threads). The plane decides nothing about SIP: for
 * `unreachable` (the plan's `onAgentFailure: reject`) the call core picks the answer (call/sip-answers.ts).
 */
export interface AgentConnectReport {
  startMs: number;
  endMs: number;
  /**
   * `connected`: the number's agent took the call. `fallback`: unreachable, and the caller gets the apology agent.
   * `unreachable`: unreachable, and the plan says to refuse the call (no agent runs).
   */
  outcome: 'connected' | 'fallback' | 'unreachable';
  /** Why it could not be reached (AgentConnectError code: AGENT_UNREACHABLE, AGENT_TIMEOUT, AGENT_TLS, ...; `tlsCode` with AGENT_TLS). */
  failure?: { code: string; message: string; tlsCode?: string };
}


/** The plane's share of `GET /stats` and `/metrics`: raw hop histograms (merged by the caller) and counters. */
export interface MediaPlaneStats {
  /** Monotonic: counts never reset (each histogram's max is its peak since the last new window). */
  hops: HopState;
  /** Media clock wake-ups ≥ 2 ticks (4 ms) late, since start: mild lateness, inside a packet time. */
  clockLateTicks: number;
  /** Media clock wake-ups ≥ one packet time (20 ms) late, since start: stalls callers hear as jitter. */
  clockStalls: number;
  portsInUse: number;
  activeCalls: number;
  /** Caller frames waiting in agent links' send queues, all calls together. */
  agentQueuedFrames: number;
  /** RTP/RTCP packets dropped because of their source (hijack attempts, stray streams), since start. */
  rtpRejectedPackets: number;
  /** Distinct sources those came from (counted per call, at most 1,024 each), since start. */
  rtpRejectedSources: number;
  /** SRTP/SRTCP packets refused and dropped, by failure (SRTP_FAILURES), since start. */
  srtpFailures: Record<SrtpFailure, number>;
}

/** An adapter block as in `numbers:` (`{adapter: openai-realtime, model: ..., apiKeyEnv: ...}`): plain data. */
export type AdapterBlock = { readonly adapter: string } & Readonly<Record<string, unknown>>;

/**
 * Adapter agents added and removed at runtime (numbers API, reloaded YAML, routing webhook answers), by key, in
 * every place the media runs (this thread, or each worker and any worker started later). A call takes its agent
 * when its media opens, so removing a key never touches a live call.
 */
export interface RuntimeAdapters {
  /** Builds `spec` where the media runs; rejects (naming every problem) if it cannot. */
  addAdapter(key: string, spec: AdapterBlock): Promise<void>;
  removeAdapter(key: string): void;
}

/** `agents.tls` changed (SIGHUP): the next `wss://` dials use it, in every thread that dials agents. */
export interface RuntimeAgentTls {
  setAgentTls(material: AgentTlsMaterial | undefined): void;
}

export interface MediaPlane {
  /** Binds the call's RTP/RTCP ports; the SDP advertises `rtpPort`. Throws PortPoolExhaustedError. */
  open(info: MediaCallInfo): Promise<{ rtpPort: number }>;
  /** Dials the agent before we answer; how it went, as data. Undefined when the call had already ended. */
  connect(callId: string): Promise<AgentConnectReport | undefined>;
  /**
   * Our SDP (the answer, or a late offer's offer) has just been sent: whoever is already sending to the call's ports
   * is not the caller, and its RTP is never accepted.
   */
  answered(callId: string): void;
  /** Starts RTP ↔ agent with the negotiated codec (at answer, or at the ACK of a late offer). */
  start(callId: string, negotiated: NegotiatedMedia): void;
  /**
   * The call's agent could not be reached (`connect` reported `unreachable`), and the call core goes on without it:
   * `bridge` makes the call a bridged leg (to be joined: forwarding after an agent failure), `apology` gives it the
   * apology agent. False when the call is gone, has an agent, or its media has started. After an agent failure
   * mid-call (`events.agentFailed`), `apology` replaces the stand-in.
   */
  fallback(callId: string, to: 'bridge' | 'apology'): Promise<boolean>;
  /**
   * A live call's agent leaves (it is sent `stop{reason: 'transferred'}`) and the call becomes a bridged leg, to be
   * joined with a person's (forwarding a live call). False when the call is gone, not started, or already bridged.
   */
  handOver(callId: string): Promise<boolean>;
  /**
   * The reverse of `handOver`: a bridged call whose person hung up gets an agent again, dialled from `plan` (the
   * call's plan before its bridge, call/plan.ts unbridgedPlan) with `start.resume{cause: 'person-hangup'}` carrying
   * the conversation its earlier agents had; barge-in and failover as that plan says. `apology`: the agent could not
   * be reached and the plan says `onAgentFailure: apology` (the apology plays and ends the call `agent-unavailable`);
   * `none`: the call is gone, not a started bridged leg, or the agent cannot be reached and the plan refuses (the
   * call core then ends it).
   */
  takeBack(callId: string, plan: CallPlan): Promise<TakeBackOutcome>;
  /**
   * Joins two bridged calls' media (both planned with agent kind `bridge`, both connected): each one's caller audio
   * and DTMF go to the other (bridge/junction.ts). Returns false when they cannot be joined (not both open, or not
   * in one worker).
   */
  join(a: string, b: string): Promise<boolean>;
  /**
   * A warm transfer's consultation (media-plane/agent-moves.ts), on the caller's call: `start` moves its agent to the
   * person's leg `leg` (an answered, unjoined bridged leg in the same place) and puts the caller on hold music; `end`
   * brings the agent back; `complete` closes the agent (`transferred`) and leaves both as bridged legs, to be joined.
   * A closing person's leg ends its consultation by itself. False when the step does not apply.
   */
  consult(callId: string, step: ConsultStep): Promise<boolean>;
  /**
   * A supervisor listens in on the call, whispers or barges (monitor/mixer.ts). False when the step does not apply
   * (no media, a supervisor already on, none to change, a WebSocket that cannot be reached).
   */
  monitor(callId: string, step: MonitorStep): Promise<boolean>;
  /** A re-INVITE changed the session. */
  update(callId: string, negotiated: NegotiatedMedia): void;
  /** DTMF that came by SIP INFO. */
  dtmf(callId: string, digit: string, durationMs: number): void;
  /** Sends DTMF to the other party (RFC 4733), as the agent's `dtmf` command does (the API's `/dtmf`). */
  sendDtmf(callId: string, digits: string, durationMs: number): void;
  /** Sends the call's agent a message from the SIP side (e.g. `error{code: 'transfer_failed'}`); dropped when gone. */
  tellAgent(callId: string, msg: GatewayMessage): void;
  /** Tells the agent why the call ended, stops the media and frees the ports. Idempotent. */
  close(callId: string, reason: EndReason): void;
  /** Hop histograms and counters; `newWindow` restarts the histograms' peaks (their counts never reset). */
  stats(newWindow: boolean): Promise<MediaPlaneStats>;
  /** Closes every call's media and stops the plane (workers exit). */
  shutdown(): Promise<void>;
}
