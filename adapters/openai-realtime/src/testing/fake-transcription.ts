/**
 * The fake server's input transcription (`audio.input.transcription`): what it says of each committed caller turn,
 * as the GA events `conversation.item.input_audio_transcription.delta` / `.completed` / `.failed`.
 */

/**
 * What the input transcription says of the caller's `turn`th committed turn (0-based): `deltas` (default 1) pieces,
 * then `completed` — or `failed` — after `delayMs` (default 0), so it may come after the response's events, as the
 * API allows.
 */
export interface CallerTranscription {
  readonly text: string;
  readonly deltas?: number;
  readonly delayMs?: number;
  readonly fail?: boolean;
}

export type CallerTranscriptScript = (turn: number) => CallerTranscription | undefined;

/** The server events for one turn's transcription, in order. */
export function transcriptionEvents(itemId: string, result: CallerTranscription): Record<string, unknown>[] {
  const base = { item_id: itemId, content_index: 0 };
  if (result.fail === true) {
    return [{ type: 'conversation.item.input_audio_transcription.failed', ...base, error: { type: 'transcription_error', code: 'audio_unintelligible', message: 'could not transcribe' } }];
  }
  const words = result.text.split(/(?<= )/u);
  const pieces = Math.max(1, Math.min(result.deltas ?? 1, words.length));
  const per = Math.ceil(words.length / pieces);
  const events: Record<string, unknown>[] = [];
  for (let at = 0; at < words.length; at += per) {
    events.push({ type: 'conversation.item.input_audio_transcription.delta', ...base, delta: words.slice(at, at + per).join('') });
  }
  events.push({ type: 'conversation.item.input_audio_transcription.completed', ...base, transcript: result.text, usage: { type: 'duration', seconds: 1 } });
  return events;
}
