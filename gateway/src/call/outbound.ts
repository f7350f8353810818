/**
 * The outbound side of the call core: `POST /v1/calls` → a call through a carrier trunk. Thin, like inbound.ts,
 * over the same dialog, SdpSession and media plane:
 *
 *   placeCall: trunk, route, agent, caller ID, destination policy, limits → plan → registry (`queued`) → summary
 *   then:      media.open → our offer → agent connected → INVITE ─1xx─► ringing / early media
 *                                         │ 401/407: once more with credentials (new CSeq, same Call-ID)
 *                                         │ ring timeout, API hangup, shutdown: CANCEL (after a provisional)
 *                                         ├ 3xx-6xx: ended busy / declined / no-answer / failed (the transaction ACKs)
 *                                         └ 2xx: ACK, UAC dialog, rekey, media starts with the answer
 *
 * The agent is dialled BEFORE the INVITE goes out: a person's phone must not ring for an agent that is down (the
 * call ends `agent-unavailable`, nothing is sent), and the agent's first words wait in its deferred sink until the
 * callee answers. From the answer on, the call is like any other: BYE either way, re-INVITE, INFO, transfer, DTMF
 * and the lifecycle events are the controller's. Nothing here throws into the stack or the API after `placeCall`.
 */
import { randomUUID } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { MediaPlane } from '../media-plane/plane.js';
import type { Destination } from '../routing/index.js';
import { DigestClient } from '../sip/auth/client-digest.js';
import { createInDialogRequest, createUacDialog, dialogKey, type Dialog } from '../sip/dialog.js';
import { getHeader, type SipHeader, type SipRequest, type SipResponse } from '../sip/message.js';
import { randomToken } from '../sip/response.js';
import type { ClientTransaction, RemoteInfo, SipStack } from '../sip/stack.js';
import type { TransportName } from '../sip/transport/types.js';
import { buildCancel } from '../sip/transaction/client-messages.js';
import { CallRate } from '../trunks/call-rate.js';
import { trunkDestinations, type OutboundTrunkConfig } from '../trunks/outbound.js';
import { epochNow, newCall, type Call, type EndReason } from './call.js';
import { CallControlError, CallControlErrorCode, type OutboundSide as OutboundSideApi, type PlaceCallRequest } from './control.js';
import type { CallEvents } from './events.js';
import { buildOutboundInvite, isCallerIdUser } from './outbound-request.js';
import { fixedNumbers, placedPlan, refuse, type NumberFinder } from './outbound-route.js';
import { bridgedPlan, resolvePlan } from './plan.js';
import type { CallRegistry, CallSummary } from './registry.js';
import { localSrtp, SdpSession } from './sdp-session.js';
import { byeReasonHeader, END_REASON_TABLE, endReasonForFinalStatus } from './vocabulary.js';
import type { TlsPeerSetup } from '../tls/index.js';

/** A call placed as the other leg of a bridge (forwarding/). */
export interface BridgeLeg {
  /** The call it will be joined with. */
  readonly peer: string;
  /** The number's pattern the leg is recorded under (the forwarded number's). */
  readonly pattern: string;
}

/** The CANCEL's `Reason` when another leg of a forward answered (RFC 3326). */
export const CALL_COMPLETED_ELSEWHERE = 'SIP;cause=200;text="Call completed elsewhere"';

/** Ring timeout when the request names none. */
export const DEFAULT_RING_TIMEOUT_MS = 60_000;

/** What the outbound side needs from the call core (CallController implements it). */
export interface OutboundHost {
  endCall(call: Call, reason: EndReason): void;
  hangup(call: Call, reason: EndReason): void;
  startMedia(call: Call): void;
  /** The dialog is confirmed (for us: our ACK went out). */
  confirmed(call: Call): void;
  contactHeader(tx: { remote: RemoteInfo }): SipHeader;
  capabilityHeaders(): SipHeader[];
}

export interface OutboundOptions {
  config: Config;
  host: OutboundHost;
  registry: CallRegistry;
  events: CallEvents;
  media: MediaPlane;
  stack: Pick<SipStack, 'sendRequest' | 'sendStateless' | 'localAddressFor'>;
  logger: Logger;
  /** Where `number` is looked up: the number book (YAML and runtime numbers); default `config.numbers`. */
  numbers?: NumberFinder;
  /** Host name → address; default the system resolver. */
  resolve?: (host: string) => Promise<string>;
  /** How a `tls` trunk is connected to (its `tls:`: CA, name, client certificate); unset: the stack's default. */
  tlsPeers?: TlsPeerSetup;
}

