/**
 * A streaming sentence splitter: the language model's text arrives in small deltas and each sentence goes to
 * text-to-speech as soon as it is complete, so the first audio plays long before the reply is finished. Pure and
 * synchronous: `push(delta)` returns the sentences that delta completed, `flush()` the rest at the end of the reply.
 *
 * A sentence ends at `.`, `!`, `?` or `…` (closing quotes and brackets included) followed by whitespace and then a
 * character that is not a lower-case letter, or at a line break. Waiting for that next character costs one token and
 * keeps "e.g. this" and "3.5" whole. Not an end: a `.` after a known abbreviation (Dr., Mr., etc.) or a single
 * letter (initials), and a candidate with no letter in it yet ("1." of a numbered list). A sentence longer than
 * `maxChars` is cut at its last space before the limit, so one run-on sentence cannot hold the audio back.
 */

const ABBREVIATIONS = new Set([
  'mr', 'mrs', 'ms', 'dr', 'prof', 'sr', 'jr', 'st', 'vs', 'etc', 'e.g', 'i.e', 'approx', 'inc', 'ltd', 'co',
  'mt', 'ft', 'a.m', 'p.m', 'u.s', 'dept', 'est', 'fig', 'jan', 'feb', 'mar', 'apr', 'jun', 'jul', 'aug', 'sep',
  'sept', 'oct', 'nov', 'dec',
]);

/** Terminal punctuation, optional closers, whitespace, then the first character of what follows. */
const CANDIDATE = /([.!?…]+["'”’)\]]*)(\s+)(\S)|(\n)/gu;
const LETTER = /\p{L}/u;
const LOWER = /\p{Ll}/u;
const SINGLE_PERIOD = /^\.["'”’)\]]*$/u;

export const DEFAULT_MAX_SENTENCE_CHARS = 300;

export class SentenceSplitter {
  private buffer = '';

  constructor(private readonly maxChars = DEFAULT_MAX_SENTENCE_CHARS) {
    if (!Number.isInteger(maxChars) || maxChars < 20) throw new RangeError(`maxChars must be an integer ≥ 20, got ${maxChars}`);
  }

  /** Adds a delta of text; returns the sentences it completed, trimmed, in order. */
  push(delta: string): string[] {
    this.buffer += delta;
    const out: string[] = [];
    for (;;) {
      const cut = this.boundary();
      if (cut === undefined) break;
      const sentence = this.buffer.slice(0, cut).trim();
      this.buffer = this.buffer.slice(cut).trimStart();
      if (sentence !== '') out.push(sentence);
    }
    return out;
  }

  /** The end of the text: whatever is left is the last sentence. */
  flush(): string[] {
    const rest = this.buffer.trim();
    this.buffer = '';
    return rest === '' ? [] : [rest];
  }

  /** Text received but not yet returned as a sentence. */
  get pending(): string {
    return this.buffer;
  }

  /** Where the first complete sentence in the buffer ends, if there is one. */
  private boundary(): number | undefined {
    const text = this.buffer;
    CANDIDATE.lastIndex = 0;
    for (let m = CANDIDATE.exec(text); m !== null; m = CANDIDATE.exec(text)) {
      if (m[4] !== undefined) {
        if (LETTER.test(text.slice(0, m.index))) return m.index;
        continue;
      }
      const punctuation = m[1] ?? '';
      const next = m[3] ?? '';
      const end = m.index + punctuation.length;
      const before = text.slice(0, m.index);
      if (!LETTER.test(before)) continue;
      if (LOWER.test(next)) continue;
      if (SINGLE_PERIOD.test(punctuation) && isAbbreviation(before)) continue;
      return end;
    }
    if (text.length > this.maxChars) {
      const space = text.lastIndexOf(' ', this.maxChars);
      return space > 0 ? space : this.maxChars;
    }
    return undefined;
  }
}

/** The word right before a `.` is an abbreviation or an initial. */
function isAbbreviation(before: string): boolean {
  const word = /([\p{L}.]+)$/u.exec(before)?.[1];
  if (word === undefined) return false;
  const lower = word.toLowerCase();
  return ABBREVIATIONS.has(lower) || /^\p{L}$/u.test(word);
}
