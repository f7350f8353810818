/**
 * One live call's record as it grows: the lifecycle events and the media's timeline folded into counters, a bounded
 * timeline and a bounded transcript, turned into the finished CallDetail once the call has ended (and its media has
 * reported, or the wait for it ran out: builder.ts decides when). Pure: no timers, no I/O; O(1) per event.
 * docs/records.md documents every field and timeline entry.
 */
import { AGENT_STAGES, type AgentStage } from '@patchbay/agents';
import { callMos } from '@patchbay/observability';
import { epochNow, type Call } from '../call/call.js';
import type { CallEventOf } from '../call/events.js';
import { summarize } from '../call/registry.js';
import type { MediaTimelineEvent } from '../media/timeline.js';
import type { CallDetail, CallRecord, RoutingDecision, TimelineEntry, TimelineType, TranscriptLine, TransferOutcome } from './record.js';

export interface RecordLimits {
  /** Timeline entries kept per call (the call's start and end are always kept); the rest are counted as cut. */
  maxTimeline: number;
  /** Transcript lines kept per call; the rest are counted as cut. */
  maxTranscript: number;
}

export const DEFAULT_RECORD_LIMITS: RecordLimits = { maxTimeline: 1_000, maxTranscript: 1_000 };

/** Samples kept per statistic (turn latency, each stage): the first this many of the call. */
export const MAX_SAMPLES = 1_024;

/** Entries that happen once per call and are kept whatever the cap. */
const ALWAYS_KEPT: ReadonlySet<TimelineType> = new Set(['created', 'routed', 'answered', 'media-ended', 'ended']);

export class CallAccumulator {
  private readonly timeline: TimelineEntry[] = [];
  private readonly transcript: TranscriptLine[] = [];
  private timelineCut = 0;
  private transcriptCut = 0;
  private dtmfCount = 0;
  private bargeIns = 0;
  private turns = 0;
  private readonly turnLatencies: number[] = [];
  private readonly stages = new Map<AgentStage, number[]>();
  private transfer: { target: string; outcome: TransferOutcome | 'requested' } | undefined;
  private end: CallEventOf<'ended'> | undefined;
  private quality: CallRecord['quality'] = null;
  private endedEntry: TimelineEntry | undefined;
  /** The media's report came (or is not coming: it never ran). */
  mediaDone = false;

  constructor(
    readonly call: Call,
    private readonly limits: RecordLimits = DEFAULT_RECORD_LIMITS,
    /** Epoch ms now, for entries whose event carries no time of its own (transfers, media-ended). */
    private readonly now: () => number = epochNow,
  ) {
    this.add(call.times.createdAt, 'created', { direction: call.direction });
    const routing = routingOf(call.plan);
    if (routing !== null) this.add(call.times.createdAt, 'routed', { ...routing });
  }

  get hasEnded(): boolean {
    return this.end !== undefined;
  }

  ringing(): void {
    this.add(this.call.times.ringingAt ?? this.now(), 'ringing', {});
  }

  agentConnect(e: CallEventOf<'agent-connect'>): void {
    const r = e.report;
    if (r === undefined) {
      this.add(this.now(), 'agent-failed', { code: e.error?.code ?? 'error' });
    } else if (r.outcome === 'connected') {
      this.add(r.endMs, 'agent-connected', { connectMs: Math.round(r.endMs - r.startMs) });
    } else {
      this.add(r.endMs, 'agent-failed', { code: r.failure?.code ?? 'error', outcome: r.outcome, connectMs: Math.round(r.endMs - r.startMs) });
    }
  }

  /** One entry per person forwarding rang, at the time that leg settled. */
  forwarded(e: CallEventOf<'forwarded'>): void {
    for (const a of e.attempts) {
      this.add(a.atMs, 'forward', { to: a.to, trunk: a.trunk, outcome: a.outcome, ...(a.callId === undefined ? {} : { callId: a.callId }), ...(a.code === undefined ? {} : { code: a.code }) });
    }
  }

