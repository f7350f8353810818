/**
 * What the caller actually heard of a reply, from the gateway's `playedMs` (pure; no I/O).
 *
 * The reply's sentences were sent one after the other into the gateway's stream, so each occupies a known range of
 * stream positions (in samples since the agent's last `clear`). `playedMs` is how much of that stream left on RTP:
 *
 * - a sentence whose range ends at or before the played position was heard entirely (its mark came back `played`);
 * - in the sentence the position falls in, speech is assumed to be spread over the sentence's characters in
 *   proportion (TTS speaks at a fairly even rate), and a word counts as heard only when the audio up to its last
 *   character played: a half-heard word is not heard. The sentence's full duration is its audio length when its TTS
 *   stream was complete, else an estimate from the call's speaking rate (`msPerChar`), never less than what was sent;
 * - nothing after it was heard.
 */

export interface SpokenSentence {
  readonly text: string;
  /** Stream position (samples since the last `clear`) of the sentence's first sample. */
  readonly startSamples: number;
  /** Samples of it sent so far. */
  readonly sentSamples: number;
  /** Its TTS stream ended normally: `sentSamples` is its whole audio. */
  readonly complete: boolean;
}

export interface Heard {
  /** The heard words, sentences joined by a space; '' when nothing was heard. */
  readonly text: string;
  /** Every sentence given was heard to its end. */
  readonly complete: boolean;
}

/** A typical neural TTS rate (about 15 characters per second), until the call has measured its own. */
export const DEFAULT_MS_PER_CHAR = 65;
const SAMPLES_PER_MS = 24;

export function heardText(sentences: readonly SpokenSentence[], playedMs: number, msPerChar = DEFAULT_MS_PER_CHAR): Heard {
  const played = Math.max(0, playedMs) * SAMPLES_PER_MS;
  const parts: string[] = [];
  for (const s of sentences) {
    const into = played - s.startSamples;
    if (s.sentSamples <= 0 && s.complete) continue; // nothing to say (punctuation only): not part of what was heard
    if (s.sentSamples <= 0 || into <= 0) return { text: parts.join(' '), complete: false };
    if (s.complete && into >= s.sentSamples) {
      parts.push(s.text);
      continue;
    }
    const estimated = s.text.length * msPerChar * SAMPLES_PER_MS;
    const total = s.complete ? s.sentSamples : Math.max(s.sentSamples, estimated);
    const fraction = Math.min(into, s.sentSamples) / total;
    const words = wordsWithin(s.text, fraction * s.text.length);
    if (words !== '') parts.push(words);
    return { text: parts.join(' '), complete: false };
  }
  return { text: parts.join(' '), complete: true };
}

/** The words of `text` whose last character is within the first `chars` characters. */
function wordsWithin(text: string, chars: number): string {
  let end = 0;
  for (const m of text.matchAll(/\S+/g)) {
    const wordEnd = m.index + m[0].length;
    if (wordEnd > chars) break;
    end = wordEnd;
  }
  return text.slice(0, end).trim();
}

/** The assistant message to keep for a reply the caller heard only part of: the heard words and a dash. */
export function truncated(heard: string): string {
  const text = heard.replace(/[\s,;:]+$/u, '');
  if (text === '') return '';
  return /[.!?…]["'”’)\]]*$/u.test(text) ? `${text} —` : `${text}—`;
}
