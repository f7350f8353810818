/**
 * One stream of call lifecycle events, emitted by the call core (both directions) and read by whoever needs to know:
 * the stats counters (call-stats.ts), traces and Prometheus (telemetry/subscribe.ts), and later records, webhooks
 * and the API. Subscribers run synchronously in the emitting tick and must be O(1): queue anything slow. The
 * emitter is the guard: a subscriber that throws (or returns a promise that rejects) is reported to `onError` and
 * the next subscriber runs; nothing reaches SIP handling. docs/call-core.md lists the events.
 */
import type { ConsultStatus } from '@patchbay/agents';
import type { ForwardAttempt } from '../forwarding/forwarder.js';
import type { BargeInStats } from '../media/barge-in.js';
import type { CallQuality } from '../media/call-quality.js';
import type { MediaTimelineEvent } from '../media/timeline.js';
import type { MediaTraceEvent } from '../media/turn-trace.js';
import type { AgentConnectReport, WarmTransferCommand } from '../media-plane/plane.js';
import type { RoutingDecision } from '../records/record.js';
import type { Call } from './call.js';
import type { Disposition, EndReason } from './vocabulary.js';

export interface CallDurations {
  /** Creation to end. */
  readonly totalMs: number;
  /** First ringing to answer (or end); undefined when it never rang. */
  readonly ringMs: number | undefined;
  /** Answer to end; undefined when it was never answered. */
  readonly talkMs: number | undefined;
}

export type CallEvent =
  /** Inbound: admitted (before ports, agent and answer). Outbound: queued. */
  | { readonly type: 'created'; readonly call: Call }
  /** Inbound, a `webhook:` number: the routing webhook decided (or its fallback did); `call.plan` is the decided one. */
  | { readonly type: 'routed'; readonly call: Call; readonly routing: RoutingDecision }
  /** Inbound: we sent 180. Outbound: the far end sent 180. */
  | { readonly type: 'ringing'; readonly call: Call }
  /** Outbound: 183 with SDP (played to nobody). */
  | { readonly type: 'early-media'; readonly call: Call }
  /** Dialling the agent went as `report` says (undefined `report`: dialling failed with `error`). */
  | { readonly type: 'agent-connect'; readonly call: Call; readonly report: AgentConnectReport | undefined; readonly error?: { readonly code: string } }
  /** Forwarding (forwarding/) rang the number's people for this caller: how each leg went, and the result. */
  /**
   * The call's agent failed mid-call and could not be re-dialled (agent-failover/): a stand-in holds the caller;
   * whoever moves the chain on (forwarding/failover.ts) hands it to people or to the apology.
   */
  | { readonly type: 'agent-failed'; readonly call: Call; readonly cause: string }
  /** The agent's warm-transfer command (`consult`, `bridge`, `cancel_consult`): forwarding/warm.ts carries it out. */
  | { readonly type: 'warm-transfer'; readonly call: Call; readonly msg: WarmTransferCommand }
  /** A step of a warm transfer (forwarding/warm.ts), for the call's record: the agent was told the same (`consult`). */
  | { readonly type: 'consulted'; readonly call: Call; readonly status: ConsultStatus | 'bridged'; readonly target: string; readonly legId?: string | undefined; readonly reason?: string | undefined }
  /** A supervisor's step on the call (monitor/service.ts), for its record. */
  | { readonly type: 'monitored'; readonly call: Call; readonly step: 'ringing' | 'on' | 'mode' | 'off'; readonly mode: string; readonly to: string; readonly legId: string | undefined }
  | { readonly type: 'forwarded'; readonly call: Call; readonly outcome: 'answered' | 'failed' | 'cancelled'; readonly attempts: readonly ForwardAttempt[] }
  /**
   * The person a caller was bridged with hung up first, and the caller's plan sends it back to its agent
   * (`onPersonHangup: agent`): `agent` it is (the agent took ~`connectMs` to dial); `apology`: the agent could not be
   * reached and the number's `onAgentFailure: apology` plays; `ended`: neither (the call ends `peer-hangup`).
   */
  | { readonly type: 'unbridged'; readonly call: Call; readonly legId: string; readonly outcome: 'agent' | 'apology' | 'ended'; readonly connectMs: number }
  /** The 2xx went out (inbound) or came in (outbound). */
  | { readonly type: 'answered'; readonly call: Call }
  /** The ACK for the initial 2xx: the dialog is confirmed. */
  | { readonly type: 'confirmed'; readonly call: Call }
  /** Inbound: an initial INVITE got a final non-2xx from us: refused (no call yet at admission) or cancelled (487). Outbound: see `ended`'s `sipStatus`. */
  | { readonly type: 'refused'; readonly call: Call | undefined; readonly sipStatus: number }
  /** The agent's transfer succeeded: our leg ends next (reason `transferred`). */
  | { readonly type: 'transferred'; readonly call: Call }
  /** The one end of every call. */
  | {
      readonly type: 'ended';
      readonly call: Call;
      readonly reason: EndReason;
      readonly sipStatus: number | undefined;
      readonly disposition: Disposition;
      readonly durations: CallDurations;
    }
  /** The call's media closed: its barge-in outcomes and quality (from the media plane, maybe after `ended`). */
  | { readonly type: 'media-ended'; readonly callId: string; readonly pattern: string; readonly bargeIn: BargeInStats; readonly quality: CallQuality | undefined }
  /** A turn or barge-in the media timed (only when turns are traced). */
  | { readonly type: 'media-trace'; readonly callId: string; readonly event: MediaTraceEvent }
  /** An entry of the call's media timeline (always on; a handful per turn): turn, barge-in, mark, DTMF, transcript, stage, agent error. */
  | { readonly type: 'media-timeline'; readonly callId: string; readonly event: MediaTimelineEvent }
  /** A transfer (the agent's or the API's) passed the destination policy: a REFER goes out (now, or at the ACK). */
  | { readonly type: 'transfer-requested'; readonly call: Call; readonly target: string }
  /**
   * A transfer did not happen and the call goes on: refused at once (destination policy, not answered yet) or by the
   * peer (REFER or final NOTIFY >= 300). Success is `transferred`.
   */
  | { readonly type: 'transfer-failed'; readonly call: Call; readonly target: string; readonly message: string };

