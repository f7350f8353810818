/**
 * Steering calls from outside (the REST API): list and read them, hang one up, transfer it, send DTMF to its other
 * party, place a new one. Inbound and outbound calls alike, through the registry; the SIP and media work is the call
 * core's (`CallControlHost`). Refusals are `CallControlError`s with a stable code the API turns into a problem.
 */
import type { PersonHangupAction } from '../forwarding/config.js';
import type { MonitorMode } from '../monitor/mixer.js';
import type { MonitorRequest, MonitorState } from '../monitor/service.js';
import type { Call } from './call.js';
import type { CallDirection } from './plan.js';
import type { CallFilter, CallRegistry, CallSummary } from './registry.js';
import type { EndReason } from './vocabulary.js';

export const CallControlErrorCode = {
  /** No live call has this id (it never existed, or it has ended). */
  NotFound: 'CALL_NOT_FOUND',
  /** The call is not answered yet (transfer, DTMF). */
  NotAnswered: 'CALL_NOT_ANSWERED',
  /** DTMF digits outside 0-9 * # A-D, or too many. */
  BadDigits: 'CALL_BAD_DIGITS',
  /** The transfer target was refused (destination policy, a transfer already running). */
  TransferRefused: 'CALL_TRANSFER_REFUSED',
  /** Placing calls is not available (no outbound side configured yet). */
  NotImplemented: 'NOT_IMPLEMENTED',
  /** Placing a call: `trunk` names no trunk with an `outbound:` side. */
  TrunkUnknown: 'TRUNK_UNKNOWN',
  /** Placing a call: `number` names no configured number. */
  NumberUnknown: 'NUMBER_UNKNOWN',
  /** Placing a call: no agent given and none in the number's route, or one that cannot be dialled. */
  AgentInvalid: 'AGENT_INVALID',
  /** Placing a call: `from` is not a caller ID we can write in From. */
  CallerIdInvalid: 'CALLER_ID_INVALID',
  /** Placing a call: the destination is not in the trunk's allow-list (the finer code in `detail`). */
  DestinationNotAllowed: 'DESTINATION_NOT_ALLOWED',
  /** Placing a call: the trunk has `outbound.maxConcurrentCalls` outbound calls. */
  TrunkBusy: 'TRUNK_BUSY',
  /** Placing a call: the trunk's `outbound.callsPerSecond` is used up (`retryAfterS` says when). */
  TrunkRateLimited: 'TRUNK_RATE_LIMITED',
  /** Placing a call: the gateway has `sip.maxConcurrentCalls` calls. */
  GatewayBusy: 'GATEWAY_BUSY',
  /** Placing a call: the gateway is draining (SIGTERM; docs/drain.md), `retryAfterS` is `drain.retryAfterS`. */
  GatewayDraining: 'GATEWAY_DRAINING',
  /** A supervisor request was refused (`detail`: MONITOR_ACTIVE, MONITOR_NONE, MONITOR_UNREACHABLE; monitor/service.ts). */
  MonitorRefused: 'CALL_MONITOR_REFUSED',
} as const;
export type CallControlErrorCodeValue = (typeof CallControlErrorCode)[keyof typeof CallControlErrorCode];

export class CallControlError extends Error {
  constructor(
    readonly code: CallControlErrorCodeValue,
    message: string,
    /** The finer cause where there is one (a transfer refusal's code: `DESTINATION_NOT_ALLOWED`, `TRANSFER_IN_PROGRESS`, ...). */
    readonly detail?: string,
    /** For a limit: when to try again, in seconds. */
    readonly retryAfterS?: number,
  ) {
    super(message);
    this.name = 'CallControlError';
  }
}

/** A transfer the call core accepted to try (its outcome comes later), or refused at once. */
export type TransferStart = { ok: true } | { ok: false; code: string; message: string };

/** What the call core does for the API. */
export interface CallControlHost {
  hangup(call: Call, reason: EndReason): void;
  transfer(call: Call, target: string): TransferStart;
  sendDtmf(call: Call, digits: string, durationMs: number): void;
  /** While the gateway drains: the Retry-After of the refusal of new calls; undefined when serving (or absent). */
  drainRetryAfterS?(): number | undefined;
}

/** What `POST /v1/calls` asks for, once validated (the API's schema owns the wire form). */
export interface PlaceCallRequest {
  to: string;
  from: string;
  trunk: string;
  /** A number's `agent:` exactly as in `numbers:` (built-in, URL, or adapter block). */
  agent: unknown;
  parameters?: Record<string, string>;
  ringTimeoutMs?: number;
  /** The routing pattern whose route (agent, barge-in, ...) to reuse. */
  number?: string;
}

/** What `POST /v1/calls/{id}/forward` asks for, once validated (the API's schema owns the wire form). */
export interface ForwardRequest {
  /** Phone numbers or SIP URIs, rung in order (`sequential`) or at once (`simultaneous`). */
  readonly to: readonly string[];
  /** The outbound trunk the people are reached through. */
  readonly trunk: string;
  readonly strategy: 'sequential' | 'simultaneous';
  readonly ringTimeoutMs: number;
  /** The person hangs up first: the call ends too (`end`, the default) or goes back to its agent (`agent`). */
  readonly onPersonHangup?: PersonHangupAction | undefined;
}

/** Forwarding a live call (forwarding/live.ts); throws CallControlError when it cannot start. */
export interface LiveForwarding {
  forward(call: Call, request: ForwardRequest): void;
}

