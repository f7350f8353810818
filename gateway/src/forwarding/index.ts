/**
 * Forwarding (docs/forwarding.md): a `forward:` number's people as bridged outbound legs, live forwards
 * (`POST /v1/calls/{id}/forward`) and a `transferBy: bridge` trunk's transfers, plugged into the call core over its
 * seams (and, after an agent's failure mid-call, the rest of its failover chain: failover.ts): the lifecycle events, the outbound side's bridge legs, a way to end a call, and the media plane.
 */
import type { Logger } from 'pino';
import type { CallController } from '../call/call-controller.js';
import type { OutboundSide } from '../call/outbound.js';
import type { Config } from '../config.js';
import type { MediaPlane } from '../media-plane/plane.js';
import { startFailoverChain } from './failover.js';
import { Forwarder } from './forwarder.js';
import { LiveForwarder } from './live.js';
import { WarmTransfers } from './warm.js';
import { transferDestinations } from '../call/call-transfer.js';

export function startForwarding(o: {
  readonly config: Pick<Config, 'trunks' | 'sip' | 'transfer' | 'numbers'>;
  readonly calls: CallController;
  readonly outbound: OutboundSide;
  readonly media: MediaPlane;
  readonly logger: Logger;
}): void {
  const { calls, outbound, media } = o;
  const logger = o.logger.child({ layer: 'forwarding' });
  const forwarder = new Forwarder({
    events: calls.events,
    placeCall: (request, leg) => outbound.placeCall(request, leg),
    end: (callId, reason) => calls.mediaHangup(callId, reason),
    join: (a, b) => media.join(a, b),
    handOver: (callId) => media.handOver(callId),
    tellAgent: (callId, msg) => media.tellAgent(callId, msg),
    takeBack: (callId, plan) => media.takeBack(callId, plan),
    logger,
  });
  const live = new LiveForwarder({ config: o.config, forwarder, logger });
  calls.setForwarding(forwarder, (call, destination) => live.transferAsBridge(call, destination));
  calls.control.setForwarding(live);
  new WarmTransfers({ config: o.config, events: calls.events, destinations: transferDestinations(o.config), forwarder, media, end: (callId, reason) => calls.mediaHangup(callId, reason), logger });
  startFailoverChain({ events: calls.events, forwarder, media, end: (callId, reason) => calls.mediaHangup(callId, reason), logger });
}
