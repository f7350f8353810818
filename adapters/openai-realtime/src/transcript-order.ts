/**
 * The call's transcript lines in the order they were said. The Realtime API transcribes the caller's audio with a
 * separate model, beside the answer: a turn's `input_audio_transcription.completed` may arrive after the model's
 * answer to it. So an agent line waits until every caller turn committed before it has its transcript (completed or
 * failed), at most `holdMs` after that turn's commit; a transcript later than that goes out when it arrives. Caller
 * partials go out at once. `release()` sends everything held (before a hang-up or transfer: nothing may be sent
 * after `stop`).
 */
import type { TranscriptLines } from '@patchbay/adapter-kit';

/** Lines held at most; beyond it the oldest held caller turn stops being waited for. */
const MAX_HELD = 32;
/** Caller turns whose partial text is being assembled. */
const MAX_PARTIALS = 8;
/** Agent items remembered as said (each is said once). */
const MAX_SAID = 32;

type Held =
  | { readonly kind: 'caller'; readonly itemId: string; readonly committedAtMs: number; text: string | undefined }
  | { readonly kind: 'agent'; readonly text: string };

export class TranscriptOrder {
  private readonly held: Held[] = [];
  private readonly partials = new Map<string, string>();
  private readonly said = new Set<string>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly lines: TranscriptLines,
    private readonly holdMs: number,
  ) {}

  /** The caller's turn `itemId` was committed: its transcript is on its way. */
  callerCommitted(itemId: string): void {
    if (!this.lines.enabled || this.held.some((h) => h.kind === 'caller' && h.itemId === itemId)) return;
    this.hold({ kind: 'caller', itemId, committedAtMs: performance.now(), text: undefined });
  }

  /** A piece of the caller's turn `itemId` (`partial` mode: the turn so far goes out as `final: false`). */
  callerDelta(itemId: string, delta: string): void {
    if (this.lines.mode !== 'partial') return;
    const text = (this.partials.get(itemId) ?? '') + delta;
    this.partials.delete(itemId);
    this.partials.set(itemId, text);
    if (this.partials.size > MAX_PARTIALS) this.partials.delete(this.partials.keys().next().value ?? '');
    this.lines.caller(text, false);
  }

  /** The caller's turn `itemId` was transcribed (`text`), or its transcription failed (`undefined`). */
  callerDone(itemId: string, text: string | undefined): void {
    this.partials.delete(itemId);
    const slot = this.held.find((h) => h.kind === 'caller' && h.itemId === itemId);
    if (slot === undefined || slot.kind !== 'caller') {
      if (text !== undefined) this.lines.caller(text, true); // not waited for (any more): say it now
      return;
    }
    slot.text = text ?? '';
    this.flush();
  }

  /** What the agent said (item `itemId`, said once): after the caller turns committed before it. */
  agent(text: string, itemId?: string): void {
    if (!this.lines.enabled) return;
    if (itemId !== undefined) {
      if (this.said.has(itemId)) return;
      this.said.add(itemId);
      if (this.said.size > MAX_SAID) this.said.delete(this.said.values().next().value ?? '');
    }
    if (this.held.length === 0) this.lines.agent(text);
    else this.hold({ kind: 'agent', text });
  }

  /** Sends every held line now, in order, without waiting for missing caller transcripts. */
  release(): void {
    this.stopTimer();
    for (const h of this.held.splice(0)) this.say(h);
  }

  close(): void {
    this.stopTimer();
    this.held.length = 0;
    this.partials.clear();
  }

  private hold(line: Held): void {
    this.held.push(line);
    if (this.held.length > MAX_HELD) this.giveUpHead();
    this.flush();
  }

  /** Sends the lines at the head that are ready; waits (bounded) for the first caller transcript still missing. */
  private flush(): void {
    for (let head = this.held[0]; head !== undefined; head = this.held[0]) {
      if (head.kind === 'caller' && head.text === undefined) {
        if (this.timer === undefined) this.timer = setTimeout(() => this.expire(), Math.max(0, head.committedAtMs + this.holdMs - performance.now()));
        return;
      }
      this.held.shift();
      this.say(head);
    }
    this.stopTimer();
  }

  private expire(): void {
    this.timer = undefined;
    const head = this.held[0];
    if (head?.kind === 'caller' && head.text === undefined && performance.now() - head.committedAtMs >= this.holdMs - 1) this.giveUpHead();
    this.flush();
  }

  /** Stops waiting for the head's caller transcript (a late one is sent when it comes). */
  private giveUpHead(): void {
    const head = this.held.shift();
    if (head !== undefined) this.say(head);
    this.stopTimer();
  }

  private say(line: Held): void {
    if (line.kind === 'agent') this.lines.agent(line.text);
    else if (line.text !== undefined) this.lines.caller(line.text, true);
  }

  private stopTimer(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
