import { describe, expect, it } from 'vitest';
import { SentenceSplitter } from './sentences.js';

/** Feeds `text` in pieces of `size` characters and returns every sentence, flush included. */
function split(text: string, size = text.length, maxChars?: number): string[] {
  const s = new SentenceSplitter(maxChars);
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(...s.push(text.slice(i, i + size)));
  return [...out, ...s.flush()];
}

describe('SentenceSplitter', () => {
  it('splits at . ! ? followed by a new sentence, the last one on flush', () => {
    expect(split('Hello there. How are you? Fine! Thanks')).toEqual(['Hello there.', 'How are you?', 'Fine!', 'Thanks']);
  });

  it('gives the same sentences whatever the deltas (one character at a time, or token-like pieces)', () => {
    const text = 'We open at 9.30 on weekdays. Dr. Smith sees patients, e.g. on Mondays. "Really?" she asked. Yes…\nCall us.';
    const whole = split(text);
    expect(whole).toEqual(['We open at 9.30 on weekdays.', 'Dr. Smith sees patients, e.g. on Mondays.', '"Really?" she asked.', 'Yes…', 'Call us.']);
    for (const size of [1, 2, 3, 5, 7]) expect(split(text, size)).toEqual(whole);
  });

  it('returns a sentence only once the next one starts (one token of look-ahead), not at its period', () => {
    const s = new SentenceSplitter();
    expect(s.push('It is sunny.')).toEqual([]);
    expect(s.push(' ')).toEqual([]);
    expect(s.push('Take')).toEqual(['It is sunny.']);
    expect(s.pending).toBe('Take');
  });

  it('does not cut after an abbreviation, an initial, before a lower-case word, or inside a number', () => {
    expect(split('Ask Mr. Jones and J. R. Smith. Costs 3.50 dollars. Then go.')).toEqual(['Ask Mr. Jones and J. R. Smith.', 'Costs 3.50 dollars.', 'Then go.']);
    expect(split('It is approx. three miles, i.e. close.')).toEqual(['It is approx. three miles, i.e. close.']);
  });

  it('keeps closing quotes and brackets with their sentence and cuts at line breaks', () => {
    expect(split('He said "stop." (Then he left.) Done\n- first item\n- second item')).toEqual(['He said "stop."', '(Then he left.)', 'Done', '- first item', '- second item']);
  });

  it('does not make a sentence of a list number alone', () => {
    expect(split('1. Open the app. 2. Sign in.')).toEqual(['1. Open the app.', '2. Sign in.']);
  });

  it('cuts a run-on sentence at its last space before maxChars', () => {
    const words = Array.from({ length: 30 }, (_, i) => `word${i}`).join(' ');
    const parts = split(words, 4, 50);
    expect(parts.every((p) => p.length <= 50)).toBe(true);
    expect(parts.join(' ')).toBe(words);
    expect(parts.length).toBeGreaterThan(1);
  });

  it('drops empty and whitespace-only text', () => {
    expect(split('   \n\n  ')).toEqual([]);
    expect(split('')).toEqual([]);
  });
});
