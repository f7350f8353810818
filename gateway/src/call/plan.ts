/**
 * A call's effective settings, resolved once at admission from its number's route over the configuration's
 * defaults, into plain data: the call controller, the media plane (which may be another thread) and the agent link
 * read the plan, and nothing downstream writes `route.x ?? config.y` again. `resolvePlan` is the only place the
 * per-number overrides meet their defaults (plan.test.ts covers each one).
 */
import type { BuiltinAgentName } from '@patchbay/agents';
import { AGENT_PROTOCOLS, BUILTIN_AGENTS, type Config, type NumberRouteConfig } from '../config.js';
import type { CODECS } from '../config-media.js';
import type { PersonHangupAction } from '../forwarding/config.js';
import type { RoutingDecision } from '../records/record.js';
import type { SrtpSuite } from '../media/srtp/types.js';
import type { SrtpPolicy } from '../sdp/index.js';

export type CallDirection = 'inbound' | 'outbound';
export type AgentProtocol = (typeof AGENT_PROTOCOLS)[number];
export type CodecName = (typeof CODECS)[number];
export type BargeInMode = NonNullable<NumberRouteConfig['bargeIn']>;
export type SpeechSettings = NonNullable<NumberRouteConfig['speech']>;
export type TransferLists = Config['transfer'];

/** Who takes the call. */
export type AgentPlan =
  /** A built-in agent run in-process (`echo`, `demo`). */
  | { readonly kind: 'builtin'; readonly name: BuiltinAgentName }
  /** A WebSocket agent: protocol v1 (`patchbay`) or Twilio Media Streams (`twilio`). */
  | { readonly kind: 'url'; readonly url: string; readonly protocol: AgentProtocol }
  /** An in-process adapter (`agent: { adapter: openai-realtime, ... }`), built at start-up for the pattern naming it. */
  | {
      readonly kind: 'adapter';
      readonly adapter: string;
      readonly pattern: string;
      /** The adapter agent's key where the media runs when not `pattern` (runtime numbers, webhook answers: numbers/). */
      readonly key?: string;
    }
  /**
   * Another call leg: the media plane joins the two calls' audio and DTMF (`MediaPlane.join`; bridge/). `peer`: the
   * other leg's call id once known (a forwarded caller's leg learns it when a person answers).
   */
  | { readonly kind: 'bridge'; readonly peer: string | undefined }
  /** A name that is none of these (the config check stops it; a plan from elsewhere fails when dialled). */
  | { readonly kind: 'unknown'; readonly name: string };

export interface CallPlan {
  readonly direction: CallDirection;
  /** The caller and the called number, normalised (personal data: redact in logs). */
  readonly from: string;
  readonly to: string;
  /** The routing pattern that matched (`+1555*`): names the number in stats, traces and the API. */
  readonly pattern: string;
  readonly trunk: string | undefined;
  readonly agent: AgentPlan;
  /** Custom parameters for the agent's `start`. */
  readonly parameters: Readonly<Record<string, string>>;
  /** Codec preference for the SDP: the trunk's, else `media.codecs`. */
  readonly codecs: readonly CodecName[];
  readonly ptimeMs: number;
  /** SRTP: the number's `srtp`, else its trunk's, else `media.srtp`; the suites are `media.srtpSuites`. */
  readonly srtp: { readonly policy: SrtpPolicy; readonly suites: readonly SrtpSuite[] };
  /** The number's, else off for `echo` and for Twilio-protocol agents (Twilio semantics: only `clear` stops audio), else `media.bargeIn`. */
  readonly bargeIn: BargeInMode;
  /** `media.speech` with the number's `speech` over it, key by key. */
  readonly speech: SpeechSettings;
  /** What happens when the agent cannot be reached: refuse with `rejectStatus` (503 with Retry-After, or 480), or answer with the apology. */
  readonly onAgentFailure: 'reject' | 'apology';
  readonly rejectStatus: 480 | 503;
  /** Agent failover mid-call (agent-failover/): `agents.failover` with the number's `failover` over it; none for a bridge. */
  readonly failover: FailoverPlan;
  readonly retryAfterSeconds: number;
  /** Inbound: send 180 before answering, and wait this long before the 200. */
  readonly ringing: boolean;
  readonly answerDelayMs: number;
  /** Where the agent may transfer the call: the number's lists, else the top-level ones (the same object). */
  readonly transfer: TransferLists;
  /** How the route was chosen (inbound): config, numbers API, a routing webhook's answer or its fallback. */
  readonly routing?: RoutingDecision;
  /** Inbound, a number with `forward:`: the people to ring before its agent (forwarding/). */
  readonly forward?: ForwardPlan;
  /**
   * A call bridged with a person (bridgedPlan): what it had before, and whether it goes back to that agent when the
   * person hangs up (`onPersonHangup: agent`) rather than ending with them. Absent on every other plan.
   */
  readonly beforeBridge?: BeforeBridge;
}

