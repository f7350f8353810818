/** The numbers API's refusals, each with a stable code (api/errors.ts maps them to problems; docs/numbers.md). */
export const NUMBERS_ERROR_CODES = {
  /** The pattern or the route is invalid, or its adapter or secret cannot be used: every problem in `issues`. */
  NUMBER_INVALID: 'NUMBER_INVALID',
  /** The pattern is a `numbers:` entry of patchbay.yaml: change it there (and send SIGHUP). */
  NUMBER_READ_ONLY: 'NUMBER_READ_ONLY',
  NUMBER_NOT_FOUND: 'NUMBER_NOT_FOUND',
  /** No database is configured for this gateway: runtime numbers cannot be stored. */
  NUMBERS_UNAVAILABLE: 'NUMBERS_UNAVAILABLE',
} as const;
export type NumbersErrorCode = keyof typeof NUMBERS_ERROR_CODES;

export interface NumberIssue {
  /** Where, as a path: `['pattern']`, `['agent', 'model']`, `['webhook', 'secretEnv']`. */
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

export class NumbersError extends Error {
  override readonly name = 'NumbersError';

  constructor(
    readonly code: NumbersErrorCode,
    message: string,
    readonly issues: readonly NumberIssue[] = [],
  ) {
    super(message);
  }
}