/** One outbound call's INVITE while it is pending. */
interface PendingInvite {
  invite: SipRequest;
  tx: ClientTransaction;
  /** A provisional response arrived: a CANCEL may go out (RFC 3261 §9.1). */
  provisional: boolean;
  /** The call ended before the answer: CANCEL as soon as allowed, once. */
  cancelWanted: boolean;
  /** Headers the CANCEL carries (a `Reason` when another leg answered: RFC 3326, "Call completed elsewhere"). */
  cancelHeaders: SipHeader[];
  cancelSent: boolean;
  /** Where the INVITE went (the CANCEL follows it). */
  target: RemoteInfo;
  /** SDP of a 183 (early media), for a 2xx that carries none. */
  earlySdp: string | undefined;
  /** The ACK of the 2xx, resent for each retransmitted 2xx. */
  ack: SipRequest | undefined;
}

interface Outgoing {
  call: Call;
  trunk: OutboundTrunkConfig;
  destination: Destination;
  fromUser: string;
  target: RemoteInfo;
  ringTimeoutMs: number;
  log: Logger;
}

export class OutboundSide implements OutboundSideApi {
  private readonly rates = new Map<string, CallRate>();
  private readonly pending = new Map<string, PendingInvite>();
  private readonly ringTimers = new Map<string, NodeJS.Timeout>();

  constructor(private readonly options: OutboundOptions) {
    // However a call ends before its answer (ring timeout, the API's hangup, shutdown, a fault), its INVITE is cancelled.
    options.events.on('ended', (e) => {
      if (e.call.direction === 'outbound') this.ended(e.call.id, e.reason);
    });
  }

  /**
   * `leg`: the call is a bridged leg of call `peer` (forwarding/), not an agent's: no agent is dialled, and its media
   * is joined with the peer's once both are up. Not reachable from the API (whose requests name an agent).
   */
  async placeCall(request: PlaceCallRequest, leg?: BridgeLeg): Promise<CallSummary> {
    const { config, registry, events, logger } = this.options;
    const trunkConfig = config.trunks.find((t) => t.name === request.trunk);
    const trunk = trunkConfig?.outbound;
    if (trunkConfig === undefined || trunk === undefined) throw refuse('TrunkUnknown', `no trunk '${request.trunk}' with an outbound side`);
    const { route, pattern, adapterKey } = placedPlan(this.options.numbers ?? fixedNumbers(config.numbers), leg === undefined ? request : { agent: 'echo' });
    const fromUser = request.from !== '' ? request.from : (trunk.callerId.user ?? 'anonymous');
    if (!isCallerIdUser(fromUser)) throw refuse('CallerIdInvalid', 'from must be 1 to 64 of letters, digits or + . _ ~ -');
    const checked = trunkDestinations(trunk, config.sip.defaultCountryCode).check(request.to);
    if (!checked.ok) throw new CallControlError(CallControlErrorCode.DestinationNotAllowed, `destination refused: ${checked.reason}`, checked.code);
    const { ok: _ok, ...destination } = checked;
    const resolved = await this.resolveTarget(trunk);
    this.options.tlsPeers?.prepare(trunkConfig.name, trunk.proxy.host, resolved.target);
    this.checkLimits(trunkConfig.name, trunk); // after the only await: nothing can slip in between check and add

    const resolvedPlan = resolvePlan(config, {
      direction: 'outbound',
      from: fromUser,
      to: destination.number ?? destination.uri,
      pattern,
      trunk: trunkConfig.name,
      route,
      adapterKey,
    });
    const plan = leg === undefined ? resolvedPlan : { ...bridgedPlan(resolvedPlan, leg.peer), pattern: leg.pattern };
    const sipCallId = `${randomToken(16)}@patchbay`;
    const localTag = randomToken(8);
    const target = resolved.target;
    const call = newCall({ id: randomUUID(), sipCallId, localTag, key: dialogKey(sipCallId, localTag, ''), plan, remote: target });
    registry.add(call);
    const log = logger.child({ callId: call.id, sipCallId });
    log.info({ to: plan.to, from: plan.from, trunk: trunkConfig.name, pattern: plan.pattern }, 'outbound call queued');
    events.emit({ type: 'created', call });
    const ringTimeoutMs = request.ringTimeoutMs ?? DEFAULT_RING_TIMEOUT_MS;
    if (resolved.error === undefined) void this.run({ call, trunk, destination, fromUser, target, ringTimeoutMs, log });
    else {
      // The proxy's name did not resolve: the call fails as an INVITE that could not be sent would (503).
      log.warn({ err: resolved.error, host: trunk.proxy.host }, 'outbound proxy did not resolve');
      call.sipStatus = 503;
      this.options.host.endCall(call, 'failed');
    }
    const summary = registry.get(call.id);
    if (summary === undefined) throw new Error('a call just added is not in the registry');
    return summary;
  }

