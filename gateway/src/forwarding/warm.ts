/**
 * Warm transfer (docs/forwarding.md §Warm transfer): the agent's `consult{target, whisper?}` rings a person on a
 * second leg (through the call's trunk) while the caller stays with the agent; when the person answers, the agent
 * talks to the person only and the caller hears hold music (MediaPlane.consult); then the agent's `bridge` joins
 * caller and person (the agent gets `stop{reason: 'transferred'}`), or its `cancel_consult` drops the person and the
 * agent is back with the caller. Each step is told to the agent (`consult{status}`) and put on the call's record
 * (`consulted` → timeline `consult`). Over the call core's seams only: lifecycle events, the forwarder's legs and
 * joins, the media plane, a way to end a call.
 */
import type { ConsultStatus, GatewayMessage } from '@patchbay/agents';
import type { Logger } from 'pino';
import type { Call } from '../call/call.js';
import type { CallEvents } from '../call/events.js';
import { bridgedPlan } from '../call/plan.js';
import type { EndReason } from '../call/vocabulary.js';
import type { Config } from '../config.js';
import type { MediaPlane, WarmTransferCommand } from '../media-plane/plane.js';
import type { DestinationPolicy } from '../routing/index.js';
import type { Forwarder } from './forwarder.js';
import { TRANSFER_RING_TIMEOUT_MS } from './live.js';

export interface WarmTransferOptions {
  readonly config: Pick<Config, 'trunks'>;
  readonly events: CallEvents;
  /** The destination policy a call's transfers are checked against (its number's `transfer` lists). */
  readonly destinations: (call: Call) => DestinationPolicy;
  readonly forwarder: Pick<Forwarder, 'dial' | 'bridge' | 'forwarding'>;
  readonly media: Pick<MediaPlane, 'consult' | 'tellAgent'>;
  readonly end: (callId: string, reason: EndReason) => void;
  readonly logger: Logger;
}

interface Consultation {
  readonly caller: Call;
  readonly target: string;
  readonly whisper: string | undefined;
  phase: 'dialling' | 'answered';
  legId: string | undefined;
  /** `cancel_consult` while the person's phone rang: their leg is dropped as soon as it answers. */
  cancelled: boolean;
}

export class WarmTransfers {
  /** By the caller's call id: at most one consultation per call. */
  private readonly active = new Map<string, Consultation>();

  constructor(private readonly o: WarmTransferOptions) {
    o.events.on('warm-transfer', (e) => this.command(e.call, e.msg));
    o.events.on('ended', (e) => this.ended(e.call));
  }

  private async command(call: Call, msg: WarmTransferCommand): Promise<void> {
    switch (msg.type) {
      case 'consult':
        return this.consult(call, msg.target, msg.whisper);
      case 'bridge':
        return this.complete(call, msg.listen === true);
      case 'cancel_consult':
        return this.cancel(call);
      case 'agent_left':
        // The consulting agent's link closed (it crashed, or hung up its socket) with the person on the line: the
        // transfer completes without it rather than leaving the caller on hold music and the person in silence.
        this.o.logger.warn({ callId: call.id, reason: msg.reason }, 'warm transfer: the consulting agent left; the person takes the caller');
        return this.complete(call, false, 'agent-left');
    }
  }

  private async consult(call: Call, target: string, whisper: string | undefined): Promise<void> {
    const { forwarder, logger } = this.o;
    const log = logger.child({ callId: call.id, layer: 'warm-transfer' });
    const refuse = (message: string): void => {
      log.warn({ reason: message }, 'warm transfer refused');
      this.tell(call, target, 'failed', { reason: 'refused', message });
    };
    if (this.active.has(call.id)) return refuse('a consultation is already running');
    if (call.state !== 'answered' && call.state !== 'confirmed') return refuse('the call is not connected yet');
    if (call.plan.agent.kind === 'bridge') return refuse('the call is already bridged with a person');
    if (forwarder.forwarding(call.id)) return refuse('people are already ringing for this call');
    const checked = this.o.destinations(call).check(target);
    if (!checked.ok) return refuse(`target not allowed (${checked.code})`);
    const trunk = this.o.config.trunks.find((t) => t.name === call.plan.trunk);
    if (trunk?.outbound === undefined) return refuse("the call's trunk has no outbound side to ring the person through");

    const consultation: Consultation = { caller: call, target, whisper, phase: 'dialling', legId: undefined, cancelled: false };
    this.active.set(call.id, consultation);
    this.tell(call, target, 'dialling');
    const destination = checked.kind === 'number' ? checked.number : checked.uri;
    const outcome = await forwarder.dial(call, {
      targets: [{ to: destination, trunk: trunk.name }],
      strategy: 'sequential',
      ringTimeoutMs: TRANSFER_RING_TIMEOUT_MS,
      when: 'first',
      fallback: 'agent',
      onPersonHangup: 'end', // a warm transfer hands the caller over for good
    });
    if (outcome.kind === 'cancelled' || isEnded(call)) return; // the caller left: `ended` cleared it
    if (outcome.kind === 'failed') {
      this.active.delete(call.id);
      const reason = outcome.attempts.at(-1)?.outcome ?? 'failed';
      if (!consultation.cancelled) this.tell(call, target, 'failed', { reason: reason === 'refused' ? 'refused' : reason });
      return;
    }
    consultation.legId = outcome.legId;
    if (consultation.cancelled) {
      this.active.delete(call.id);
      return this.o.end(outcome.legId, 'consult-cancelled');
    }
    if (!(await this.o.media.consult(call.id, { kind: 'start', leg: outcome.legId }))) {
      this.active.delete(call.id);
      this.o.end(outcome.legId, 'peer-hangup');
      return this.tell(call, target, 'failed', { reason: 'failed', message: 'the person answered, but the call could not be put through to them' });
    }
    consultation.phase = 'answered';
    log.info('warm transfer: the person answered; the agent consults them, the caller is on hold');
    this.tell(call, target, 'answered', whisper === undefined ? {} : { whisper }, outcome.legId);
  }

