/**
 * The conversation as `transcript` lines to the gateway, stored with the call's record (docs/protocol.md): the
 * `transcript` option every built-in adapter shares, and the sender that applies it. Lines go out through
 * `transcriptMessage` (whitespace collapsed, empty lines dropped, clipped to the protocol's limit).
 */
import { transcriptMessage, type TranscriptMessage } from '@patchbay/agents';
import { z } from 'zod';

/** `final`: one line per caller turn and per agent reply; `partial`: also the caller's words while they speak; `off`: none. */
export const TRANSCRIPT_MODES = ['final', 'partial', 'off'] as const;
export type TranscriptMode = (typeof TRANSCRIPT_MODES)[number];

/** The adapters' `transcript` option (default `final`). */
export const transcriptModeOption = z.enum(TRANSCRIPT_MODES).default('final');

export class TranscriptLines {
  /** The last partial caller line sent since the last final one (an unchanged partial is not sent again). */
  private lastPartial = '';

  constructor(
    readonly mode: TranscriptMode,
    private readonly send: (msg: TranscriptMessage) => void,
  ) {}

  /** Lines are sent at all. */
  get enabled(): boolean {
    return this.mode !== 'off';
  }

  /** What the caller said: `final: false` is the caller's turn so far (sent only in `partial` mode). */
  caller(text: string, final: boolean): void {
    if (!final) {
      if (this.mode !== 'partial') return;
      const msg = transcriptMessage('caller', text, false);
      if (msg === undefined || msg.text === this.lastPartial) return;
      this.lastPartial = msg.text;
      this.send(msg);
      return;
    }
    this.lastPartial = '';
    this.line(transcriptMessage('caller', text, true));
  }

  /** What the agent said (a reply, or as much of it as the adapter knows was said). */
  agent(text: string): void {
    this.line(transcriptMessage('agent', text, true));
  }

  private line(msg: TranscriptMessage | undefined): void {
    if (msg !== undefined && this.enabled) this.send(msg);
  }
}
