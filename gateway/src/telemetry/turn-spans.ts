/**
 * A turn record from the media plane (plain data, epoch ms) as spans under its call: `turn` from the end of the
 * caller's speech to the agent's first audio on RTP; `turn.uplink` for the turn's last caller packet and
 * `turn.downlink` for its first agent chunk, each with an event per step; one `agent.<stage>` span per stage report
 * that came during the turn, ending when it arrived. All start and end times are explicit: the spans are built
 * after the fact, on the main thread, from what the media (possibly a worker thread) measured.
 */
import { trace, type Attributes, type Context, type Span, type Tracer } from '@opentelemetry/api';
import type { AgentStage } from '@patchbay/agents';
import { ATTR, SPAN } from '@patchbay/observability';
import type { TurnRecord } from '../media/turn-trace.js';
import { TRACE_ATTR, TURN_EVENT } from '@patchbay/observability';

const STAGE_SPAN: Readonly<Record<AgentStage, string>> = { stt: SPAN.stt, llm: SPAN.llm, tts: SPAN.tts, realtime: SPAN.realtime };

/** Builds and ends the spans of one turn under `parent` (the call's context). */
export function recordTurn(tracer: Tracer, parent: Context, turn: TurnRecord): void {
  const span = tracer.startSpan(
    SPAN.turn,
    { startTime: turn.startMs, attributes: { [ATTR.turnIndex]: turn.index, [TRACE_ATTR.turnLatencyMs]: round(turn.endMs - turn.startMs) } },
    parent,
  );
  const ctx = trace.setSpan(parent, span);
  const u = turn.uplink;
  if (u) {
    hop(tracer, ctx, SPAN.uplink, [
      [TURN_EVENT.rtpReceived, u.arrivalMs],
      [TURN_EVENT.bufferReleased, u.releasedMs],
      [TURN_EVENT.decoded, u.decodedMs],
      [TURN_EVENT.wsSent, u.sentMs],
    ], {
      [TRACE_ATTR.bufferWaitMs]: round(u.releasedMs - u.arrivalMs),
      [TRACE_ATTR.codecMs]: round(u.decodedMs - u.releasedMs),
      [TRACE_ATTR.sendMs]: round(u.sentMs - u.decodedMs),
    });
  }
  const d = turn.downlink;
  hop(tracer, ctx, SPAN.downlink, [
    [TURN_EVENT.wsReceived, d.receivedMs],
    [TURN_EVENT.playoutTaken, d.takenMs],
    [TURN_EVENT.encoded, d.encodedMs],
    [TURN_EVENT.rtpSent, d.sentMs],
  ], {
    [TRACE_ATTR.leadWaitMs]: round(d.takenMs - d.receivedMs),
    [TRACE_ATTR.codecMs]: round(d.encodedMs - d.takenMs),
    [TRACE_ATTR.sendMs]: round(d.sentMs - d.encodedMs),
  });
  for (const s of turn.stages) {
    tracer.startSpan(STAGE_SPAN[s.stage], { startTime: s.atMs - s.ms, attributes: { [TRACE_ATTR.stageMs]: s.ms } }, ctx).end(s.atMs);
  }
  span.end(turn.endMs);
}

/** A hop's span from its first step to its last, with an event at each step. */
function hop(tracer: Tracer, parent: Context, name: string, steps: Array<[string, number]>, attributes: Attributes): void {
  const first = steps[0]?.[1];
  const last = steps.at(-1)?.[1];
  if (first === undefined || last === undefined) return;
  const span: Span = tracer.startSpan(name, { startTime: first, attributes }, parent);
  for (const [event, at] of steps) span.addEvent(event, undefined, at);
  span.end(last);
}

/** Milliseconds to the microsecond: enough for a hop, and short in a trace view. */
function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