/** The agent side of a plan that bridging replaced (bridgedPlan), kept to give the caller its agent back. */
export interface BeforeBridge {
  readonly agent: AgentPlan;
  readonly bargeIn: BargeInMode;
  readonly onAgentFailure: 'reject' | 'apology';
  readonly failover: FailoverPlan;
  readonly onPersonHangup: PersonHangupAction;
}

/** How a failing agent is noticed and re-dialled (milliseconds; 0: that detector is off). */
export interface FailoverPlan {
  readonly redial: number;
  /** Where re-dials go instead of the number's own agent (`failover.standby`). */
  readonly standby?: AgentPlan;
  readonly earlyHangupMs: number;
  readonly silenceMs: number;
}

/** No failover: a bridged leg's "agent" is another call. */
export const NO_FAILOVER: FailoverPlan = { redial: 0, earlyHangupMs: 0, silenceMs: 0 };

/** A number's `forward:` resolved: each target with the trunk that reaches it. */
export interface ForwardPlan {
  readonly targets: readonly { readonly to: string; readonly trunk: string }[];
  readonly strategy: 'sequential' | 'simultaneous';
  readonly ringTimeoutMs: number;
  /** People ring before the agent, or only when the agent cannot be reached. */
  readonly when: 'first' | 'agent-unavailable';
  /**
   * Nobody answered: `agent` (when `first`): the number's agent takes the call; `apology` (when
   * `agent-unavailable`): the apology agent; `reject`: the caller is refused (480; 486 if every leg was busy).
   */
  readonly fallback: 'agent' | 'apology' | 'reject';
  /** The person hangs up first: the caller's call ends with it (`end`), or goes back to the number's agent (`agent`). */
  readonly onPersonHangup: PersonHangupAction;
}

/** What a plan is resolved from: the admitted (or requested) call and its number's route. */
export interface PlanInput {
  readonly direction: CallDirection;
  readonly from: string;
  readonly to: string;
  readonly pattern: string;
  readonly trunk?: string | undefined;
  readonly route: NumberRouteConfig;
  /** The adapter agent's key, when not the pattern. */
  readonly adapterKey?: string | undefined;
  /** Inbound: how the route was chosen; default `{source: 'config', action: 'agent'}`. */
  readonly routing?: RoutingDecision | undefined;
}

export type PlanConfig = Pick<Config, 'media' | 'agents' | 'sip' | 'trunks' | 'transfer'>;

export function resolvePlan(config: PlanConfig, input: PlanInput): CallPlan {
  const { route } = input;
  const agent = agentPlan(route, input.pattern, input.adapterKey);
  const onFailure = route.onAgentFailure ?? config.agents.onFailure;
  const forwards = input.direction === 'inbound' ? route.forward : undefined;
  const failsOver = forwards?.when === 'agent-unavailable';
  return {
    direction: input.direction,
    from: input.from,
    to: input.to,
    pattern: input.pattern,
    trunk: input.trunk,
    agent,
    parameters: route.parameters,
    codecs: planCodecs(config, input),
    ptimeMs: config.media.ptimeMs,
    srtp: { policy: route.srtp ?? trunkOf(config, input)?.srtp ?? config.media.srtp, suites: config.media.srtpSuites },
    bargeIn: route.bargeIn ?? defaultBargeIn(agent) ?? config.media.bargeIn,
    speech: { ...config.media.speech, ...route.speech },
    // Outbound: nobody is on the line to apologise to, and a phone must not ring for an agent that is down. Forwarding
    // when the agent is unavailable: the media plane reports it unreachable and the call core rings the people.
    onAgentFailure: input.direction === 'outbound' || failsOver ? 'reject' : onFailure,
    rejectStatus: config.agents.rejectStatus,
    failover: agent.kind === 'bridge' ? NO_FAILOVER : failoverPlan({ ...config.agents.failover, ...definedOnly(route.failover ?? {}) }, route.protocol),
    retryAfterSeconds: config.sip.retryAfterSeconds,
    ringing: route.ringing ?? config.sip.ringing,
    answerDelayMs: route.answerDelayMs ?? config.sip.answerDelayMs,
    transfer: route.transfer ?? config.transfer,
    ...(input.direction === 'inbound' ? { routing: input.routing ?? { source: 'config', action: 'agent' } } : {}),
    ...(forwards !== undefined ? { forward: forwardPlan(forwards, onFailure) } : {}),
  };
}

function forwardPlan(f: NonNullable<NumberRouteConfig['forward']>, onAgentFailure: 'reject' | 'apology'): ForwardPlan {
  const afterAgent = f.when === 'agent-unavailable';
  return {
    targets: f.to.map((t) => (typeof t === 'string' ? { to: t, trunk: f.trunk ?? '' } : { to: t.to, trunk: t.trunk ?? f.trunk ?? '' })),
    strategy: f.strategy,
    ringTimeoutMs: f.ringTimeoutS * 1000,
    when: f.when,
    fallback: f.fallback === 'reject' ? 'reject' : afterAgent ? onAgentFailure : 'agent',
    onPersonHangup: f.onPersonHangup,
  };
}

