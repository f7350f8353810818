/**
 * What the call-control API needs from the call core, and nothing more: plain data in and out, so the core can
 * implement it over its call registry and the API can be tested against a fake. Failures the caller can act on are
 * a CallControlError with a stable `code`; the API maps each code to an HTTP problem (errors.ts).
 */
import type { CallFilter, CallSummary, ForwardRequestBody, MonitorRequestBody, MonitorStateBody, PlaceCallRequest, TrunkState } from './schemas.js';

export type { AgentKind, CallDirection, CallFilter, CallStatus, CallSummary, PlaceCallRequest, TrunkState } from './schemas.js';

/** Why the call core refused a request. Each has an API problem in errors.ts (API_ERRORS) and a line in docs/api.md. */
export const CALL_CONTROL_ERROR_CODES = [
  /** No live call has this id (never existed, or already ended). */
  'CALL_NOT_FOUND',
  /** The call is not answered yet (transfer, DTMF; hangup in the temporary adapter) or is already ending. */
  'CALL_NOT_ANSWERED',
  /** The call already has a transfer under way (a REFER, or people ringing for a forward). */
  'TRANSFER_IN_PROGRESS',
  /** The call is already bridged with a person (forwarding): it cannot be forwarded again. */
  'CALL_BRIDGED',
  /** `trunk` names no configured trunk, or one without an outbound side. */
  'TRUNK_UNKNOWN',
  /** `number` names no configured number. */
  'NUMBER_UNKNOWN',
  /** No agent given and none to take from a route, or the adapter block's options are invalid. */
  'AGENT_INVALID',
  /** `from` is not a caller ID that can be written in From (1 to 64 of letters, digits, + . _ ~ -). */
  'CALLER_ID_INVALID',
  /** The destination (call `to`, transfer `target`) does not pass the allow-list (nothing is allowed by default). */
  'DESTINATION_NOT_ALLOWED',
  /** The trunk has its maximum of concurrent outbound calls. */
  'TRUNK_BUSY',
  /** The trunk's calls-per-second limit is reached. */
  'TRUNK_RATE_LIMITED',
  /** The gateway has `sip.maxConcurrentCalls` calls. */
  'GATEWAY_BUSY',
  /** The gateway is draining (SIGTERM; docs/drain.md): it takes no new calls, live ones go on. */
  'GATEWAY_DRAINING',
  /** The call already has a supervisor (monitor: one at a time). */
  'MONITOR_ACTIVE',
  /** The call has no supervisor to change or take off. */
  'MONITOR_NONE',
  /** The supervisor's WebSocket could not be reached. */
  'MONITOR_UNREACHABLE',
  /** This build of the call core cannot do it yet. */
  'DTMF_INVALID',
  'NOT_IMPLEMENTED',
] as const;
export type CallControlErrorCode = (typeof CALL_CONTROL_ERROR_CODES)[number];

export class CallControlError extends Error {
  override readonly name = 'CallControlError';
  /** For the limits: when to try again, in seconds (the API's `Retry-After`). */
  readonly retryAfterS: number | undefined;

  constructor(
    readonly code: CallControlErrorCode,
    message: string,
    options?: ErrorOptions & { retryAfterS?: number },
  ) {
    super(message, options);
    this.retryAfterS = options?.retryAfterS;
  }
}

export interface CallControl {
  /** Live calls (not yet ended), filtered; every filter given must match. */
  listCalls(filter: CallFilter): CallSummary[];
  /** A live call, or undefined. */
  getCall(id: string): CallSummary | undefined;
  /** Calls that ended recently and whose summaries the core still holds, oldest first (the history shows them until their records are stored). */
  recentlyEnded(): CallSummary[];
  /**
   * Places an outbound call; resolves once the call exists (status `queued` or later), not when it is answered.
   * @throws CallControlError TRUNK_UNKNOWN, NUMBER_UNKNOWN, AGENT_INVALID, DESTINATION_NOT_ALLOWED, TRUNK_BUSY,
   *   TRUNK_RATE_LIMITED, GATEWAY_BUSY, GATEWAY_DRAINING, NOT_IMPLEMENTED
   */
  placeCall(req: PlaceCallRequest): Promise<CallSummary>;
  /**
   * Ends the call from our side: an outbound call is CANCELled before its answer, an inbound one refused; BYE after.
   * @throws CallControlError CALL_NOT_FOUND (CALL_NOT_ANSWERED from the temporary adapter for unanswered calls)
   */
  hangup(id: string): Promise<void>;
  /**
   * Blind transfer (REFER), with the same destination rules as the agent's `transfer`; resolves when it is under way.
   * @throws CallControlError CALL_NOT_FOUND, CALL_NOT_ANSWERED, DESTINATION_NOT_ALLOWED, TRANSFER_IN_PROGRESS
   */
  transfer(id: string, target: string): Promise<void>;
  /**
   * Rings people for a live call; the first to answer takes over from the agent and is bridged with the caller.
   * Resolves once they ring (docs/forwarding.md).
   * @throws CallControlError CALL_NOT_FOUND, CALL_NOT_ANSWERED, TRUNK_UNKNOWN, DESTINATION_NOT_ALLOWED, TRANSFER_IN_PROGRESS, CALL_BRIDGED, NOT_IMPLEMENTED
   */
  forward(id: string, request: ForwardRequestBody): Promise<void>;
  /**
   * Puts a supervisor on the call (docs/monitor.md): a phone rung through `trunk`, or a WebSocket.
   * @throws CallControlError CALL_NOT_FOUND, CALL_NOT_ANSWERED, TRUNK_UNKNOWN, DESTINATION_NOT_ALLOWED, MONITOR_ACTIVE, MONITOR_UNREACHABLE, TRUNK_BUSY
   */
  monitor(id: string, request: MonitorRequestBody): Promise<MonitorStateBody>;
  /** Switches the supervisor's mode. @throws CallControlError CALL_NOT_FOUND, MONITOR_NONE */
  monitorMode(id: string, mode: MonitorRequestBody['mode']): Promise<MonitorStateBody>;
  /** Takes the supervisor off (their phone hangs up). @throws CallControlError CALL_NOT_FOUND, MONITOR_NONE */
  unmonitor(id: string): Promise<void>;
  /** Sends DTMF to the far end (RFC 4733, or SIP INFO). @throws CallControlError CALL_NOT_FOUND, CALL_NOT_ANSWERED */
  sendDtmf(id: string, digits: string, durationMs?: number): Promise<void>;
  /** Every configured trunk: registration state and outbound load/limits. */
  listTrunks(): TrunkState[];
}
