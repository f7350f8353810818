/**
 * Traces and Prometheus' per-call figures, fed by the call lifecycle stream: each event goes to the call's trace
 * (CallTelemetry) and a finished call's media quality to the metrics (`observeCallEnd`).
 */
import type { CallMos, CallQualitySummary, PeopleMetrics } from '@patchbay/observability';
import type { CallEvents } from '../call/events.js';
import type { CallTelemetry } from './call-telemetry.js';

export interface CallMetricsSink {
  /** A finished call's media quality; its E-model rating, when one could be made. */
  observeCallEnd(quality: CallQualitySummary): CallMos | undefined;
  /** Forwarded people's legs and agent failover (counters). */
  readonly people: PeopleMetrics;
}

export function subscribeTelemetry(events: CallEvents, telemetry: CallTelemetry, metrics: CallMetricsSink): void {
  events.on('created', (e) => telemetry.admitted(e.call));
  events.on('agent-connect', (e) => telemetry.agentConnect(e.call, e.report, e.error?.code));
  events.on('confirmed', (e) => telemetry.confirmed(e.call));
  events.on('refused', (e) => telemetry.inviteFailed(e.call, e.sipStatus));
  events.on('ended', (e) => telemetry.ended(e.call));
  events.on('media-ended', (e) => telemetry.quality(e.callId, e.quality, e.quality && metrics.observeCallEnd(e.quality)));
  events.on('media-trace', (e) => telemetry.media(e.callId, e.event));
  // People in the loop and agent failover: each person rung, each agent given up mid-call, each re-dial.
  events.on('forwarded', (e) => {
    for (const a of e.attempts) metrics.people.forwardLeg(a.outcome);
  });
  events.on('media-timeline', (e) => {
    if (e.event.type === 'agent-failed') metrics.people.agentFailed(e.event.cause);
    else if (e.event.type === 'agent-redial') metrics.people.agentRedialled(e.event.outcome);
  });
}
