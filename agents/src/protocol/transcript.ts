/**
 * Building `transcript` messages that the gateway accepts: whitespace collapsed, empty lines dropped, text clipped to
 * `PROTOCOL_LIMITS.maxTextChars` (a longer line would be refused as `bad_message`). Pure.
 */
import { PROTOCOL_LIMITS, type TranscriptMessage, type TranscriptRole } from './messages.js';

/** Ends a line clipped at the limit. */
export const CLIPPED_MARK = '…';

/** The message for one line, or `undefined` when there is nothing to say (only whitespace). */
export function transcriptMessage(role: TranscriptRole, text: string, final: boolean): TranscriptMessage | undefined {
  const clean = text.replace(/\s+/gu, ' ').trim();
  if (clean === '') return undefined;
  return { type: 'transcript', role, text: clip(clean, PROTOCOL_LIMITS.maxTextChars), final };
}

/** `text` in at most `max` UTF-16 units (what the protocol counts), never splitting a surrogate pair. */
function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - CLIPPED_MARK.length;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--; // a high surrogate whose pair would be cut off
  return `${text.slice(0, end).trimEnd()}${CLIPPED_MARK}`;
}
