/**
 * The number book: `numbers:` from patchbay.yaml (read-only, replaced on reload) and the entries added at runtime
 * (numbers API, stored in the database), merged into one NumberRouter that admission reads. Every change builds a
 * new router and swaps it in one assignment: the next call sees the change, a call being admitted sees one whole
 * book, live calls keep their plans. Pure: no I/O (number-service.ts loads and stores).
 */
import type { NumberLookup, RoutedNumber } from '../call/admission.js';
import type { NumberRouteConfig } from '../config.js';
import { NumberRouter, parseNumberPattern, type NormalizeOptions, type RouteMatch } from '../routing/index.js';

export type NumberSource = 'config' | 'api';

export interface BookEntry {
  /** The pattern as written. */
  readonly pattern: string;
  readonly route: NumberRouteConfig;
  readonly source: NumberSource;
  /** The adapter agent's key where the media runs, when it is not the pattern (built at start-up). */
  readonly adapterKey?: string | undefined;
  /** Runtime entries: epoch ms and the row's version. */
  readonly createdAt?: number;
  readonly updatedAt?: number;
  readonly version?: number;
}

/** A pattern's identity after normalisation (`kind:key`): `+1 555 010 0001` and `15550100001` are one number. */
export function patternId(pattern: string, options: NormalizeOptions): string {
  const parsed = parseNumberPattern(pattern, options);
  return `${parsed.kind}:${parsed.key}`;
}

export class NumberBook implements NumberLookup {
  #router: NumberRouter<RoutedNumber>;
  #config: readonly BookEntry[] = [];
  #runtime: readonly BookEntry[] = [];
  /** Runtime entries hidden by a YAML entry of the same pattern (a reload added it): YAML wins. */
  #shadowed: readonly BookEntry[] = [];
  readonly #listeners = new Set<() => void>();

  constructor(private readonly normalize: NormalizeOptions) {
    this.#router = new NumberRouter([], normalize);
  }

  lookup(number: string): RouteMatch<RoutedNumber> | undefined {
    return this.#router.lookup(number);
  }

  /** Replaces both lists at once (valid patterns only: the callers validated them); returns the runtime entries YAML hides. */
  replace(config: readonly BookEntry[], runtime: readonly BookEntry[]): readonly BookEntry[] {
    const taken = new Set(config.map((e) => patternId(e.pattern, this.normalize)));
    const visible: BookEntry[] = [];
    const shadowed: BookEntry[] = [];
    for (const e of runtime) (taken.has(patternId(e.pattern, this.normalize)) ? shadowed : visible).push(e);
    const routed = (e: BookEntry): readonly [string, RoutedNumber] => [
      e.pattern,
      { route: e.route, source: e.source === 'config' ? 'config' : 'numbers-api', ...(e.adapterKey === undefined ? {} : { adapterKey: e.adapterKey }) },
    ];
    const router = new NumberRouter([...config, ...visible].map(routed), this.normalize); // throws before anything changes
    this.#router = router;
    this.#config = config;
    this.#runtime = visible;
    this.#shadowed = shadowed;
    for (const listener of this.#listeners) listener();
    return shadowed;
  }

  /** Calls `listener` after every change (webhooks rebuild the numbers' endpoints); returns the unsubscribe. */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  /** YAML entries first (as written), then runtime entries by pattern. */
  list(): readonly BookEntry[] {
    return [...this.#config, ...[...this.#runtime].sort((a, b) => a.pattern.localeCompare(b.pattern))];
  }

  get config(): readonly BookEntry[] {
    return this.#config;
  }

  get runtime(): readonly BookEntry[] {
    return this.#runtime;
  }

  get shadowed(): readonly BookEntry[] {
    return this.#shadowed;
  }

  /** The entry with this pattern's identity, whatever its spelling. */
  find(pattern: string): BookEntry | undefined {
    const id = patternId(pattern, this.normalize);
    return this.list().find((e) => patternId(e.pattern, this.normalize) === id);
  }
}
