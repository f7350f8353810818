/**
 * Graceful drain (docs/drain.md): `startDrain` ties the drain's state machine (drainer.ts) to the call core. The
 * call core refuses new calls while `drainer.draining` (call-controller.ts: 503 + Retry-After to INVITEs and
 * OPTIONS probes; control.ts: GATEWAY_DRAINING to the API); main.ts starts the drain on SIGTERM/SIGINT.
 */
import type { Logger } from 'pino';
import type { CallController } from '../call/call-controller.js';
import type { DrainConfig } from '../config-drain.js';
import { Drainer, type DrainClock } from './drainer.js';

export { Drainer, DRAIN_OUTCOMES, DRAIN_PHASE_VALUE, systemClock, type DrainClock, type DrainHost, type DrainOutcome } from './drainer.js';
export { DRAIN_STATES, type DrainPhase, type DrainState } from './types.js';

export interface StartDrainOptions {
  calls: Pick<CallController, 'activeCalls' | 'hangupAll' | 'events'>;
  config: DrainConfig;
  logger: Logger;
  clock?: DrainClock;
}

/** A drainer over the call core: live calls are the registry's, a shutdown hangup ends each with reason `shutdown`. */
export function startDrain(options: StartDrainOptions): Drainer {
  const { calls } = options;
  return new Drainer({
    host: {
      liveCalls: () => calls.activeCalls,
      hangupAll: () => calls.hangupAll('shutdown'),
      onCallEnded: (listener) => calls.events.on('ended', () => listener()),
    },
    config: options.config,
    logger: options.logger.child({ layer: 'drain' }),
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  });
}
