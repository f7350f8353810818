/**
 * Supervisors on live calls (docs/monitor.md), plugged into the call core over its seams: the API's call control,
 * the outbound side's bridge legs (a supervisor's phone), the lifecycle events, the media plane's `monitor`.
 */
import type { Logger } from 'pino';
import type { CallController } from '../call/call-controller.js';
import type { OutboundSide } from '../call/outbound.js';
import type { Config } from '../config.js';
import type { MediaPlane } from '../media-plane/plane.js';
import { Monitors } from './service.js';

export function startMonitoring(o: {
  readonly config: Pick<Config, 'trunks'>;
  readonly calls: CallController;
  readonly outbound: OutboundSide;
  readonly media: MediaPlane;
  readonly logger: Logger;
}): Monitors {
  const monitors = new Monitors({
    config: o.config,
    events: o.calls.events,
    placeCall: (request, leg) => o.outbound.placeCall(request, leg),
    media: o.media,
    end: (callId, reason) => o.calls.mediaHangup(callId, reason),
    logger: o.logger.child({ layer: 'monitor' }),
  });
  o.calls.control.setMonitoring(monitors);
  return monitors;
}