  private checkLimits(name: string, trunk: OutboundTrunkConfig): void {
    const { registry, config } = this.options;
    if (registry.size >= config.sip.maxConcurrentCalls) throw refuse('GatewayBusy', `${registry.size} calls are live (sip.maxConcurrentCalls)`);
    const onTrunk = registry.liveCalls().filter((c) => c.direction === 'outbound' && c.plan.trunk === name).length;
    if (onTrunk >= trunk.maxConcurrentCalls) throw refuse('TrunkBusy', `trunk '${name}' has ${onTrunk} outbound calls (outbound.maxConcurrentCalls)`);
    let rate = this.rates.get(name);
    if (rate === undefined) this.rates.set(name, (rate = new CallRate(trunk.callsPerSecond)));
    const waitMs = rate.take(performance.now());
    if (waitMs > 0) {
      throw new CallControlError(CallControlErrorCode.TrunkRateLimited, `trunk '${name}' allows ${trunk.callsPerSecond} calls a second`, undefined, waitMs / 1000);
    }
  }

  private async run(o: Outgoing): Promise<void> {
    const { media, host } = this.options;
    const { call, log } = o;
    try {
      const { target } = o;
      const peer = call.plan.agent.kind === 'bridge' ? call.plan.agent.peer : undefined;
      const { rtpPort } = await media.open({ callId: call.id, plan: call.plan, signallingAddress: target.address, near: peer });
      call.rtpPort = rtpPort;
      if (isEnded(call)) {
        media.close(call.id, call.endReason ?? 'local-hangup'); // ended while we were binding ports
        return;
      }
      const address = this.options.config.sip.publicAddress ?? this.options.stack.localAddressFor(target).address;
      const session = new SdpSession({ address, port: rtpPort, codecs: [...call.plan.codecs], ptimeMs: call.plan.ptimeMs, srtp: localSrtp(call.plan.srtp.policy, call.plan.srtp.suites) });
      call.sdp = session;
      const offer = session.offer();
      if (!(await this.connectAgent(call))) return;
      if (isEnded(call)) return;
      media.answered(call.id); // our SDP goes out now: whoever sent to the ports before is not the callee
      const final = await this.invite(o, offer);
      this.clearRingTimer(call.id);
      if (final === undefined) return;
      if (final.res.status < 300) return this.answered(o, final.pending, final.res);
      this.pending.delete(call.id);
      if (isEnded(call)) return; // cancelled: its 487 (or whatever came) changes nothing
      call.sipStatus = final.res.status;
      const reason = endReasonForFinalStatus(final.res.status);
      log.info({ status: final.res.status, reason }, 'outbound call not answered');
      host.endCall(call, reason);
    } catch (err) {
      log.error({ err }, 'outbound call failed');
      this.clearRingTimer(call.id);
      if (call.state !== 'ended') {
        if (call.dialog) host.hangup(call, 'error');
        else host.endCall(call, 'error');
      }
    } finally {
      if (call.state === 'ended') this.pending.delete(call.id);
    }
  }

  /** Dials the agent before anything rings; false (the call ended `agent-unavailable`) when it cannot be reached. */
  private async connectAgent(call: Call): Promise<boolean> {
    const { media, events, host } = this.options;
    let report;
    try {
      report = await media.connect(call.id);
    } catch (err) {
      const code = typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : 'error';
      events.emit({ type: 'agent-connect', call, report: undefined, error: { code } });
      throw err;
    }
    events.emit({ type: 'agent-connect', call, report });
    if (report === undefined || isEnded(call)) return false;
    if (report.outcome !== 'connected') {
      this.options.logger.warn({ callId: call.id, failure: report.failure }, 'agent unreachable: the outbound call is not placed');
      host.endCall(call, 'agent-unavailable');
      return false;
    }
    return true;
  }