  /** A step of a warm transfer: dialling, answered, failed, ended, cancelled, bridged. */
  consulted(e: CallEventOf<'consulted'>): void {
    this.add(this.now(), 'consult', { to: e.target, status: e.status, ...(e.legId === undefined ? {} : { callId: e.legId }), ...(e.reason === undefined ? {} : { reason: e.reason }) });
  }

  /** The person hung up first and the caller went back to its agent (`agent`), or could not (`ended`). */
  unbridged(e: CallEventOf<'unbridged'>): void {
    this.add(this.now(), 'back-to-agent', { callId: e.legId, outcome: e.outcome, connectMs: e.connectMs });
  }

  /** A supervisor's step: ringing their phone, on (hearing the call), a mode change, off. */
  monitored(e: CallEventOf<'monitored'>): void {
    this.add(this.now(), 'monitor', { step: e.step, mode: e.mode, to: e.to, ...(e.legId === undefined ? {} : { callId: e.legId }) });
  }

  answered(): void {
    this.add(this.call.times.answeredAt ?? this.now(), 'answered', { codec: this.call.sdp?.negotiated?.codec.name ?? null });
  }

  transferRequested(target: string): void {
    this.transfer = { target, outcome: 'requested' };
    this.add(this.now(), 'transfer', { target, outcome: 'requested' });
  }

  transferFailed(target: string, message: string): void {
    this.transfer = { target, outcome: 'failed' };
    this.add(this.now(), 'transfer', { target, outcome: 'failed', message });
  }

  transferred(): void {
    if (this.transfer === undefined) return;
    this.transfer = { target: this.transfer.target, outcome: 'accepted' };
    this.add(this.now(), 'transfer', { target: this.transfer.target, outcome: 'accepted' });
  }

  ended(e: CallEventOf<'ended'>): void {
    this.end = e;
    const data: Record<string, unknown> = { reason: e.reason, disposition: e.disposition, sipStatus: e.sipStatus ?? null };
    this.endedEntry = this.add(this.call.times.endedAt ?? this.now(), 'ended', data);
  }

  mediaEnded(e: CallEventOf<'media-ended'>): void {
    this.mediaDone = true;
    const q = e.quality;
    const mos = q === undefined ? undefined : callMos(q)?.mos;
    if (q !== undefined && mos !== undefined) {
      this.quality = { packetsExpected: q.packetsExpected, packetsLost: q.packetsLost, jitterMs: round1(q.jitterMs), mos: Math.round(mos * 100) / 100 };
    }
    this.add(this.now(), 'media-ended', { interruptions: e.bargeIn.interruptions, ...(this.quality ?? {}) });
  }

  media(e: MediaTimelineEvent): void {
    switch (e.type) {
      case 'turn':
        this.turns++;
        if (this.turnLatencies.length < MAX_SAMPLES) this.turnLatencies.push(e.latencyMs);
        return void this.add(e.atMs, 'turn', { index: e.index, latencyMs: e.latencyMs });
      case 'barge-in':
        this.bargeIns++;
        return void this.add(e.atMs, 'barge-in', { playedMs: e.playedMs, reactionMs: e.reactionMs });
      case 'mark':
        return void this.add(e.atMs, 'mark', { name: e.name, played: e.played });
      case 'dtmf':
        if (e.direction === 'in') this.dtmfCount++;
        return void this.add(e.atMs, 'dtmf', { digit: e.digit, direction: e.direction });
      case 'transcript': {
        let line: number | null = null;
        if (this.transcript.length < this.limits.maxTranscript) {
          line = this.transcript.length;
          this.transcript.push({ at: iso(e.atMs), role: e.role, text: e.text, final: e.final });
        } else {
          this.transcriptCut++;
        }
        return void this.add(e.atMs, 'transcript', { role: e.role, final: e.final, line });
      }
      case 'stage': {
        const list = this.stages.get(e.stage) ?? [];
        if (list.length < MAX_SAMPLES) list.push(e.ms);
        this.stages.set(e.stage, list);
        return;
      }
      case 'agent-error':
        return void this.add(e.atMs, 'agent-error', { code: e.code });
      case 'agent-failed':
        return void this.add(e.atMs, 'agent-failed', { cause: e.cause, attempt: e.attempt });
      case 'agent-redial':
        return void this.add(e.atMs, 'agent-redial', { attempt: e.attempt, outcome: e.outcome, ...(e.code === undefined ? {} : { code: e.code }), connectMs: e.connectMs });
    }
  }

