/**
 * Maps a dialled number to whatever the config attached to it (an agent, overrides).
 *
 * Exact numbers live in a Map; prefixes in a trie over `+` and the ten digits, whose root holds the catch-all.
 * A lookup is one Map probe plus a walk of at most `number.length` nodes, whatever the number of patterns.
 */
import type { NormalizeOptions } from './number.js';
import { duplicatePatternError, parseNumberPattern, type NumberPattern } from './number-pattern.js';

export interface RouteMatch<T> {
  readonly value: T;
  /** The pattern that matched, as written in the entries (e.g. `+1555*`). */
  readonly pattern: string;
}

interface Entry<T> {
  readonly parsed: NumberPattern;
  readonly match: RouteMatch<T>;
}

/** Child slots: `0`–`9` at their digit value, `+` at 10. */
const PLUS_SLOT = 10;
const SLOTS = 11;

class TrieNode<T> {
  entry: Entry<T> | undefined = undefined;
  readonly children: (TrieNode<T> | undefined)[] = new Array<TrieNode<T> | undefined>(SLOTS).fill(undefined);
}

/** Slot of a character code, or -1 when it cannot appear in a prefix. */
function slotOf(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  return code === 43 ? PLUS_SLOT : -1;
}

export class NumberRouter<T> {
  /** Exact numbers straight to their match: one Map probe and no further pointer to chase on a hit. */
  readonly #exact = new Map<string, RouteMatch<T>>();
  readonly #root = new TrieNode<T>();
  #size = 0;

  /**
   * @param entries `[pattern, value]` pairs; patterns are validated with `parseNumberPattern`.
   * @param options how exact patterns are normalised; pass the same options used to normalise looked-up numbers.
   * @throws RoutingError for an invalid pattern, or two patterns that are the same after normalisation.
   */
  constructor(entries: Iterable<readonly [pattern: string, value: T]>, options: NormalizeOptions = {}) {
    const exactPatterns = new Map<string, NumberPattern>(); // to name both spellings of a duplicate
    for (const [pattern, value] of entries) this.#add(parseNumberPattern(pattern, options), value, exactPatterns);
  }

  get size(): number {
    return this.#size;
  }

  /** `number` must already be normalised (`normalizeNumber`). Exact wins, then the longest prefix, then `*`. */
  lookup(number: string): RouteMatch<T> | undefined {
    const exact = this.#exact.get(number);
    if (exact !== undefined) return exact;
    let node: TrieNode<T> | undefined = this.#root;
    let best = node.entry;
    for (let i = 0; i < number.length; i++) {
      const slot = slotOf(number.charCodeAt(i));
      if (slot < 0) break;
      node = node.children[slot];
      if (node === undefined) break;
      if (node.entry !== undefined) best = node.entry;
    }
    return best?.match;
  }

  #add(parsed: NumberPattern, value: T, exactPatterns: Map<string, NumberPattern>): void {
    const entry: Entry<T> = { parsed, match: { value, pattern: parsed.source } };
    if (parsed.kind === 'exact') {
      const existing = exactPatterns.get(parsed.key);
      if (existing !== undefined) throw duplicatePatternError(existing, parsed);
      exactPatterns.set(parsed.key, parsed);
      this.#exact.set(parsed.key, entry.match);
    } else {
      const node = this.#prefixNode(parsed.key);
      if (node.entry !== undefined) throw duplicatePatternError(node.entry.parsed, parsed);
      node.entry = entry;
    }
    this.#size++;
  }

  /** The node for a validated prefix (`+` and digits only), creating the path as needed. */
  #prefixNode(prefix: string): TrieNode<T> {
    let node = this.#root;
    for (let i = 0; i < prefix.length; i++) {
      const slot = slotOf(prefix.charCodeAt(i));
      const next: TrieNode<T> = node.children[slot] ?? new TrieNode<T>();
      node.children[slot] = next;
      node = next;
    }
    return node;
  }
}
