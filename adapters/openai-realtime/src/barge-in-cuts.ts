/**
 * Barge-in on a Realtime call: the model's answer is cancelled, the gateway told to `clear` what is still queued, and
 * the conversation's items truncated to exactly what the caller heard (`conversation.item.truncate` at the
 * `playedMs` the gateway reports), so the model knows where it was cut off. Two ways in: the gateway interrupted the
 * audio itself (`bargeIn: gateway`, `interrupted` says how much played), or the model heard the caller (`bargeIn:
 * agent`: we clear, and truncate when `cleared` says how much played).
 */
import type { AgentMessage } from '@patchbay/agents';
import type { RealtimeClientEvent } from 'openai/resources/realtime/realtime';
import type { CallLogger } from './call-logger.js';
import { truncationsAt, type EndedTurn, type PlaybackLedger } from './playback-ledger.js';
import type { ResponseTracker } from './response-tracker.js';

/** Turns cut by an agent-side `clear` awaiting their `cleared`. */
const MAX_PENDING_CUTS = 8;

export interface BargeInCutsDeps {
  readonly ledger: PlaybackLedger;
  readonly responses: ResponseTracker;
  readonly log: CallLogger;
  send(msg: AgentMessage): void;
  sendEvent(event: RealtimeClientEvent): void;
}

export class BargeInCuts {
  private readonly pendingCuts = new Map<string, EndedTurn>();

  constructor(private readonly deps: BargeInCutsDeps) {}

  /** `bargeIn: gateway`: the gateway stopped our audio after `playedMs` of this turn. */
  interrupted(playedMs: number): void {
    this.deps.responses.cancelActive();
    const turn = this.deps.ledger.endTurn();
    this.truncate(turn, playedMs);
    this.deps.send({ type: 'clear', turnId: turn.turnId });
  }

  /** `bargeIn: agent`: the model heard the caller over its audio: stop it now, truncate when `cleared` says how much played. */
  modelHeardCaller(): void {
    const { ledger, responses } = this.deps;
    if (!ledger.hasUnplayedAudio && !responses.isActive) return;
    responses.cancelActive();
    const turn = ledger.endTurn();
    this.pendingCuts.set(turn.turnId, turn);
    if (this.pendingCuts.size > MAX_PENDING_CUTS) {
      const oldest = this.pendingCuts.keys().next();
      if (oldest.done !== true) this.pendingCuts.delete(oldest.value);
    }
    this.deps.send({ type: 'clear', turnId: turn.turnId });
  }

  /** The gateway's `cleared` for a turn we cut: truncate it to what played. */
  cleared(turnId: string | undefined, playedMs: number): void {
    const cut = turnId === undefined ? undefined : this.pendingCuts.get(turnId);
    if (cut === undefined || turnId === undefined) return;
    this.pendingCuts.delete(turnId);
    this.truncate(cut, playedMs);
  }

  private truncate(turn: EndedTurn, playedMs: number): void {
    const cuts = truncationsAt(turn, playedMs);
    for (const cut of cuts) {
      this.deps.sendEvent({ type: 'conversation.item.truncate', item_id: cut.itemId, content_index: 0, audio_end_ms: cut.audioEndMs });
    }
    this.deps.log.debug({ turnId: turn.turnId, playedMs, truncations: cuts }, 'barge-in');
  }
}
