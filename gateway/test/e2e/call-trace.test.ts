/**
 * A trace per call, end to end: baresip calls the gateway and says a sentence (espeak-ng); an agent served over the
 * real protocol answers each `speech_stopped` with its stage timings (stt, llm, tts) and a second of audio. Tracing
 * runs through the observability package's SDK set-up with an in-memory exporter. The call's spans must form the
 * tree call → sip.invite, agent.connect, turn → turn.uplink, turn.downlink, agent.stt/llm/tts, with their times
 * in order and attributes that name the call but never a phone number. Once with the media on the main thread and
 * once in a media worker (the turn records cross a thread as plain data).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serveAgent, type AgentServer } from '@patchbay/agents';
import { ATTR, SPAN, startTelemetry, type Telemetry } from '@patchbay/observability';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRACE_ATTR, TURN_EVENT } from '@patchbay/observability';
import { speechWav } from '../helpers/audio.js';
import { baresipCall, describeCall } from '../helpers/baresip.js';
import { startTestGateway, waitFor } from '../helpers/gateway.js';

const DIALLED = '+15550107777';
const AGENT_RATE = 24_000;

/** ms since the epoch of an OTel HrTime. */
const ms = (t: [number, number]): number => t[0] * 1000 + t[1] / 1e6;
const idOf = (s: ReadableSpan): string => s.spanContext().spanId;
const parentOf = (s: ReadableSpan): string | undefined => s.parentSpanContext?.spanId;

function tone(msLong: number): Int16Array {
  const out = new Int16Array((AGENT_RATE * msLong) / 1000);
  for (let i = 0; i < out.length; i++) out[i] = Math.round(6_000 * Math.sin((2 * Math.PI * 440 * i) / AGENT_RATE));
  return out;
}

/** The tree below `parent`, as names, for failure messages. */
function describeTree(spans: readonly ReadableSpan[]): string {
  const lines: string[] = [];
  const walk = (parent: string | undefined, depth: number): void => {
    for (const s of spans.filter((x) => parentOf(x) === parent)) {
      lines.push(`${'  '.repeat(depth)}${s.name} ${JSON.stringify(s.attributes)}`);
      walk(idOf(s), depth + 1);
    }
  };
  walk(undefined, 0);
  return lines.join('\n');
}

