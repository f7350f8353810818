/**
 * The `drain:` section of the configuration (gateway/src/drain/, docs/drain.md): how a SIGTERM drains the gateway.
 * New calls are refused (`503` + `Retry-After: retryAfterS` to INVITEs and OPTIONS probes, `503 GATEWAY_DRAINING` to
 * the API) while live calls go on for up to `timeoutS`; then what is left is hung up and the gateway closes.
 */
import { z } from 'zod';

/** Longest drain: a day (a timer past ~24.8 days would fire at once in Node). */
export const DRAIN_TIMEOUT_MAX_S = 86_400;

export function drainSchema() {
  return z
    .strictObject({
      /**
       * How long live calls may go on after SIGTERM before each is hung up (the agent's `stop` says
       * `gateway_shutdown`, the caller gets a BYE). 0: hang up at once (no drain). Kubernetes'
       * `terminationGracePeriodSeconds` must be longer, or the kubelet's SIGKILL cuts the calls first.
       */
      timeoutS: z.number().min(0).max(DRAIN_TIMEOUT_MAX_S).default(3600),
      /**
       * `Retry-After` (seconds) of the 503 that new INVITEs and OPTIONS probes get while draining, and of the API's
       * `503 GATEWAY_DRAINING`: how long a client should leave this gateway alone (RFC 3261 §21.5.4, §20.33).
       */
      retryAfterS: z.int().min(0).max(86_400).default(60),
      /** While calls are still up, one log line with the count every this many seconds. */
      logIntervalS: z.number().min(1).max(3600).default(30),
    })
    .prefault({});
}

export type DrainConfig = z.output<ReturnType<typeof drainSchema>>;
