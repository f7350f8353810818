/**
 * The agent's side of one call's media: takes what the agent sends (audio for playout, commands) and carries what
 * the agent is told. Playout commands (mark, clear, DTMF) act on the media engine; requests only the SIP side can
 * honour (hangup, transfer) go up as events; `stage` timings go to the hop histograms, and with `transcript` lines
 * and the errors the agent is sent, to the call's timeline (media/timeline.ts). Agent audio that does not fit
 * the playout queue is dropped and reported at most once a second.
 */
import type { AgentMessage, AgentStage, GatewayMessage, StopReasonValue } from '@patchbay/agents';
import type { AgentLink, AgentSink } from '../agent/agent-link.js';
import { STAGE_HOPS, type HopMetrics } from '../metrics/hop-metrics.js';
import { samplesToMs } from './audio/frame.js';
import type { CallMediaEvents } from './call-media-options.js';
import { epochMs, type MediaTimelineEvent } from './timeline.js';

const OVERFLOW_REPORT_INTERVAL_MS = 1000;

/** What the agent's playout commands act on: the call's media engine. */
export interface AgentCommandTarget {
  /** Agent audio for playout; returns how many samples did not fit (dropped). */
  play(pcm: Int16Array): number;
  mark(name: string): void;
  clear(turnId: string | undefined): void;
  sendDtmf(digits: string, durationMs: number): void;
}

export interface AgentControlOptions {
  events: CallMediaEvents;
  hops: HopMetrics;
  /** Also told of every `stage` report (the call's turn trace, when tracing is on). */
  onStage?: (stage: AgentStage, ms: number) => void;
  /** The call's timeline: the agent's transcript lines and stage reports, and every `error` the agent is sent. */
  timeline?: ((event: MediaTimelineEvent) => void) | undefined;
}

export class AgentControl implements AgentSink {
  private link: AgentLink | undefined;
  private closed = false;
  private unreportedOverflow = 0;
  private lastOverflowReportMs = -Infinity;
  /** Agent audio dropped because the playout queue was full, in samples (24 kHz). */
  overflowSamples = 0;

  constructor(
    private readonly media: AgentCommandTarget,
    private readonly options: AgentControlOptions,
  ) {}

  attach(link: AgentLink): void {
    this.link = link;
  }

  send(msg: GatewayMessage): void {
    if (msg.type === 'error') this.options.timeline?.({ type: 'agent-error', atMs: epochMs(), code: msg.code });
    this.link?.send(msg);
  }

  sendAudio(frame: Int16Array): void {
    this.link?.sendAudio(frame);
  }

  onAudio(pcm: Int16Array): void {
    const dropped = this.media.play(pcm);
    if (dropped === 0) return;
    this.overflowSamples += dropped;
    this.unreportedOverflow += dropped;
    const now = performance.now();
    if (now - this.lastOverflowReportMs < OVERFLOW_REPORT_INTERVAL_MS) return;
    this.lastOverflowReportMs = now;
    const droppedMs = Math.round(samplesToMs(this.unreportedOverflow));
    this.unreportedOverflow = 0;
    this.send({ type: 'error', code: 'playout_overflow', message: 'playout buffer full; newest agent audio dropped', droppedMs });
  }

  onMessage(msg: AgentMessage): void {
    switch (msg.type) {
      case 'mark':
        return this.media.mark(msg.name);
      case 'clear':
        return this.media.clear(msg.turnId);
      case 'hangup':
        return this.options.events.onHangupRequest(msg.reason ?? 'agent_hangup');
      case 'dtmf':
        return this.media.sendDtmf(msg.digits, msg.durationMs ?? 100);
      case 'stage':
        this.options.hops[STAGE_HOPS[msg.stage]].record(msg.ms);
        this.options.timeline?.({ type: 'stage', atMs: epochMs(), stage: msg.stage, ms: msg.ms });
        return this.options.onStage?.(msg.stage, msg.ms);
      case 'transcript':
        return this.options.timeline?.({ type: 'transcript', atMs: epochMs(), role: msg.role, text: msg.text, final: msg.final });
      case 'transfer':
        return this.options.events.onTransferRequest(msg.target);
      case 'consult':
      case 'bridge':
      case 'cancel_consult':
        return this.options.events.onWarmTransfer(msg);
    }
  }

  onClose(reason: string): void {
    if (!this.closed) this.options.events.onAgentGone(reason);
  }

  /** Sends `stop{reason}` and closes the link; the agent's own close after this is not reported. Idempotent. */
  close(reason: StopReasonValue): void {
    if (this.closed) return;
    this.closed = true;
    this.link?.close(reason);
  }
}