  private async complete(call: Call, listen: boolean, reason?: 'agent-left'): Promise<void> {
    const c = this.active.get(call.id);
    if (c === undefined || c.phase !== 'answered' || c.legId === undefined) {
      if (reason === 'agent-left') return this.o.end(call.id, 'agent-gone'); // nobody to hand the caller to
      this.o.logger.warn({ callId: call.id }, 'warm transfer: bridge without an answered consultation; ignored');
      return this.o.media.tellAgent(call.id, { type: 'error', code: 'bad_message', message: 'bridge: no consultation has been answered' });
    }
    const legId = c.legId;
    this.active.delete(call.id);
    // The agent leaves (stop{reason: 'transferred'}); both legs become bridged legs, then are joined and their ends tied.
    if (!(await this.o.media.consult(call.id, { kind: 'complete', listen }))) return this.o.end(legId, 'peer-hangup');
    if (isEnded(call)) return;
    call.plan = bridgedPlan(call.plan, legId);
    if (!(await this.o.forwarder.bridge(call, legId))) return this.o.end(legId, 'peer-hangup');
    if (listen) this.o.media.tellAgent(call.id, { type: 'consult', status: 'bridged', target: c.target });
    this.o.events.emit({ type: 'consulted', call, status: 'bridged', target: c.target, legId, ...(listen ? { reason: 'listening' } : reason !== undefined ? { reason } : {}) });
  }

  private async cancel(call: Call): Promise<void> {
    const c = this.active.get(call.id);
    if (c === undefined || c.cancelled) return;
    if (c.phase === 'dialling') {
      c.cancelled = true; // the ringing leg is dropped when it answers (or fails on its own)
      return this.tell(call, c.target, 'cancelled');
    }
    this.active.delete(call.id);
    await this.o.media.consult(call.id, { kind: 'end' });
    if (c.legId !== undefined) this.o.end(c.legId, 'consult-cancelled');
    this.tell(call, c.target, 'cancelled', {}, c.legId);
  }

  private ended(call: Call): void {
    const own = this.active.get(call.id);
    if (own !== undefined) {
      // The caller left: the person is not left on a dead line (a leg still ringing is ended by the forwarder).
      this.active.delete(call.id);
      if (own.legId !== undefined) this.o.end(own.legId, 'peer-hangup');
      return;
    }
    for (const [callerId, c] of this.active) {
      if (c.legId !== call.id || c.phase !== 'answered') continue;
      // The person hung up during the consultation: the media plane gave the agent back to the caller already.
      this.active.delete(callerId);
      this.o.events.emit({ type: 'consulted', call: c.caller, status: 'ended', target: c.target, legId: call.id });
      this.o.media.tellAgent(callerId, { type: 'consult', status: 'ended', target: c.target });
      return;
    }
  }

  private tell(call: Call, target: string, status: ConsultStatus, extra: { reason?: string; message?: string; whisper?: string } = {}, legId?: string): void {
    const msg: GatewayMessage = { type: 'consult', status, target, ...extra };
    this.o.media.tellAgent(call.id, msg);
    this.o.events.emit({ type: 'consulted', call, status, target, legId, reason: extra.reason });
  }
}

/** Read through a function so TypeScript does not keep a narrowing across an await. */
function isEnded(call: Call): boolean {
  return call.state === 'ended';
}