  /** Sends the INVITE (and once more with credentials after a 401/407); the final response, or undefined if none is needed. */
  private async invite(o: Outgoing, offer: string): Promise<{ res: SipResponse; pending: PendingInvite } | undefined> {
    const { config, stack, host } = this.options;
    const { call, trunk, target } = o;
    const local = stack.localAddressFor(target);
    const digest = trunk.auth === undefined ? undefined : new DigestClient(trunk.auth);
    let credentials: SipHeader[] = [];
    this.ringTimers.set(call.id, setTimeout(() => this.ringTimeout(call, o.log), o.ringTimeoutMs));
    for (let cseq = 1; cseq <= 2; cseq++) {
      const invite = buildOutboundInvite({
        trunk,
        defaultCountryCode: config.sip.defaultCountryCode,
        destination: o.destination,
        fromUser: o.fromUser,
        callId: call.sipCallId,
        fromTag: call.localTag,
        cseq,
        branch: `z9hG4bK${randomToken(12)}`,
        via: { transport: target.transport, host: local.address, port: local.port },
        contact: host.contactHeader({ remote: target }).value,
        sdp: offer,
        userAgent: config.sip.userAgent,
        extraHeaders: host.capabilityHeaders(),
        credentials,
      });
      const tx = stack.sendRequest(invite, target);
      const pending: PendingInvite = { invite, tx, target, provisional: false, cancelWanted: false, cancelSent: false, cancelHeaders: [], earlySdp: undefined, ack: undefined };
      this.pending.set(call.id, pending);
      tx.onProvisional = (res) => this.provisional(call, pending, res);
      tx.onRetransmitted2xx = () => {
        if (pending.ack) stack.sendStateless(pending.ack, target); // our ACK was lost
      };
      const res = await tx.response;
      const challenged = (res.status === 401 || res.status === 407) && cseq === 1 && digest !== undefined && !isEnded(call);
      if (challenged && digest.accept(res).ok) {
        credentials = digest.authorize('INVITE', invite.uri);
        continue;
      }
      return { res, pending };
    }
    return undefined;
  }

  private provisional(call: Call, pending: PendingInvite, res: SipResponse): void {
    pending.provisional = true; // any provisional, 100 Trying too, lets a CANCEL go out (RFC 3261 §9.1)
    if (pending.cancelWanted) this.sendCancel(call.id, pending);
    if (isEnded(call) || res.status < 180) return;
    if (call.state === 'admitted') {
      call.state = 'ringing';
      call.times.ringingAt = epochNow();
      this.options.events.emit({ type: 'ringing', call });
    }
    const sdp = sdpOf(res);
    if (res.status === 183 && sdp !== undefined && pending.earlySdp === undefined) {
      pending.earlySdp = sdp; // played to nobody: the callee's media starts with the answer
      this.options.events.emit({ type: 'early-media', call });
    }
  }

  private ringTimeout(call: Call, log: Logger): void {
    this.ringTimers.delete(call.id);
    if (call.state !== 'admitted' && call.state !== 'ringing') return;
    log.info('ring timeout: cancelling');
    call.sipStatus = END_REASON_TABLE['no-answer'].inviteStatus;
    this.options.host.endCall(call, 'no-answer'); // → ended → CANCEL
  }

  /** An outbound call ended: a pending INVITE is cancelled (at once, or at its first provisional response). */
  private ended(callId: string, reason: EndReason): void {
    this.clearRingTimer(callId);
    const pending = this.pending.get(callId);
    this.pending.delete(callId); // what still comes for this INVITE reaches `pending` through its transaction's callbacks
    if (pending === undefined || pending.ack !== undefined) return;
    pending.cancelWanted = true;
    // A phone that rang while another answered must not show a missed call (RFC 3326; what PBXs send).
    if (reason === 'answered-elsewhere') pending.cancelHeaders = [{ name: 'Reason', value: CALL_COMPLETED_ELSEWHERE }];
    if (pending.provisional) this.sendCancel(callId, pending);
  }

