/**
 * Each call's trace, fed by the call lifecycle stream (subscribe.ts). The root span `call` runs from admission
 * to the end (with the end reason, codec and, once the media plane has reported it, the estimated MOS); under it
 * `sip.invite` (INVITE → ACK, or the failure response), `agent.connect` (timed by the media plane), one `turn` per
 * turn (turn-spans.ts) and a `barge_in` event per interruption. Attributes never carry a phone number or anything
 * the caller said: the call id, the routing pattern, the agent's kind, the codec.
 *
 * With the API's no-op tracer every span is a non-recording stub: a few function calls per call, nothing per turn
 * (the media plane does not even time turns unless tracing is on).
 */
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context, type Span, type Tracer } from '@opentelemetry/api';
import { ATTR, SPAN, type CallMos } from '@patchbay/observability';
import type { Call } from '../call/call.js';
import { agentKind as planAgentKind, agentPlan } from '../call/plan.js';
import type { NumberRouteConfig } from '../config.js';
import type { CallQuality } from '../media/call-quality.js';
import type { MediaTraceEvent } from '../media/turn-trace.js';
import type { AgentConnectReport } from '../media-plane/plane.js';
import { TRACE_ATTR } from '@patchbay/observability';
import { recordTurn } from './turn-spans.js';

export interface CallTelemetryOptions {
  tracer: Tracer;
  /** How long an ended call's span waits for its media's quality report (a media worker answers asynchronously). */
  qualityWaitMs?: number;
}

interface CallTrace {
  readonly root: Span;
  readonly ctx: Context;
  invite: Span | undefined;
  /** When the call ended on the SIP side (epoch ms); its span ends then, once the quality report is in. */
  endedMs: number | undefined;
  /** The media plane has reported the call's quality (or it had no media to report on). */
  reported: boolean;
  timer: NodeJS.Timeout | undefined;
}

const epochNow = (): number => performance.timeOrigin + performance.now();

export class CallTelemetry {
  private readonly calls = new Map<string, CallTrace>();
  private readonly tracer: Tracer;
  private readonly qualityWaitMs: number;

  constructor(options: CallTelemetryOptions) {
    this.tracer = options.tracer;
    this.qualityWaitMs = options.qualityWaitMs ?? 5_000;
  }

  admitted(call: Call): void {
    const startTime = performance.timeOrigin + call.createdAtMs;
    const root = this.tracer.startSpan(SPAN.call, {
      kind: SpanKind.SERVER,
      startTime,
      attributes: { [ATTR.callId]: call.id, [ATTR.number]: call.plan.pattern, [ATTR.agent]: planAgentKind(call.plan.agent) },
    }, ROOT_CONTEXT);
    const ctx = trace.setSpan(ROOT_CONTEXT, root);
    const invite = this.tracer.startSpan(SPAN.sipInvite, { kind: SpanKind.SERVER, startTime, attributes: { [ATTR.sipMethod]: 'INVITE' } }, ctx);
    this.calls.set(call.id, { root, ctx, invite, endedMs: undefined, reported: false, timer: undefined });
  }

  /** How dialling the agent went (`report`), or that it failed outright (`errorCode`: a worker lost, a bug). */
  agentConnect(call: Call, report: AgentConnectReport | undefined, errorCode?: string): void {
    const t = this.calls.get(call.id);
    if (!t) return;
    if (report) {
      const span = this.tracer.startSpan(SPAN.agentConnect, { startTime: report.startMs, attributes: { [TRACE_ATTR.agentOutcome]: report.outcome } }, t.ctx);
      if (report.failure !== undefined) {
        span.setAttribute(TRACE_ATTR.errorType, report.failure.code);
        const message = report.outcome === 'fallback' ? 'agent unreachable: the caller gets the apology' : 'agent unreachable: the call is refused';
        span.setStatus({ code: SpanStatusCode.ERROR, message });
      }
      span.end(report.endMs);
      return;
    }
    if (errorCode === undefined) return; // the call had ended before its agent was dialled
    const now = epochNow();
    const span = this.tracer.startSpan(SPAN.agentConnect, { startTime: now }, t.ctx);
    span.setAttribute(TRACE_ATTR.errorType, errorCode);
    span.setStatus({ code: SpanStatusCode.ERROR, message: errorCode });
    span.end(now);
  }

