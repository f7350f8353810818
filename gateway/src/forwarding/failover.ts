/**
 * The failover chain after the agent (docs/forwarding.md §Failover): when a call's agent failed mid-call and could
 * not be re-dialled (agent-failover/ reports `agent-failed`; a stand-in holds the caller with a prompt and
 * ringback), the number's people ring if it forwards `when: agent-unavailable`, and the first to answer is bridged
 * with the caller; when nobody answers, or the number has no such forward, the apology ends the call (`fallback:
 * reject`: the call ends `forward-failed`). Each step is on the call's timeline (`agent-failed`, `agent-redial`,
 * `forward`).
 */
import type { Logger } from 'pino';
import type { CallEvents } from '../call/events.js';
import { bridgedPlan } from '../call/plan.js';
import type { Call } from '../call/call.js';
import type { EndReason } from '../call/vocabulary.js';
import type { MediaPlane } from '../media-plane/plane.js';
import type { Forwarder } from './forwarder.js';

export interface FailoverChainOptions {
  readonly events: CallEvents;
  readonly forwarder: Pick<Forwarder, 'forwardLive' | 'forwarding'>;
  readonly media: Pick<MediaPlane, 'fallback'>;
  readonly end: (callId: string, reason: EndReason) => void;
  readonly logger: Logger;
}

export function startFailoverChain(o: FailoverChainOptions): void {
  o.events.on('agent-failed', (e) => {
    moveOn(o, e.call).catch((err: unknown) => {
      o.logger.error({ err, callId: e.call.id }, 'agent failover: moving the chain on failed; ending the call');
      o.end(e.call.id, 'error');
    });
  });
}

async function moveOn(o: FailoverChainOptions, call: Call): Promise<void> {
  const forward = call.plan.forward;
  const log = o.logger.child({ callId: call.id });
  // An agent can fail before the answer (an adapter whose provider refuses it at once): the stand-in plays from the
  // answer on, and people ring once the call is answered (its media runs, so it can be handed over).
  if (!(await answered(o.events, call))) return;
  if (forward?.when === 'agent-unavailable' && !o.forwarder.forwarding(call.id)) {
    log.warn({ targets: forward.targets.length }, 'agent failed mid-call: forwarding to people');
    const outcome = await o.forwarder.forwardLive(call, forward);
    if (isEnded(call) || outcome.kind === 'cancelled') return;
    if (outcome.kind === 'answered') {
      call.plan = bridgedPlan(call.plan, outcome.legId, forward.onPersonHangup);
      return;
    }
    if (forward.fallback === 'reject') return o.end(call.id, 'forward-failed');
  }
  if (isEnded(call)) return;
  // The apology says "we cannot take your call": words for a caller, not for someone we called.
  if (call.plan.direction === 'outbound') {
    log.warn('agent failed mid-call on a call we placed: hanging up');
    return o.end(call.id, 'agent-unavailable');
  }
  log.warn('agent failed mid-call: the apology ends the call');
  if (!(await o.media.fallback(call.id, 'apology'))) o.end(call.id, 'agent-unavailable');
}

/** Resolves true once `call` is answered (at once if it is), false if it ends first. */
function answered(events: CallEvents, call: Call): Promise<boolean> {
  if (call.state === 'answered' || call.state === 'confirmed') return Promise.resolve(true);
  if (call.state === 'ended') return Promise.resolve(false);
  return new Promise((resolve) => {
    const settle = (value: boolean): void => {
      offAnswered();
      offEnded();
      resolve(value);
    };
    const offAnswered = events.on('answered', (e) => void (e.call.id === call.id && settle(true)));
    const offEnded = events.on('ended', (e) => void (e.call.id === call.id && settle(false)));
  });
}

/** Read through a function so TypeScript does not keep a narrowing across an await. */
function isEnded(call: Call): boolean {
  return call.state === 'ended';
}
