/**
 * The inbound side of the call core: an initial INVITE goes through admission, its plan is resolved, media ports are
 * bound, offer/answer runs, the agent is dialled before we answer (an unreachable agent can still be refused), and
 * the call rings and is answered as its plan says. Shared call mechanics (ending, ACKs, media, answers on the wire)
 * are the host's (CallController). Nothing here throws into the stack.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { PortPoolExhaustedError } from '../media/port-pool.js';
import type { AgentConnectReport, MediaPlane } from '../media-plane/plane.js';
import type { HopMetrics } from '../metrics/hop-metrics.js';
import { createUasDialog, dialogKey } from '../sip/dialog.js';
import { parseCSeq, parseNameAddr } from '../sip/headers.js';
import { getHeader, type SipHeader, type SipRequest, type SipResponse } from '../sip/message.js';
import { createResponse, randomToken } from '../sip/response.js';
import type { RemoteInfo, ServerTransaction, SipStack } from '../sip/stack.js';
import { requireSdpAccepted } from './accepts-sdp.js';
import { CallAdmission, CallRejection, type Admission, type NumberLookup } from './admission.js';
import { epochNow, newCall, type Call, type EndReason } from './call.js';
import type { AuthStats } from './call-stats.js';
import type { CallEvents } from './events.js';
import type { PerCallRouting } from './per-call-routing.js';
import { bridgedPlan, resolvePlan, type ForwardPlan } from './plan.js';
import type { CallRegistry } from './registry.js';
import { sdpBody } from './sdp-body.js';
import { localSrtp, SdpSession } from './sdp-session.js';
import { agentUnreachable, gatewayDraining, noMediaPorts } from './sip-answers.js';

/** What the inbound side needs from the call core. */
export interface InboundHost {
  respond(tx: ServerTransaction, status: number, opts?: { toTag?: string; headers?: SipHeader[] }): void;
  /** Answers a failure with its SIP status; returns the status sent. */
  respondError(tx: ServerTransaction, err: unknown, toTag?: string, stateless?: boolean): number;
  endCall(call: Call, reason: EndReason): void;
  hangup(call: Call, reason: EndReason): void;
  expectAck(call: Call, ok: SipResponse, cseq: number): void;
  startMedia(call: Call): void;
  contactHeader(tx: { remote: RemoteInfo; request?: SipRequest }): SipHeader;
  capabilityHeaders(): SipHeader[];
}

export interface InboundOptions {
  config: Config;
  host: InboundHost;
  registry: CallRegistry;
  events: CallEvents;
  media: MediaPlane;
  stack: Pick<SipStack, 'localAddressFor'>;
  hops: HopMetrics;
  authStats: AuthStats;
  logger: Logger;
  /** Where admission looks numbers up; default `config.numbers`, read once. */
  numbers?: NumberLookup | undefined;
  /** Decides the route of a `webhook:` number's calls; absent, such a number takes its own (fallback) route. */
  routing?: PerCallRouting | undefined;
  /** True while the gateway drains (drain/): every new call is refused 503 + Retry-After `drain.retryAfterS`. */
  draining?: (() => boolean) | undefined;
  /** Rings a `forward:` number's people and bridges the one who answers (forwarding/); absent: such numbers go to their agent. */
  forwarding?: (() => InboundForwarding | undefined) | undefined;
}

/** What the inbound side asks of forwarding (forwarding/forwarder.ts implements it). */
export interface InboundForwarding {
  dial(call: Call, plan: ForwardPlan): Promise<{ kind: 'answered'; legId: string } | { kind: 'failed'; allBusy: boolean } | { kind: 'cancelled' }>;
  bridge(caller: Call, leg: string): Promise<boolean>;
}

export class InboundSide {
  private readonly admission: CallAdmission;

  constructor(private readonly options: InboundOptions) {
    const { config, registry, authStats, logger, numbers } = options;
    this.admission = new CallAdmission({ config, activeCalls: () => registry.size, stats: authStats, logger, ...(numbers ? { numbers } : {}) });
  }

  /**
   * Admission, or its refusal (401/403/404/503) sent statelessly: one datagram, no retransmission, no state, so a
   * spoofed INVITE cannot turn the gateway into an amplifier; a retransmitted INVITE is refused again (1:1). While
   * draining, before any other check: the 503 says "not here" to every sender alike (OPTIONS says it too), and no
   * digest round trip is spent on a call that would be refused anyway.
   */
  private admit(tx: ServerTransaction): Admission | undefined {
    try {
      if (this.options.draining?.() === true) throw gatewayDraining(this.options.config.drain.retryAfterS);
      return this.admission.admit(tx.request, tx.remote.address);
    } catch (err) {
      const sipStatus = this.options.host.respondError(tx, err, randomToken(8), true);
      this.options.events.emit({ type: 'refused', call: undefined, sipStatus });
      return undefined;
    }
  }