  /** The finished record; call once `ended` has come. */
  finish(): CallDetail {
    const end = this.end;
    if (end === undefined) throw new Error(`call ${this.call.id} has not ended`);
    if (this.endedEntry !== undefined && (this.timelineCut > 0 || this.transcriptCut > 0)) {
      this.endedEntry.data['cut'] = { timeline: this.timelineCut, transcript: this.transcriptCut };
    }
    const s = summarize(this.call);
    const transfer = this.transfer === undefined ? null : { target: this.transfer.target, outcome: this.transfer.outcome === 'accepted' ? ('accepted' as const) : ('failed' as const) };
    const record: CallRecord = {
      id: s.id,
      direction: s.direction,
      status: end.disposition,
      from: s.from,
      to: s.to,
      number: s.number,
      trunk: s.trunk,
      agent: s.agent,
      codec: s.codec,
      createdAt: s.createdAt,
      ringingAt: s.ringingAt,
      answeredAt: s.answeredAt,
      endedAt: s.endedAt,
      ringMs: end.durations.ringMs ?? null,
      talkMs: end.durations.talkMs ?? null,
      disposition: end.disposition,
      sipStatus: end.sipStatus ?? null,
      endReason: end.reason,
      transfer,
      dtmfCount: this.dtmfCount,
      bargeIns: this.bargeIns,
      turns: this.turns,
      turnLatencyMs: this.turnLatencies.length === 0 ? null : { p50: percentile(this.turnLatencies, 50), p95: percentile(this.turnLatencies, 95) },
      quality: this.quality,
      stages: stageMedians(this.stages),
      recording: null,
      routing: routingOf(this.call.plan),
    };
    // Media events cross threads: order by time (stable, so same-ms entries keep their arrival order).
    const timeline = this.timeline.map((e, i) => ({ e, i, t: Date.parse(e.at) })).sort((a, b) => a.t - b.t || a.i - b.i).map((x) => x.e);
    return { ...record, timeline, transcript: [...this.transcript] };
  }

  private add(atMs: number, type: TimelineType, data: Record<string, unknown>): TimelineEntry | undefined {
    if (!ALWAYS_KEPT.has(type) && this.timeline.length >= this.limits.maxTimeline) {
      this.timelineCut++;
      return undefined;
    }
    const entry: TimelineEntry = { at: iso(atMs), type, data };
    this.timeline.push(entry);
    return entry;
  }
}

/**
 * How the call got its route, when its plan carries one (`plan.routing`, set by the numbers/routing part); null
 * otherwise. Read structurally so the record follows the plan without a change here.
 */
export function routingOf(plan: object): RoutingDecision | null {
  if (!('routing' in plan)) return null;
  const r = plan.routing;
  if (typeof r !== 'object' || r === null || !('source' in r) || !('action' in r)) return null;
  return r as RoutingDecision;
}

/** Nearest-rank percentile of `values` (not empty), to 0.1 ms. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return round1(sorted[Math.min(sorted.length, rank) - 1] ?? 0);
}

function stageMedians(stages: ReadonlyMap<AgentStage, number[]>): CallRecord['stages'] {
  const out: CallRecord['stages'] = { stt: null, llm: null, tts: null, realtime: null };
  for (const stage of AGENT_STAGES) {
    const list = stages.get(stage);
    if (list !== undefined && list.length > 0) out[stage] = percentile(list, 50);
  }
  return out;
}

const round1 = (ms: number): number => Math.round(ms * 10) / 10;
const iso = (epochMs: number): string => new Date(Math.round(epochMs)).toISOString();
