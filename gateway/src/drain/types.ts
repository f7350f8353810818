/**
 * Graceful drain (docs/drain.md): on SIGTERM the gateway stops taking new calls (readiness fails, OPTIONS and new
 * INVITEs get 503 with Retry-After, the API refuses new outbound calls) while live calls go on up to
 * `drain.timeoutS`; then each agent gets `stop{reason: "gateway_shutdown"}` and each caller a BYE. A second SIGTERM
 * ends at once.
 */

/** The drain's states, one table: what `/healthz` and `/readyz` report and the logs say. */
export const DRAIN_STATES = {
  serving: 'taking new calls',
  draining: 'refusing new calls (503 + Retry-After); live calls go on until they end or the drain times out',
  stopping: 'hanging up what is left and closing',
} as const;
export type DrainPhase = keyof typeof DRAIN_STATES;

export interface DrainState {
  readonly phase: DrainPhase;
  /** ISO time the drain began (absent while serving). */
  readonly since?: string | undefined;
  /** ISO time live calls will be hung up if still up (absent while serving). */
  readonly deadline?: string | undefined;
  /** Calls still up. */
  readonly liveCalls: number;
}