  async invite(tx: ServerTransaction): Promise<void> {
    const req = tx.request;
    const { config, logger, host, events, media } = this.options;
    let call: Call | undefined;
    try {
      const admission = this.admit(tx);
      if (admission === undefined) return; // refused, statelessly
      requireSdpAccepted(req); // RFC 4475 sdp01: our answer is SDP; an Accept without it gets 406
      const localTag = randomToken(8);
      const sipCallId = getHeader(req, 'call-id') ?? '';
      const asks = admission.route.webhook !== undefined && this.options.routing !== undefined;
      const source = asks ? 'webhook' : admission.source;
      const input = { direction: 'inbound', from: admission.from, to: admission.number, pattern: admission.pattern, trunk: admission.trunk } as const;
      let plan = resolvePlan(config, { ...input, route: admission.route, adapterKey: admission.adapterKey, routing: { source, action: admission.route.forward?.when === 'first' ? 'forward' : 'agent' } });
      const key = dialogKey(sipCallId, localTag, parseNameAddr(getHeader(req, 'from') ?? '').tag ?? '');
      const c = newCall({ id: randomUUID(), sipCallId, localTag, key, plan, remote: tx.remote });
      call = c;
      this.options.registry.add(c);
      const log = logger.child({ callId: c.id, sipCallId });
      log.info({ number: admission.number, from: admission.from, pattern: admission.pattern, trunk: admission.trunk }, 'call admitted');
      events.emit({ type: 'created', call: c });
      const routingWait = asks ? new AbortController() : undefined;
      tx.onCancel = () => {
        if (c.state !== 'admitted' && c.state !== 'ringing') return;
        routingWait?.abort();
        try {
          host.respond(tx, 487, { toTag: localTag });
          c.sipStatus = 487;
          events.emit({ type: 'refused', call: c, sipStatus: 487 });
        } catch (err) {
          log.error({ err }, 'answering CANCEL failed');
        } finally {
          host.endCall(c, 'cancelled');
        }
      };

      if (routingWait !== undefined && this.options.routing !== undefined) {
        // The caller hears ringing while the webhook decides: never dead air.
        this.ring(c, tx);
        const decision = await this.options.routing.decide({ callId: c.id, admission }, routingWait.signal);
        if (decision.kind === 'cancelled' || isEnded(c)) return; // CANCEL answered 487 and ended the call
        c.plan = plan = decision.kind === 'route' ? resolvePlan(config, { ...input, route: decision.route, adapterKey: decision.adapterKey, routing: decision.routing }) : { ...plan, routing: decision.routing };
        events.emit({ type: 'routed', call: c, routing: decision.routing });
        log.info({ routing: decision.routing }, 'call routed');
        if (decision.kind === 'reject') throw new CallRejection(decision.status, decision.reason, [], 'CALL_ROUTING_REJECTED');
      }

      let leg: string | undefined;
      const forwarding = this.options.forwarding?.();
      if (plan.forward?.when === 'first' && forwarding !== undefined) {
        // People ring first (forwarding/); the caller hears ringing meanwhile, never dead air.
        if (c.state === 'admitted') this.ring(c, tx);
        const outcome = await forwarding.dial(c, plan.forward);
        if (outcome.kind === 'cancelled' || isEnded(c)) return; // CANCEL answered 487 and ended the call
        if (outcome.kind === 'answered') {
          leg = outcome.legId;
          c.plan = plan = bridgedPlan(plan, leg, plan.forward.onPersonHangup);
        } else if (plan.forward.fallback === 'reject') {
          return this.forwardFailed(c, tx, outcome.allBusy ? 486 : 480);
        } else {
          const { forward: _forward, ...toAgent } = plan;
          c.plan = plan = toAgent; // nobody answered: the number's agent takes the call
          log.info('forwarding: nobody answered; the agent takes the call');
        }
      }

      const { rtpPort } = await media.open({ callId: c.id, plan, signallingAddress: tx.remote.address, near: leg });
      c.rtpPort = rtpPort;
      if (isEnded(c)) {
        media.close(c.id, c.endReason ?? 'cancelled'); // cancelled while we were binding ports
        return;
      }
      const session = new SdpSession({ address: this.advertisedAddress(tx), port: rtpPort, codecs: [...plan.codecs], ptimeMs: plan.ptimeMs, srtp: localSrtp(plan.srtp.policy, plan.srtp.suites) });
      c.sdp = session;
      const body = req.body.length > 0 ? session.answer(sdpBody(req)) : session.offer();
      const report = await this.connectAgent(c); // before answering: an unreachable agent can still be refused
      if (isEnded(c)) return;
      if (report?.outcome === 'unreachable') {
        if (plan.forward?.when !== 'agent-unavailable' || forwarding === undefined) throw agentUnreachable(plan);
        // Failover: the agent is down, so people ring instead (the caller hears ringing, not an apology).
        if (c.state === 'admitted') this.ring(c, tx);
        log.warn({ failure: report.failure?.code }, 'agent unreachable: forwarding to people');
        const outcome = await forwarding.dial(c, plan.forward);
        if (outcome.kind === 'cancelled' || isEnded(c)) return;
        if (outcome.kind === 'answered') {
          leg = outcome.legId;
          c.plan = plan = bridgedPlan(plan, leg, plan.forward.onPersonHangup);
          if (!(await media.fallback(c.id, 'bridge'))) return this.forwardFailed(c, tx, 480);
        } else if (plan.forward.fallback === 'apology') {
          if (!(await media.fallback(c.id, 'apology'))) throw agentUnreachable(plan);
        } else {
          return this.forwardFailed(c, tx, outcome.allBusy ? 486 : 480);
        }
        if (isEnded(c)) return;
      }
      if (leg !== undefined) {
        const bridged = (await forwarding?.bridge(c, leg)) === true;
        // The person hung up before the caller could be answered: refused as if nobody had answered.
        if (!bridged || endReasonOf(c) === 'peer-hangup') return this.forwardFailed(c, tx, 480);
        if (isEnded(c)) return;
      }

      if (plan.ringing && c.state === 'admitted') this.ring(c, tx);
      if (plan.answerDelayMs > 0) await delay(plan.answerDelayMs);
      if (isEnded(c)) return; // cancelled while ringing
      this.answer(c, tx, body);
      log.info({ codec: session.negotiated?.codec.name, lateOffer: session.awaitingAnswer }, 'call answered');
    } catch (err) {
      let refusal = err;
      if (err instanceof PortPoolExhaustedError) {
        logger.error({ err }, 'media ports exhausted');
        refusal = noMediaPorts(config.sip.retryAfterSeconds);
      }
      // The refusal goes out (and is told with its status) before the call's end releases its media. Nothing
      // here may throw out of this floating promise; an answered call (its dialog exists) is ended with a BYE.
      try {
        const sipStatus = host.respondError(tx, refusal, refusal === err ? call?.localTag : undefined);
        if (call && call.sipStatus === undefined) call.sipStatus = sipStatus;
        events.emit({ type: 'refused', call, sipStatus });
      } catch (failure) {
        logger.error({ err: failure, callId: call?.id }, 'refusing the INVITE failed');
      } finally {
        if (call && call.state !== 'ended') {
          if (call.dialog) host.hangup(call, 'error');
          else host.endCall(call, 'error');
        }
      }
    }
  }

