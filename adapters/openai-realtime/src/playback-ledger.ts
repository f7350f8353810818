/**
 * What the model said and what the caller heard, for `conversation.item.truncate`. Pure and synchronous.
 *
 * The gateway counts `playedMs` per *turn*: the agent audio that left on RTP since the call began or since the
 * agent's last `clear`. A turn can hold several assistant items (a greeting, then an answer, then another answer,
 * with no interruption in between), so the ledger keeps, for the current turn, where each item's audio starts in
 * the turn (in samples, as forwarded with `sendAudio`). When a turn is cut at `playedMs`:
 *
 * - an item whose audio ends at or before `playedMs` was heard in full: nothing to truncate;
 * - the item that was playing is truncated to `playedMs − its start` (never more than it generated: the cut lies
 *   inside what was forwarded, which is at most what the API generated);
 * - an item after it that the caller never heard (audio forwarded but not reached) is truncated to 0.
 *
 * `mark`s placed after each answer tell which items were played in full, so they are dropped early and the list stays
 * short.
 */
import { SAMPLES_PER_MS } from '@patchbay/agents';

export interface Truncation {
  readonly itemId: string;
  readonly audioEndMs: number;
}

/** One item's audio within a turn: `[startSample, startSample + samples)` of the turn's forwarded audio. */
export interface Segment {
  readonly itemId: string;
  readonly startSample: number;
  samples: number;
}

/** A finished turn's items, to be cut once the gateway says how much of it played. */
export interface EndedTurn {
  readonly turnId: string;
  readonly segments: readonly Segment[];
}

interface PlacedMark {
  readonly turn: number;
  readonly endSample: number;
}

/** Items kept per turn; beyond it the oldest (long played, its mark lost) is forgotten and counted. */
const MAX_SEGMENTS = 64;
/** Marks awaiting their answer; beyond it the oldest is forgotten. */
const MAX_MARKS = 64;

export class PlaybackLedger {
  private turn = 1;
  private sentSamples = 0;
  /** Samples of this turn confirmed played by a returned mark. */
  private confirmedSamples = 0;
  private segments: Segment[] = [];
  private readonly marks = new Map<string, PlacedMark>();
  /** Segments forgotten because the list was full (a mark never came back). */
  forgottenSegments = 0;

  /** The id of the current turn, sent as `clear.turnId` when it ends. */
  get turnId(): string {
    return `turn-${this.turn}`;
  }

  /** Agent audio forwarded in this turn, ms. */
  get sentMs(): number {
    return Math.floor(this.sentSamples / SAMPLES_PER_MS);
  }

  /** Audio of this turn not yet confirmed played (at most this much is still to play), ms. */
  get unconfirmedMs(): number {
    return Math.ceil((this.sentSamples - this.confirmedSamples) / SAMPLES_PER_MS);
  }

  /** True while some forwarded audio of this turn may not have been heard in full. */
  get hasUnplayedAudio(): boolean {
    return this.sentSamples > this.confirmedSamples;
  }

  /** `samples` of `itemId`'s audio were forwarded to the gateway (in order, after everything before). */
  addAudio(itemId: string, samples: number): void {
    if (samples <= 0) return;
    const last = this.segments.at(-1);
    if (last !== undefined && last.itemId === itemId && last.startSample + last.samples === this.sentSamples) {
      last.samples += samples;
    } else {
      this.segments.push({ itemId, startSample: this.sentSamples, samples });
      if (this.segments.length > MAX_SEGMENTS) {
        this.segments.shift();
        this.forgottenSegments++;
      }
    }
    this.sentSamples += samples;
  }

  /** A `mark` named `name` was sent after everything forwarded so far. */
  placeMark(name: string): void {
    this.marks.set(name, { turn: this.turn, endSample: this.sentSamples });
    if (this.marks.size > MAX_MARKS) {
      const oldest = this.marks.keys().next();
      if (oldest.done !== true) this.marks.delete(oldest.value);
    }
  }

  /** The gateway answered mark `name`; returns false for a mark the ledger did not place. */
  markReturned(name: string, status: 'played' | 'cleared'): boolean {
    const mark = this.marks.get(name);
    if (mark === undefined) return false;
    this.marks.delete(name);
    if (status === 'played' && mark.turn === this.turn) {
      this.confirmedSamples = Math.max(this.confirmedSamples, mark.endSample);
      this.segments = this.segments.filter((s) => s.startSample + s.samples > mark.endSample);
    }
    return true;
  }

  /** Ends the current turn (the agent sends `clear` next): the next audio starts a new turn at 0. */
  endTurn(): EndedTurn {
    const ended: EndedTurn = { turnId: this.turnId, segments: this.segments };
    this.turn++;
    this.sentSamples = 0;
    this.confirmedSamples = 0;
    this.segments = [];
    return ended;
  }
}

/**
 * The truncations for a turn of which the caller heard `playedMs` (the gateway's `interrupted.playedMs` or
 * `cleared.playedMs`): the item being played is cut where the caller stopped hearing it, items after it to 0.
 */
export function truncationsAt(turn: EndedTurn, playedMs: number): Truncation[] {
  const playedSamples = Math.max(0, Math.floor(playedMs)) * SAMPLES_PER_MS;
  const out: Truncation[] = [];
  for (const segment of turn.segments) {
    const heard = Math.min(Math.max(playedSamples - segment.startSample, 0), segment.samples);
    if (heard >= segment.samples) continue;
    out.push({ itemId: segment.itemId, audioEndMs: Math.floor(heard / SAMPLES_PER_MS) });
  }
  return out;
}