/**
 * The plan of a call whose other side is another call leg (a person reached by forwarding): no agent, no barge-in
 * (two people talk over each other), nothing to refuse with when "dialling" fails. What it had is kept
 * (`beforeBridge`) for `onPersonHangup: agent` (unbridgedPlan).
 */
export function bridgedPlan(plan: CallPlan, peer: string | undefined, onPersonHangup: PersonHangupAction = 'end'): CallPlan {
  const { forward: _forward, beforeBridge: earlier, ...rest } = plan;
  const before: BeforeBridge = earlier !== undefined && plan.agent.kind === 'bridge'
    ? { ...earlier, onPersonHangup }
    : { agent: plan.agent, bargeIn: plan.bargeIn, onAgentFailure: plan.onAgentFailure, failover: plan.failover, onPersonHangup };
  return { ...rest, agent: { kind: 'bridge', peer }, bargeIn: 'off', onAgentFailure: 'reject', failover: NO_FAILOVER, beforeBridge: before };
}

/**
 * The plan a bridged call goes back to when its person hangs up: its agent's again, as before the bridge (the call
 * ends as it would have, `peer-hangup`, when that agent cannot be reached). Undefined when the call is not bridged, or its
 * bridge ends with the person (`onPersonHangup: end`), or it had no agent to go back to (a leg the gateway placed).
 */
export function unbridgedPlan(plan: CallPlan): CallPlan | undefined {
  const before = plan.beforeBridge;
  if (plan.agent.kind !== 'bridge' || before === undefined || before.onPersonHangup !== 'agent' || before.agent.kind === 'bridge') return undefined;
  const { beforeBridge: _before, ...rest } = plan;
  return { ...rest, agent: before.agent, bargeIn: before.bargeIn, onAgentFailure: before.onAgentFailure, failover: before.failover };
}

function failoverPlan(f: { redial: number; earlyHangupS: number; silenceS: number; standby?: string | undefined }, protocol: NumberRouteConfig['protocol']): FailoverPlan {
  const standby = f.standby === undefined ? undefined : agentPlan({ agent: f.standby, protocol }, '');
  return { redial: f.redial, earlyHangupMs: Math.round(f.earlyHangupS * 1000), silenceMs: Math.round(f.silenceS * 1000), ...(standby === undefined ? {} : { standby }) };
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Our codec preference: an outbound call's trunk `outbound.codecs`, else the trunk's `codecs`, else `media.codecs`. */
function planCodecs(config: PlanConfig, input: PlanInput): readonly CodecName[] {
  const trunk = trunkOf(config, input);
  const outbound = input.direction === 'outbound' ? trunk?.outbound?.codecs : undefined;
  return outbound ?? trunk?.codecs ?? config.media.codecs;
}

function trunkOf(config: PlanConfig, input: PlanInput): PlanConfig['trunks'][number] | undefined {
  return input.trunk === undefined ? undefined : config.trunks.find((t) => t.name === input.trunk);
}

/** A number's `agent:` (and `protocol:`) as an AgentPlan. */
export function agentPlan(route: Pick<NumberRouteConfig, 'agent' | 'protocol'>, pattern: string, key?: string): AgentPlan {
  const agent = route.agent;
  if (typeof agent !== 'string') {
    if (agent.adapter !== 'websocket') return { kind: 'adapter', adapter: agent.adapter, pattern, ...(key === undefined ? {} : { key }) };
    const url = typeof agent['url'] === 'string' ? agent['url'] : '';
    return { kind: 'url', url, protocol: agent['protocol'] === 'twilio' ? 'twilio' : 'patchbay' };
  }
  if (isBuiltin(agent)) return { kind: 'builtin', name: agent };
  if (/^wss?:\/\//i.test(agent)) return { kind: 'url', url: agent, protocol: route.protocol ?? 'patchbay' };
  return { kind: 'unknown', name: agent };
}

/**
 * Barge-in when the number sets none. Echoing the caller is the agent talking while the caller talks: never a
 * barge-in. A bot written for Twilio expects Twilio's semantics: its audio stops only on its own `clear`.
 */
function defaultBargeIn(agent: AgentPlan): BargeInMode | undefined {
  if (agent.kind === 'bridge') return 'off';
  if (agent.kind === 'builtin' && agent.name === 'echo') return 'off';
  if (agent.kind === 'url' && agent.protocol === 'twilio') return 'off';
  return undefined;
}

/** What kind of agent takes the call, for traces and the API: a built-in's name, `websocket`, `twilio`, or an adapter's name (never a URL). */
export function agentKind(agent: AgentPlan): string {
  switch (agent.kind) {
    case 'builtin':
      return agent.name;
    case 'url':
      return agent.protocol === 'twilio' ? 'twilio' : 'websocket';
    case 'adapter':
      return agent.adapter;
    case 'bridge':
      return 'bridge';
    case 'unknown':
      return agent.name;
  }
}

function isBuiltin(name: string): name is BuiltinAgentName {
  return (BUILTIN_AGENTS as readonly string[]).includes(name);
}
