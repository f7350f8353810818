/**
 * Number patterns as written in the `numbers:` section of the config: exact (`+15550100001`, `alice`),
 * prefix (`+1555*`) and catch-all (`*`). Shared by the router and the config schema so both agree on what is valid.
 */
import { normalizeNumber, type NormalizeOptions } from './number.js';

export type RoutingErrorCode = 'ROUTING_INVALID_PATTERN' | 'ROUTING_DUPLICATE_PATTERN';

export class RoutingError extends Error {
  override readonly name = 'RoutingError';

  constructor(
    readonly code: RoutingErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export interface NumberPattern {
  readonly kind: 'exact' | 'prefix' | 'catch-all';
  /**
   * What is matched against a normalised number: for `exact` the normalised number or user
   * (`15550100001` → `+15550100001`), for `prefix` the digits before the `*` (`+1555`), for `catch-all` ''.
   */
  readonly key: string;
  /** The pattern as written. */
  readonly source: string;
}

const VISUAL_SEPARATORS = /[-.() \t]/g;
const PREFIX = /^(\+\d*|\d+)$/;

/** Parse and validate one pattern; throws `RoutingError` (`ROUTING_INVALID_PATTERN`) saying what is wrong. */
export function parseNumberPattern(source: string, options: NormalizeOptions = {}): NumberPattern {
  const text = source.trim();
  if (text === '') throw invalid(source, 'a pattern must not be empty');
  if (text === '*') return { kind: 'catch-all', key: '', source };
  const star = text.indexOf('*');
  if (star >= 0 && star !== text.length - 1) {
    throw invalid(source, "'*' may appear only at the end (prefix) or alone (catch-all)");
  }
  if (star < 0) {
    const key = normalizeNumber(text, options);
    if (key === '') throw invalid(source, 'it has no number or user part');
    if (/\s/.test(key)) throw invalid(source, 'a user name must not contain spaces');
    return { kind: 'exact', key, source };
  }
  let prefix = text.slice(0, -1).replace(VISUAL_SEPARATORS, '');
  if (!PREFIX.test(prefix)) {
    throw invalid(source, "a prefix must be digits, optionally after '+', followed by '*' (e.g. '+1555*')");
  }
  // Normalised numbers never keep the `00` international prefix, so neither may a prefix that should match them.
  if (/^00[1-9]/.test(prefix)) prefix = `+${prefix.slice(2)}`;
  return { kind: 'prefix', key: prefix, source };
}

/** The error for two patterns that mean the same thing, e.g. `15550100001` and `+1 555 010 0001`. */
export function duplicatePatternError(first: NumberPattern, second: NumberPattern): RoutingError {
  const what = second.kind === 'exact' ? `both normalise to '${second.key}'` : 'both mean the same pattern';
  return new RoutingError(
    'ROUTING_DUPLICATE_PATTERN',
    `duplicate number pattern: '${first.source}' and '${second.source}' ${what}`,
  );
}

function invalid(source: string, why: string): RoutingError {
  return new RoutingError('ROUTING_INVALID_PATTERN', `invalid number pattern '${source}': ${why}`);
}