describe('a trace per call (baresip caller, protocol agent answering each turn)', () => {
  const exporter = new InMemorySpanExporter();
  let telemetry: Telemetry;
  let agent: AgentServer;
  let dir = '';
  let microphone = '';
  const agentTurns: number[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'patchbay-trace-'));
    microphone = join(dir, 'caller.wav');
    await speechWav(microphone, 'Hello there. Could you tell me what time it is, please?', { leadMs: 1_000, tailMs: 300 });
    telemetry = startTelemetry({ serviceName: 'patchbay-gateway-test', serviceVersion: '0.0.0', env: {}, exporter });
    expect(telemetry.enabled).toBe(true);
    agent = await serveAgent(
      {
        name: 'trace-agent',
        create: (ctx) => ({
          onAudio: () => undefined,
          onMessage: (msg) => {
            if (msg.type !== 'speech_stopped') return;
            agentTurns.push(performance.now());
            ctx.send({ type: 'stage', stage: 'stt', ms: 120 });
            ctx.send({ type: 'stage', stage: 'llm', ms: 240 });
            ctx.send({ type: 'stage', stage: 'tts', ms: 60 });
            ctx.sendAudio(tone(1_000));
          },
          close: () => undefined,
        }),
      },
      { port: 0 },
    );
  });

  afterAll(async () => {
    await agent?.close();
    await telemetry?.shutdown();
    await rm(dir, { recursive: true, force: true });
  });

  for (const workers of [0, 1]) {
    it(`media.workers ${workers}: call → sip.invite, agent.connect, turn → uplink, downlink, stages`, async () => {
      exporter.reset();
      const gw = await startTestGateway({ numbers: { '+1555*': { agent: agent.url } }, media: { workers } }, { tracer: telemetry.tracer });
      try {
        const result = await baresipCall({ uri: `sip:${DIALLED}@127.0.0.1:${gw.sipPort}`, codecs: ['PCMU'], microphone, hangupAfterMs: 7_000 });
        expect(result.established, describeCall(result)).toBe(true);
        await waitFor(() => exporter.getFinishedSpans().some((s) => s.name === SPAN.call), 10_000, () => describeTree(exporter.getFinishedSpans()));
      } finally {
        await gw.close();
      }
      const spans = exporter.getFinishedSpans();
      const tree = describeTree(spans);
      console.log(`[trace workers=${workers}]\n${tree}`);

      const roots = spans.filter((s) => s.name === SPAN.call);
      expect(roots.length, tree).toBe(1);
      const root = roots[0] as ReadableSpan;
      expect(parentOf(root)).toBeUndefined();
      const traceId = root.spanContext().traceId;
      expect(spans.every((s) => s.spanContext().traceId === traceId), tree).toBe(true);
      expect(root.attributes[ATTR.callId]).toMatch(/^[0-9a-f-]{36}$/);
      expect(root.attributes).toMatchObject({ [ATTR.number]: '+1555*', [ATTR.agent]: 'websocket', [ATTR.codec]: 'PCMU', [ATTR.endReason]: 'remote-bye' });
      const mos = root.attributes[ATTR.mos];
      expect(typeof mos === 'number' && mos >= 1 && mos <= 4.5, `MOS ${String(mos)}`).toBe(true);

      const children = (parent: ReadableSpan, name: string): ReadableSpan[] => spans.filter((s) => s.name === name && parentOf(s) === idOf(parent));
      const [invite] = children(root, SPAN.sipInvite);
      expect(invite?.attributes[ATTR.sipStatus], tree).toBe(200);
      const [connect] = children(root, SPAN.agentConnect);
      expect(connect?.attributes[TRACE_ATTR.agentOutcome], tree).toBe('connected');
      if (invite && connect) expect(ms(connect.endTime)).toBeLessThanOrEqual(ms(invite.endTime));

      const turns = children(root, SPAN.turn);
      expect(turns.length, tree).toBeGreaterThanOrEqual(1);
      expect(turns.length).toBeLessThanOrEqual(agentTurns.length);
      const turn = turns[0] as ReadableSpan;
      expect(turn.attributes[ATTR.turnIndex]).toBe(1);
      const turnMs = ms(turn.endTime) - ms(turn.startTime);
      // The caller's last packet → the agent's first audio on RTP: the speech detector's hangover plus the agent's
      // reply and the playout lead; bounded well under the call.
      expect(turnMs).toBeGreaterThan(0);
      expect(turnMs).toBeLessThan(3_000);
      expect(ms(turn.startTime)).toBeGreaterThanOrEqual(ms(root.startTime));
      expect(ms(turn.endTime)).toBeLessThanOrEqual(ms(root.endTime));

      const [up] = children(turn, SPAN.uplink);
      const [down] = children(turn, SPAN.downlink);
      expect(up?.events.map((e) => e.name), tree).toEqual([TURN_EVENT.rtpReceived, TURN_EVENT.bufferReleased, TURN_EVENT.decoded, TURN_EVENT.wsSent]);
      expect(down?.events.map((e) => e.name), tree).toEqual([TURN_EVENT.wsReceived, TURN_EVENT.playoutTaken, TURN_EVENT.encoded, TURN_EVENT.rtpSent]);
      for (const hop of [up, down]) {
        const times = (hop?.events ?? []).map((e) => ms(e.time));
        expect(times, `${hop?.name}: steps in order`).toEqual([...times].sort((a, b) => a - b));
      }
      if (up) expect(ms(up.startTime)).toBeCloseTo(ms(turn.startTime), 0); // the turn starts at its last caller packet
      if (down) expect(ms(down.endTime)).toBeCloseTo(ms(turn.endTime), 0); // and ends at the agent's first packet
      const stages = [SPAN.stt, SPAN.llm, SPAN.tts].map((name) => children(turn, name)[0]);
      expect(stages.map((s) => s?.attributes[TRACE_ATTR.stageMs]), tree).toEqual([120, 240, 60]);

      // The caller talking over the agent's first answer (its sentence goes on) is a barge-in on the call.
      for (const e of root.events.filter((x) => x.name === SPAN.bargeIn)) {
        expect(e.attributes?.[TRACE_ATTR.reactionMs]).toBeGreaterThan(0);
        expect(e.attributes?.[ATTR.turnIndex]).toBeGreaterThanOrEqual(1);
      }
      console.log(`[trace workers=${workers}] turns ${turns.length}, barge-ins ${root.events.filter((x) => x.name === SPAN.bargeIn).length}`);

      // Never a phone number, in any attribute or event of any span.
      const everything = JSON.stringify(spans.map((s) => [s.name, s.attributes, s.events.map((e) => e.attributes ?? {})]));
      expect(everything).not.toContain(DIALLED.slice(1));
      // The call id is a random UUID: its last group is all digits about one time in 300, which is not a number.
      const withoutUuids = everything.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<uuid>');
      expect(withoutUuids).toContain('<uuid>');
      expect(withoutUuids).not.toMatch(/\+?\d{10,}/);
    }, 60_000);
  }
});