/** Supervisors on live calls (monitor/service.ts); each throws CallControlError when it cannot act. */
export interface CallMonitoring {
  start(call: Call, request: MonitorRequest): Promise<MonitorState>;
  setMode(call: Call, mode: MonitorMode): Promise<MonitorState>;
  stop(call: Call): Promise<void>;
  state(callId: string): MonitorState | undefined;
}

/** The outbound side of the call core (outbound.ts): places a call and returns it queued. */
export interface OutboundSide {
  placeCall(request: PlaceCallRequest): Promise<CallSummary>;
}

const DIGITS = /^[0-9*#A-D]{1,64}$/;
export const API_DTMF_DURATION_MS = 100;

export class CallControl {
  constructor(
    private readonly registry: CallRegistry,
    private readonly host: CallControlHost,
    private outbound: OutboundSide | undefined = undefined,
  ) {}

  private forwarding: LiveForwarding | undefined;
  private monitoring: CallMonitoring | undefined;

  /** Plugs supervisors in (monitor/). */
  setMonitoring(monitoring: CallMonitoring): void {
    this.monitoring = monitoring;
  }

  /** Puts a supervisor on an answered call (docs/monitor.md). */
  monitor(id: string, request: MonitorRequest): Promise<MonitorState> {
    const call = this.answered(id);
    if (!this.monitoring) throw new CallControlError(CallControlErrorCode.NotImplemented, 'monitoring is not available');
    return this.monitoring.start(call, request);
  }

  monitorMode(id: string, mode: MonitorMode): Promise<MonitorState> {
    if (!this.monitoring) throw new CallControlError(CallControlErrorCode.NotImplemented, 'monitoring is not available');
    return this.monitoring.setMode(this.live(id), mode);
  }

  unmonitor(id: string): Promise<void> {
    if (!this.monitoring) throw new CallControlError(CallControlErrorCode.NotImplemented, 'monitoring is not available');
    return this.monitoring.stop(this.live(id));
  }

  /** Plugs live forwarding in (once the outbound side exists). */
  setForwarding(forwarding: LiveForwarding): void {
    this.forwarding = forwarding;
  }

  /** Plugs the outbound side in (once it exists). */
  setOutbound(side: OutboundSide): void {
    this.outbound = side;
  }

  list(filter: CallFilter = {}): CallSummary[] {
    return this.registry.list(filter);
  }

  get(id: string): CallSummary | undefined {
    return this.registry.get(id);
  }

  /** Recently ended calls (the registry keeps the last ones), oldest first. */
  ended(): CallSummary[] {
    return this.registry.recentlyEnded();
  }

  hangup(id: string, reason: EndReason = 'local-hangup'): CallSummary {
    const call = this.live(id);
    this.host.hangup(call, reason);
    return this.summaryOf(id);
  }

  transfer(id: string, target: string): CallSummary {
    const call = this.answered(id);
    const started = this.host.transfer(call, target);
    if (!started.ok) throw new CallControlError(CallControlErrorCode.TransferRefused, started.message, started.code);
    return this.summaryOf(id);
  }

  /**
   * Rings people for a live call; the first to answer takes over from the agent and is bridged with the caller
   * (docs/forwarding.md). Resolves once they ring; the outcome is the call's (`forwarded` event, its timeline).
   */
  forward(id: string, request: ForwardRequest): CallSummary {
    const call = this.answered(id);
    if (!this.forwarding) throw new CallControlError(CallControlErrorCode.NotImplemented, 'forwarding is not available');
    this.forwarding.forward(call, request);
    return this.summaryOf(id);
  }

  dtmf(id: string, digits: string, durationMs = API_DTMF_DURATION_MS): CallSummary {
    if (!DIGITS.test(digits)) throw new CallControlError(CallControlErrorCode.BadDigits, 'digits must be 1-64 of 0-9 * # A-D');
    this.host.sendDtmf(this.answered(id), digits, durationMs);
    return this.summaryOf(id);
  }

  placeCall(request: PlaceCallRequest): Promise<CallSummary> {
    const drainRetryAfterS = this.host.drainRetryAfterS?.();
    if (drainRetryAfterS !== undefined) {
      return Promise.reject(new CallControlError(CallControlErrorCode.GatewayDraining, 'the gateway is draining: it takes no new calls', undefined, drainRetryAfterS));
    }
    if (!this.outbound) return Promise.reject(new CallControlError(CallControlErrorCode.NotImplemented, 'outbound calls are not available yet'));
    return this.outbound.placeCall(request);
  }

  /** Calls by direction, for the API's counts. */
  count(direction?: CallDirection): number {
    return this.registry.list(direction === undefined ? {} : { direction }).length;
  }

  private live(id: string): Call {
    const call = this.registry.live(id);
    if (!call || call.state === 'ended') throw new CallControlError(CallControlErrorCode.NotFound, `no live call ${id}`);
    return call;
  }

  private answered(id: string): Call {
    const call = this.live(id);
    if (call.state !== 'answered' && call.state !== 'confirmed') throw new CallControlError(CallControlErrorCode.NotAnswered, `call ${id} is not answered`);
    return call;
  }

  private summaryOf(id: string): CallSummary {
    const s = this.registry.get(id);
    if (!s) throw new CallControlError(CallControlErrorCode.NotFound, `no call ${id}`);
    return s;
  }
}
