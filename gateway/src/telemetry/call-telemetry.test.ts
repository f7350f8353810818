import { SpanStatusCode } from '@opentelemetry/api';
import { ATTR, SPAN, type CallMos, type CallQualitySummary } from '@patchbay/observability';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import type { Call } from '../call/call.js';
import { testCall, testPlan } from '../call/testing.js';
import type { TurnRecord } from '../media/turn-trace.js';
import { agentKind, CallTelemetry } from './call-telemetry.js';
import { TRACE_ATTR, TURN_EVENT } from '@patchbay/observability';

const T0 = performance.timeOrigin + performance.now();

function setup(qualityWaitMs = 5_000): { telemetry: CallTelemetry; spans: () => ReadableSpan[] } {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  return { telemetry: new CallTelemetry({ tracer: provider.getTracer('test'), qualityWaitMs }), spans: () => exporter.getFinishedSpans() };
}

const WS_PLAN = testPlan({ route: { agent: 'ws://127.0.0.1:9/agent' }, input: { pattern: '+1555*', to: '+15550100004', from: '+15557654321' } });

function call(overrides: Partial<Call> = {}): Call {
  return testCall({ rtpPort: 30_000, ...overrides }, overrides.plan ?? WS_PLAN);
}

const ms = (hr: [number, number]): number => hr[0] * 1000 + hr[1] / 1e6;
const byName = (spans: ReadableSpan[], name: string): ReadableSpan[] => spans.filter((s) => s.name === name);
function one(spans: ReadableSpan[], name: string): ReadableSpan {
  const found = byName(spans, name);
  if (found.length !== 1) throw new Error(`${found.length} spans named ${name}: ${spans.map((s) => s.name).join(', ')}`);
  return found[0] as ReadableSpan;
}
const parentOf = (s: ReadableSpan): string | undefined => s.parentSpanContext?.spanId;

const quality: CallQualitySummary = {
  codec: 'PCMU',
  durationMs: 4_000,
  packetsExpected: 200,
  packetsLost: 2,
  jitterMs: 1.5,
  oneWayDelayMs: 80,
  jitterBufferDepthMs: 0,
  downlink: { packetsExpected: 190, packetsLost: 0 },
};
const rated = { mos: 4.2123 } as CallMos;

const turn: TurnRecord = {
  kind: 'turn',
  index: 1,
  startMs: T0 + 1_000,
  endMs: T0 + 1_900,
  uplink: { arrivalMs: T0 + 1_000, releasedMs: T0 + 1_000.1, decodedMs: T0 + 1_000.4, sentMs: T0 + 1_000.5 },
  downlink: { receivedMs: T0 + 1_850, takenMs: T0 + 1_890, encodedMs: T0 + 1_899.5, sentMs: T0 + 1_900 },
  stages: [
    { stage: 'stt', ms: 200, atMs: T0 + 1_300 },
    { stage: 'llm', ms: 350, atMs: T0 + 1_700 },
  ],
};