  confirmed(call: Call): void {
    const t = this.calls.get(call.id);
    if (!t?.invite) return;
    t.invite.setAttribute(ATTR.sipStatus, 200);
    t.invite.end();
    t.invite = undefined;
  }

  inviteFailed(call: Call | undefined, status: number): void {
    const t = call && this.calls.get(call.id);
    if (!t?.invite) return;
    t.invite.setAttribute(ATTR.sipStatus, status);
    if (status !== 487) t.invite.setStatus({ code: SpanStatusCode.ERROR, message: `SIP ${status}` });
    t.invite.end();
    t.invite = undefined;
  }

  ended(call: Call): void {
    const t = this.calls.get(call.id);
    if (!t) return;
    t.endedMs = epochNow();
    if (t.invite) {
      // Answered but never ACKed (or ended before any final response).
      t.invite.setStatus({ code: SpanStatusCode.ERROR, message: call.endReason ?? 'ended' });
      t.invite.end();
      t.invite = undefined;
    }
    t.root.setAttribute(ATTR.endReason, call.endReason ?? 'error');
    const codec = call.sdp?.negotiated?.codec.name;
    if (codec !== undefined) t.root.setAttribute(ATTR.codec, codec);
    if (call.endReason === 'error') t.root.setStatus({ code: SpanStatusCode.ERROR, message: 'error' });
    // Media that was opened reports its quality when it closes (at once on this thread, soon from a worker).
    if (t.reported || call.rtpPort === undefined) return this.finish(call.id, t);
    t.timer = setTimeout(() => this.finish(call.id, t), this.qualityWaitMs);
    t.timer.unref();
  }

  /**
   * The media plane's quality report for a call whose media closed (undefined: its media never started), with its
   * E-model rating (undefined when it could not be rated: no packets expected).
   */
  quality(callId: string, quality: CallQuality | undefined, rated: CallMos | undefined): void {
    const t = this.calls.get(callId);
    if (!t) return;
    t.reported = true;
    if (quality) {
      t.root.setAttributes({
        [TRACE_ATTR.lossInbound]: ratio(quality.packetsLost, quality.packetsExpected),
        [TRACE_ATTR.jitterMs]: Math.round(quality.jitterMs * 10) / 10,
        [TRACE_ATTR.oneWayDelayMs]: Math.round(quality.oneWayDelayMs),
        ...(quality.downlink ? { [TRACE_ATTR.lossOutbound]: ratio(quality.downlink.packetsLost, quality.downlink.packetsExpected) } : {}),
        ...(rated ? { [ATTR.mos]: Math.round(rated.mos * 100) / 100 } : {}),
      });
    }
    if (t.endedMs !== undefined) this.finish(callId, t);
  }

  /** A turn or a barge-in the call's media timed. */
  media(callId: string, event: MediaTraceEvent): void {
    const t = this.calls.get(callId);
    if (!t) return;
    if (event.kind === 'turn') {
      recordTurn(this.tracer, t.ctx, event);
      return;
    }
    t.root.addEvent(SPAN.bargeIn, { [TRACE_ATTR.reactionMs]: Math.round(event.reactionMs * 10) / 10, [ATTR.turnIndex]: event.turnIndex }, event.atMs);
  }

  /** Ends every call's span still waiting (shutdown). */
  close(): void {
    for (const [callId, t] of [...this.calls]) {
      t.invite?.end();
      this.finish(callId, t);
    }
  }

  private finish(callId: string, t: CallTrace): void {
    if (this.calls.get(callId) !== t) return;
    this.calls.delete(callId);
    clearTimeout(t.timer);
    t.root.end(t.endedMs);
  }
}

/** What kind of agent a number routes to: a built-in's name, `websocket`, `twilio`, or an adapter's name (never its URL). */
export function agentKind(route: Pick<NumberRouteConfig, 'agent' | 'protocol'>): string {
  return planAgentKind(agentPlan(route, ''));
}

function ratio(lost: number, expected: number): number {
  return expected > 0 ? Math.round((Math.max(0, lost) / expected) * 10_000) / 10_000 : 0;
}
