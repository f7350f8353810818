/** A call record to and from its table rows (store/schema.ts): the one place the two shapes meet. */
import type { CallDirection } from '../call/plan.js';
import type { CallStatus, Disposition, EndReason } from '../call/vocabulary.js';
import type { CallEventsTable, CallsTable, CallTranscriptsTable } from '../store/schema.js';
import type { CallDetail, CallRecord, RoutingDecision, TimelineEntry, TimelineType, TranscriptLine, TransferOutcome } from './record.js';

export function recordToRow(r: CallRecord, gatewayId: string): CallsTable {
  return {
    id: r.id,
    direction: r.direction,
    status: r.status,
    from_number: r.from,
    to_number: r.to,
    number_pattern: r.number,
    trunk: r.trunk,
    agent_kind: r.agent.kind,
    agent_target: r.agent.target,
    codec: r.codec,
    created_at: epoch(r.createdAt),
    ringing_at: epochOrNull(r.ringingAt),
    answered_at: epochOrNull(r.answeredAt),
    ended_at: epochOrNull(r.endedAt),
    ring_ms: r.ringMs,
    talk_ms: r.talkMs,
    disposition: r.disposition,
    sip_status: r.sipStatus,
    end_reason: r.endReason,
    transfer_target: r.transfer?.target ?? null,
    transfer_outcome: r.transfer?.outcome ?? null,
    dtmf_count: r.dtmfCount,
    barge_ins: r.bargeIns,
    turns: r.turns,
    turn_p50_ms: r.turnLatencyMs?.p50 ?? null,
    turn_p95_ms: r.turnLatencyMs?.p95 ?? null,
    packets_expected: r.quality?.packetsExpected ?? null,
    packets_lost: r.quality?.packetsLost ?? null,
    jitter_ms: r.quality?.jitterMs ?? null,
    mos: r.quality?.mos ?? null,
    stage_stt_ms: r.stages.stt,
    stage_llm_ms: r.stages.llm,
    stage_tts_ms: r.stages.tts,
    stage_realtime_ms: r.stages.realtime,
    recording_ref: r.recording,
    routing_json: r.routing === null ? null : JSON.stringify(r.routing),
    gateway_id: gatewayId,
  };
}

export function rowToRecord(row: CallsTable): CallRecord {
  const quality =
    row.packets_expected === null || row.packets_lost === null || row.jitter_ms === null || row.mos === null
      ? null
      : { packetsExpected: row.packets_expected, packetsLost: row.packets_lost, jitterMs: row.jitter_ms, mos: row.mos };
  return {
    id: row.id,
    direction: row.direction as CallDirection,
    status: row.status as CallStatus,
    from: row.from_number,
    to: row.to_number,
    number: row.number_pattern,
    trunk: row.trunk,
    agent: { kind: row.agent_kind, target: row.agent_target },
    codec: row.codec,
    createdAt: iso(row.created_at),
    ringingAt: isoOrNull(row.ringing_at),
    answeredAt: isoOrNull(row.answered_at),
    endedAt: isoOrNull(row.ended_at),
    ringMs: row.ring_ms,
    talkMs: row.talk_ms,
    disposition: row.disposition as Disposition | null,
    sipStatus: row.sip_status,
    endReason: row.end_reason as EndReason | null,
    transfer: row.transfer_target === null ? null : { target: row.transfer_target, outcome: (row.transfer_outcome ?? 'failed') as TransferOutcome },
    dtmfCount: row.dtmf_count,
    bargeIns: row.barge_ins,
    turns: row.turns,
    turnLatencyMs: row.turn_p50_ms === null || row.turn_p95_ms === null ? null : { p50: row.turn_p50_ms, p95: row.turn_p95_ms },
    quality,
    stages: { stt: row.stage_stt_ms, llm: row.stage_llm_ms, tts: row.stage_tts_ms, realtime: row.stage_realtime_ms },
    recording: row.recording_ref,
    routing: row.routing_json === null ? null : (JSON.parse(row.routing_json) as RoutingDecision),
  };
}

export function timelineToRows(callId: string, entries: readonly TimelineEntry[]): CallEventsTable[] {
  return entries.map((e, seq) => ({ call_id: callId, seq, at: epoch(e.at), type: e.type, data_json: JSON.stringify(e.data) }));
}

export function rowsToTimeline(rows: readonly CallEventsTable[]): TimelineEntry[] {
  return [...rows]
    .sort((a, b) => a.seq - b.seq)
    .map((r) => ({ at: iso(r.at), type: r.type as TimelineType, data: JSON.parse(r.data_json) as Record<string, unknown> }));
}

export function transcriptToRows(callId: string, lines: readonly TranscriptLine[]): CallTranscriptsTable[] {
  return lines.map((l, seq) => ({ call_id: callId, seq, at: epoch(l.at), role: l.role, text: l.text, final: l.final ? 1 : 0 }));
}

export function rowsToTranscript(rows: readonly CallTranscriptsTable[]): TranscriptLine[] {
  return [...rows].sort((a, b) => a.seq - b.seq).map((r) => ({ at: iso(r.at), role: r.role, text: r.text, final: r.final === 1 }));
}

export function detailOf(record: CallRecord, timeline: TimelineEntry[], transcript: TranscriptLine[]): CallDetail {
  return { ...record, timeline, transcript };
}

const epoch = (isoTime: string): number => Date.parse(isoTime);
const epochOrNull = (isoTime: string | null): number | null => (isoTime === null ? null : Date.parse(isoTime));
const iso = (epochMs: number): string => new Date(Number(epochMs)).toISOString();
const isoOrNull = (epochMs: number | null): string | null => (epochMs === null ? null : iso(epochMs));