describe('CallTelemetry: a trace per call', () => {
  it('call → sip.invite, agent.connect, turn → uplink, downlink, stage spans; barge-in and quality on the call', async () => {
    const { telemetry, spans } = setup();
    const c = call();
    telemetry.admitted(c);
    telemetry.agentConnect(c, { startMs: T0 + 10, endMs: T0 + 35, outcome: 'connected' });
    telemetry.confirmed(c);
    telemetry.media(c.id, turn);
    telemetry.media(c.id, { kind: 'barge-in', atMs: T0 + 2_500, reactionMs: 61.234, turnIndex: 1 });
    expect(byName(spans(), SPAN.call)).toEqual([]); // still live
    telemetry.quality(c.id, quality, rated);
    telemetry.ended({ ...c, state: 'ended', endReason: 'remote-bye' });

    const all = spans();
    const root = one(all, SPAN.call);
    const rootId = root.spanContext().spanId;
    expect(parentOf(root)).toBeUndefined();
    expect(root.attributes).toMatchObject({
      [ATTR.callId]: c.id,
      [ATTR.number]: '+1555*',
      [ATTR.agent]: 'websocket',
      [ATTR.endReason]: 'remote-bye',
      [ATTR.mos]: 4.21,
      [TRACE_ATTR.lossInbound]: 0.01,
      [TRACE_ATTR.lossOutbound]: 0,
    });
    const [barge] = root.events;
    expect(barge?.name).toBe(SPAN.bargeIn);
    expect(barge?.attributes).toEqual({ [TRACE_ATTR.reactionMs]: 61.2, [ATTR.turnIndex]: 1 });

    const invite = one(all, SPAN.sipInvite);
    expect(parentOf(invite)).toBe(rootId);
    expect(invite.attributes).toMatchObject({ [ATTR.sipStatus]: 200, [ATTR.sipMethod]: 'INVITE' });
    const connect = one(all, SPAN.agentConnect);
    expect(parentOf(connect)).toBe(rootId);
    expect(ms(connect.endTime) - ms(connect.startTime)).toBeCloseTo(25, 3);

    const t = one(all, SPAN.turn);
    expect(parentOf(t)).toBe(rootId);
    expect(t.attributes).toMatchObject({ [ATTR.turnIndex]: 1, [TRACE_ATTR.turnLatencyMs]: 900 });
    expect(ms(t.startTime)).toBeCloseTo(T0 + 1_000, 3);
    expect(ms(t.endTime)).toBeCloseTo(T0 + 1_900, 3);
    const turnId = t.spanContext().spanId;
    const up = one(all, SPAN.uplink);
    const down = one(all, SPAN.downlink);
    expect([parentOf(up), parentOf(down)]).toEqual([turnId, turnId]);
    expect(up.events.map((e) => e.name)).toEqual([TURN_EVENT.rtpReceived, TURN_EVENT.bufferReleased, TURN_EVENT.decoded, TURN_EVENT.wsSent]);
    expect(up.attributes).toEqual({ [TRACE_ATTR.bufferWaitMs]: 0.1, [TRACE_ATTR.codecMs]: 0.3, [TRACE_ATTR.sendMs]: 0.1 });
    expect(down.events.map((e) => e.name)).toEqual([TURN_EVENT.wsReceived, TURN_EVENT.playoutTaken, TURN_EVENT.encoded, TURN_EVENT.rtpSent]);
    expect(down.attributes).toMatchObject({ [TRACE_ATTR.leadWaitMs]: 40, [TRACE_ATTR.codecMs]: 9.5 });
    expect(ms(down.endTime)).toBeCloseTo(T0 + 1_900, 3);
    const stt = one(all, SPAN.stt);
    expect(parentOf(stt)).toBe(turnId);
    expect(ms(stt.startTime)).toBeCloseTo(T0 + 1_100, 3);
    expect(ms(stt.endTime)).toBeCloseTo(T0 + 1_300, 3);
    expect(one(all, SPAN.llm).attributes).toEqual({ [TRACE_ATTR.stageMs]: 350 });

    // No phone number anywhere: neither the caller's nor the called one.
    const text = JSON.stringify(all.map((s) => [s.attributes, s.events.map((e) => e.attributes)]));
    expect(text).not.toContain('5557654321');
    expect(text).not.toContain('5550100004');
  });

  it('an ended call waits for its media’s quality report, then ends at its own end time anyway', async () => {
    const { telemetry, spans } = setup(30);
    const c = call();
    telemetry.admitted(c);
    telemetry.confirmed(c);
    telemetry.ended({ ...c, state: 'ended', endReason: 'agent-hangup' });
    const endedAt = performance.timeOrigin + performance.now();
    expect(byName(spans(), SPAN.call)).toEqual([]);
    await new Promise((r) => setTimeout(r, 80));
    const root = one(spans(), SPAN.call);
    expect(root.attributes[ATTR.mos]).toBeUndefined();
    expect(Math.abs(ms(root.endTime) - endedAt)).toBeLessThan(20);
    telemetry.quality(c.id, quality, rated); // too late: ignored
    expect(byName(spans(), SPAN.call).length).toBe(1);
  });

  it('a refused INVITE: the status on sip.invite, an error status; the agent-connect failure named', () => {
    const { telemetry, spans } = setup();
    const c = call({ rtpPort: undefined, plan: testPlan({ route: { agent: 'demo' } }) });
    telemetry.admitted(c);
    telemetry.agentConnect(c, { startMs: T0, endMs: T0 + 5, outcome: 'unreachable', failure: { code: 'AGENT_UNREACHABLE', message: 'refused' } });
    telemetry.inviteFailed(c, 503);
    telemetry.ended({ ...c, state: 'ended', endReason: 'error' });
    telemetry.inviteFailed(undefined, 404);
    telemetry.inviteFailed(undefined, 404);
    telemetry.inviteFailed(undefined, 487);
    const all = spans();
    const invite = one(all, SPAN.sipInvite);
    expect(invite.attributes[ATTR.sipStatus]).toBe(503);
    expect(invite.status.code).toBe(SpanStatusCode.ERROR);
    const connect = one(all, SPAN.agentConnect);
    expect(connect.attributes[TRACE_ATTR.errorType]).toBe('AGENT_UNREACHABLE');
    expect(connect.attributes[TRACE_ATTR.agentOutcome]).toBe('unreachable');
    expect(one(all, SPAN.call).attributes[ATTR.agent]).toBe('demo'); // no media opened: ended at once
  });

  it('names agents by kind, never by URL', () => {
    expect(agentKind({ agent: 'echo' })).toBe('echo');
    expect(agentKind({ agent: 'wss://bot.example/x?token=secret' })).toBe('websocket');
    expect(agentKind({ agent: 'ws://bot.example', protocol: 'twilio' })).toBe('twilio');
    expect(agentKind({ agent: { adapter: 'websocket', url: 'ws://x', protocol: 'twilio' } })).toBe('twilio');
    expect(agentKind({ agent: { adapter: 'openai-realtime', model: 'm' } })).toBe('openai-realtime');
  });
});