  private sendCancel(callId: string, pending: PendingInvite): void {
    if (pending.cancelSent) return;
    pending.cancelSent = true;
    try {
      const tx = this.options.stack.sendRequest(buildCancel(pending.invite, pending.cancelHeaders), pending.target);
      void tx.response.then((res) => this.options.logger.debug({ callId, status: res.status }, 'CANCEL answered'));
    } catch (err) {
      this.options.logger.warn({ err, callId }, 'sending CANCEL failed');
    }
  }

  /** The 2xx: ACK it, make the dialog, and start the media with the answer (a cancelled call is hung up at once). */
  private answered(o: Outgoing, pending: PendingInvite, res: SipResponse): void {
    const { host, registry, events, stack, config } = this.options;
    const { call, target, log } = o;
    const dialog = createUacDialog(pending.invite, res, target);
    const local = stack.localAddressFor(target);
    const via = { transport: target.transport, host: local.address, port: local.port };
    const contact = host.contactHeader({ remote: target }).value;
    const ack = createInDialogRequest(dialog, { method: 'ACK', cseq: dialog.localSeq, via, contact, userAgent: config.sip.userAgent });
    pending.ack = ack;
    if (isEnded(call)) {
      // Answered as we cancelled: take the answer and end it (RFC 3261 §15: BYE after the ACK).
      stack.sendStateless(ack, target);
      this.bye(dialog, call.endReason ?? 'local-hangup', via, contact);
      this.pending.delete(call.id);
      return;
    }
    call.dialog = dialog;
    registry.rekey(call, dialogKey(dialog.callId, dialog.localTag, dialog.remoteTag)); // their requests find the call
    call.state = 'answered';
    call.sipStatus = res.status;
    call.times.answeredAt = epochNow();
    events.emit({ type: 'answered', call });
    stack.sendStateless(ack, target);
    call.state = 'confirmed';
    host.confirmed(call);
    const sdp = sdpOf(res) ?? pending.earlySdp;
    try {
      if (sdp === undefined) throw new Error('the 2xx carries no SDP answer to our offer');
      call.sdp?.acceptAnswer(sdp);
    } catch (err) {
      log.warn({ err }, 'unusable SDP answer in the 2xx; hanging up');
      host.hangup(call, 'bad-answer');
      return;
    }
    log.info({ codec: call.sdp?.negotiated?.codec.name }, 'outbound call answered');
    host.startMedia(call);
  }

  private bye(dialog: Dialog, reason: EndReason, via: { transport: TransportName; host: string; port: number }, contact: string): void {
    const { stack, config, logger } = this.options;
    try {
      const bye = createInDialogRequest(dialog, { method: 'BYE', via, contact, userAgent: config.sip.userAgent, headers: [{ name: 'Reason', value: byeReasonHeader(reason) }] });
      void stack.sendRequest(bye, dialog.peer).response.then((res) => logger.debug({ status: res.status }, 'BYE answered'));
    } catch (err) {
      logger.warn({ err }, 'sending BYE failed');
    }
  }

  private clearRingTimer(callId: string): void {
    const timer = this.ringTimers.get(callId);
    if (timer !== undefined) clearTimeout(timer);
    this.ringTimers.delete(callId);
  }

  /** The trunk's proxy as an address (a name resolved); on failure, the name and the error. */
  private async resolveTarget(trunk: OutboundTrunkConfig): Promise<{ target: RemoteInfo; error?: unknown }> {
    const { host, port, transport } = trunk.proxy;
    const name = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
    if (isIP(name) !== 0) return { target: { transport, address: name, port } };
    try {
      return { target: { transport, address: await (this.options.resolve ?? systemResolve)(name), port } };
    } catch (error) {
      return { target: { transport, address: name, port }, error };
    }
  }
}

/** The SDP body of a response, if it has one of type application/sdp. */
function sdpOf(res: SipResponse): string | undefined {
  if (res.body.length === 0) return undefined;
  const type = getHeader(res, 'content-type');
  if (type !== undefined && !/^\s*application\/sdp\s*(;|$)/i.test(type)) return undefined;
  return res.body.toString('utf8');
}

async function systemResolve(host: string): Promise<string> {
  return (await lookup(host)).address;
}

/** Read through a function so TypeScript does not keep a narrowing across an await. */
function isEnded(call: Call): boolean {
  return call.state === 'ended';
}
