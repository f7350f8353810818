import { describe, expect, it } from 'vitest';
import { heardText, truncated, type SpokenSentence } from './heard.js';

const MS = 24; // samples per ms

/** Sentences placed back to back from `at` ms, each `msPerChar` ms per character, all complete. */
function laid(texts: string[], msPerChar = 60, at = 0): SpokenSentence[] {
  let start = at * MS;
  return texts.map((text) => {
    const samples = text.length * msPerChar * MS;
    const s = { text, startSamples: start, sentSamples: samples, complete: true };
    start += samples;
    return s;
  });
}

describe('heardText', () => {
  const sentences = laid(['Our opening hours are nine to five.', 'We are closed on Sundays.']); // 35 and 25 chars

  it('everything played: every sentence, complete', () => {
    expect(heardText(sentences, 60 * 60)).toEqual({ text: 'Our opening hours are nine to five. We are closed on Sundays.', complete: true });
  });

  it('stopped inside the first sentence: the words whose audio played to their end, in proportion to characters', () => {
    // 1,200 ms = 20 characters: "Our opening hours" ends at 17, "are" at 21.
    expect(heardText(sentences, 1_200)).toEqual({ text: 'Our opening hours', complete: false });
    expect(heardText(sentences, 1_260)).toEqual({ text: 'Our opening hours are', complete: false });
  });

  it('a word half heard is not heard', () => {
    // 600 ms = 10 characters: "Our" (3) is heard, "opening" (ends at 11) is not.
    expect(heardText(sentences, 600).text).toBe('Our');
  });

  it('stopped in the second sentence: the first whole, the second in part', () => {
    // 35 chars = 2,100 ms; then 720 ms = 12 characters of "We are closed on Sundays.": "We are" (6), "closed" ends at 13.
    expect(heardText(sentences, 2_100 + 720)).toEqual({ text: 'Our opening hours are nine to five. We are', complete: false });
  });

  it('the reply starting later in the turn (after a greeting) is measured from its own start', () => {
    const later = laid(['Our opening hours are nine to five.'], 60, 3_000);
    expect(heardText(later, 2_999).text).toBe('');
    expect(heardText(later, 3_000 + 1_200).text).toBe('Our opening hours');
  });

  it('nothing played, or a sentence never synthesised: nothing from there on', () => {
    expect(heardText(sentences, 0)).toEqual({ text: '', complete: false });
    const unsent = [...laid(['First one.']), { text: 'Never sent.', startSamples: 0, sentSamples: 0, complete: false }];
    expect(heardText(unsent, 100_000)).toEqual({ text: 'First one.', complete: false });
  });

  it('a sentence whose TTS was cut: its length is estimated from the speaking rate, never below what was sent', () => {
    // 30 chars at 60 ms/char would be 1,800 ms; only 900 ms was sent, and all of it played: half the characters.
    const cut = [{ text: 'This sentence has thirty chars', startSamples: 0, sentSamples: 900 * MS, complete: false }];
    expect(heardText(cut, 5_000, 60).text).toBe('This sentence'); // 15 characters: "This sentence" ends at 13, "has" at 17 > 15
    expect(heardText(cut, 5_000, 30).text).toBe('This sentence has thirty chars'); // estimate (900 ms) = what was sent
  });

  it('a sentence with no audio that completed (punctuation only) is skipped', () => {
    const s = [...laid(['Hello.']), { text: '…', startSamples: 0, sentSamples: 0, complete: true }, ...laid(['Bye.'], 60, 360)];
    expect(heardText(s, 10_000)).toEqual({ text: 'Hello. Bye.', complete: true });
  });
});

describe('truncated', () => {
  it('ends the heard words with a dash, without trailing commas or spaces; nothing stays nothing', () => {
    expect(truncated('Our opening hours')).toBe('Our opening hours—');
    expect(truncated('Well, ')).toBe('Well—');
    expect(truncated('')).toBe('');
    expect(truncated('We open at nine.')).toBe('We open at nine. —');
  });
});
