import { AGENT_FAILOVER_CAUSE_LABELS, createGatewayMetrics, FORWARD_LEG_OUTCOME_LABELS, METRIC } from '@patchbay/observability';
import { parsePrometheusText, valueOf } from '@patchbay/observability/testing';
import { describe, expect, it } from 'vitest';
import { AGENT_FAILURE_CAUSES } from '../agent-failover/watch.js';
import type { Call } from '../call/call.js';
import { CallEvents } from '../call/events.js';
import type { CallTelemetry } from './call-telemetry.js';
import { subscribeTelemetry } from './subscribe.js';

describe('people-in-the-loop metrics from the lifecycle stream', () => {
  it('every agent failure cause has its own label, as does every outcome a rung leg records', () => {
    for (const cause of Object.keys(AGENT_FAILURE_CAUSES)) expect(AGENT_FAILOVER_CAUSE_LABELS).toContain(cause);
    for (const outcome of ['answered', 'no-answer', 'busy', 'declined', 'failed', 'answered-elsewhere', 'peer-hangup', 'refused']) expect(FORWARD_LEG_OUTCOME_LABELS).toContain(outcome);
  });

  it('counts each person a forward rang, each agent given up mid-call, each re-dial', async () => {
    const events = new CallEvents((err) => {
      throw err;
    });
    const metrics = createGatewayMetrics({ defaultMetrics: false });
    const telemetry = new Proxy({}, { get: () => () => undefined }) as unknown as CallTelemetry;
    subscribeTelemetry(events, telemetry, metrics);
    const call = { id: 'c1' } as Call;
    events.emit({ type: 'forwarded', call, outcome: 'answered', attempts: [{ to: '+1', trunk: 't', outcome: 'no-answer', atMs: 1 }, { to: '+2', trunk: 't', outcome: 'answered', atMs: 2 }] });
    events.emit({ type: 'media-timeline', callId: 'c1', event: { type: 'agent-failed', atMs: 1, cause: 'agent-dropped', attempt: 0 } });
    events.emit({ type: 'media-timeline', callId: 'c1', event: { type: 'agent-redial', atMs: 2, attempt: 1, outcome: 'failed', code: 'AGENT_UNREACHABLE', connectMs: 3 } });
    const exp = parsePrometheusText((await metrics.render()).body);
    expect(valueOf(exp, METRIC.forwardLegsTotal, { outcome: 'no-answer' })).toBe(1);
    expect(valueOf(exp, METRIC.forwardLegsTotal, { outcome: 'answered' })).toBe(1);
    expect(valueOf(exp, METRIC.agentFailoversTotal, { reason: 'agent-dropped' })).toBe(1);
    expect(valueOf(exp, METRIC.agentRedialsTotal, { outcome: 'failed' })).toBe(1);
  });
});