  /** Dials the call's agent and tells the event stream how it went (`unreachable`: the plan says not to apologise). */
  private async connectAgent(call: Call): Promise<AgentConnectReport | undefined> {
    const { media, events } = this.options;
    let report;
    try {
      report = await media.connect(call.id);
    } catch (err) {
      const code = typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : 'error';
      events.emit({ type: 'agent-connect', call, report: undefined, error: { code } });
      throw err;
    }
    events.emit({ type: 'agent-connect', call, report });
    return report;
  }

  /** Forwarding found nobody (and the number falls back to nobody): 480, or 486 when every leg was busy. */
  private forwardFailed(call: Call, tx: ServerTransaction, status: 480 | 486): void {
    const { host, events } = this.options;
    try {
      host.respond(tx, status, { toTag: call.localTag });
      call.sipStatus = status;
      events.emit({ type: 'refused', call, sipStatus: status });
    } finally {
      host.endCall(call, 'forward-failed');
    }
  }

  /** 180 Ringing (once). */
  private ring(call: Call, tx: ServerTransaction): void {
    const { host, events } = this.options;
    call.state = 'ringing';
    call.times.ringingAt = epochNow();
    host.respond(tx, 180, { toTag: call.localTag, headers: [host.contactHeader(tx)] });
    events.emit({ type: 'ringing', call });
  }

  private answer(call: Call, tx: ServerTransaction, sdp: string): void {
    const { host, media } = this.options;
    const ok = createResponse(tx.request, 200, {
      toTag: call.localTag,
      headers: [host.contactHeader(tx), ...host.capabilityHeaders()],
      body: Buffer.from(sdp),
      contentType: 'application/sdp',
    });
    call.dialog = createUasDialog(tx.request, call.localTag, tx.remote);
    call.state = 'answered';
    call.sipStatus = 200;
    call.times.answeredAt = epochNow();
    tx.respond(ok);
    media.answered(call.id); // RTP already flowing to the call's ports is not the caller's
    this.options.hops.setupMs.record(performance.now() - call.createdAtMs);
    this.options.events.emit({ type: 'answered', call });
    host.expectAck(call, ok, parseCSeq(getHeader(tx.request, 'cseq') ?? '').seq);
    host.startMedia(call); // a late offer starts at the ACK, when the codec is known
  }

  private advertisedAddress(tx: ServerTransaction): string {
    return this.options.config.sip.publicAddress ?? this.options.stack.localAddressFor(tx.remote).address;
  }
}

/** Read through a function so TypeScript does not keep a narrowing across an await. */
function isEnded(call: Call): boolean {
  return call.state === 'ended';
}

function endReasonOf(call: Call): EndReason | undefined {
  return call.endReason;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