export type CallEventType = CallEvent['type'];
export type CallEventOf<T extends CallEventType> = Extract<CallEvent, { type: T }>;
/** A subscriber; a returned promise is not awaited (its rejection is reported like a throw). */
export type CallEventHandler<T extends CallEventType> = (event: CallEventOf<T>) => void | Promise<void>;

export class CallEvents {
  private readonly handlers = new Map<CallEventType, CallEventHandler<CallEventType>[]>();
  /** Subscribers that threw or rejected, since start. */
  subscriberErrors = 0;

  /** `onError`: told of every subscriber failure (log and count it); must not throw itself. */
  constructor(private readonly onError: (err: unknown, event: CallEvent) => void = () => undefined) {}

  /** Subscribes to one event type; returns the unsubscribe. */
  on<T extends CallEventType>(type: T, handler: CallEventHandler<T>): () => void {
    const list = this.handlers.get(type) ?? [];
    const h = handler as unknown as CallEventHandler<CallEventType>; // stored by its type, called only with it
    this.handlers.set(type, [...list, h]);
    return () => this.handlers.set(type, (this.handlers.get(type) ?? []).filter((x) => x !== h));
  }

  /** Tells every subscriber of `event.type`, in subscription order; never throws. */
  emit(event: CallEvent): void {
    const list = this.handlers.get(event.type);
    if (list === undefined) return;
    for (const handler of list) {
      try {
        const result = handler(event);
        if (result instanceof Promise) result.catch((err: unknown) => this.failed(err, event));
      } catch (err) {
        this.failed(err, event);
      }
    }
  }

  private failed(err: unknown, event: CallEvent): void {
    this.subscriberErrors++;
    try {
      this.onError(err, event);
    } catch {
      // an error reporter that throws cannot report itself; the count above still says it happened
    }
  }
}
