/**
 * The transaction user: turns server transactions into calls. Initial INVITEs go to the inbound side (inbound.ts);
 * requests inside a dialog (ACK, BYE, re-INVITE, INFO, NOTIFY) find their call in the registry by dialog key;
 * agents' transfers go out as REFER (call-transfer.ts). Here live the mechanics every call shares, whichever side
 * placed it: ending it (the one place a call ends), ACKs for our 2xx, its media, and answers on the wire
 * (sip-answers.ts decides each status). Every step of a call is told on the lifecycle stream (events.ts). Nothing
 * here throws into the stack.
 */
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { BargeInStats } from '../media/barge-in.js';
import type { CallQuality } from '../media/call-quality.js';
import { parseDtmfInfo } from '../media/dtmf/sip-info.js';
import type { MediaTimelineEvent } from '../media/timeline.js';
import type { MediaTraceEvent } from '../media/turn-trace.js';
import type { HopMetrics } from '../metrics/hop-metrics.js';
import type { MediaPlane, WarmTransferCommand } from '../media-plane/plane.js';
import { getHeader, type SipHeader, type SipRequest, type SipResponse } from '../sip/message.js';
import { parseNameAddr } from '../sip/headers.js';
import { createResponse, randomToken } from '../sip/response.js';
import type { RemoteInfo, ServerTransaction, SipStack } from '../sip/stack.js';
import { isReliable, isSecure, uriTransportParam } from '../sip/transport/types.js';
import { sipsRefusal } from './sips-policy.js';
import { requestDialogKey } from '../sip/dialog.js';
import { CallRejection } from './admission.js';
import { AnswerRetransmitter } from './answer-retransmitter.js';
import { epochNow, type Call, type EndReason } from './call.js';
import { countCallEvents, newCallStats, type CallStats } from './call-stats.js';
import { CallTransfers, type BridgeTransfer, transferDestinations } from './call-transfer.js';
import { CallControl, type CallControlHost, type TransferStart } from './control.js';
import { CallEvents, type CallEvent } from './events.js';
import { InboundSide, type InboundForwarding, type InboundOptions } from './inbound.js';
import { InDialogHandler, type InDialogHost } from './in-dialog.js';
import type { MediaRequests } from './media-events.js';
import { CallRegistry } from './registry.js';
import { gatewayDraining, INTERNAL_ERROR, sipAnswerOf } from './sip-answers.js';
import { byeReasonHeader, dispositionOf } from './vocabulary.js';
import { Teardown } from '../teardown.js';

export type { BargeInSummary, CallStats } from './call-stats.js';

/** NOTIFY only inside a call, for the REFER we sent (481 otherwise). */
export const ALLOWED_METHODS = ['INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', 'INFO', 'NOTIFY'] as const;
/** Methods we recognise but do not serve (405 with Allow); anything else is 501. The caller's side cannot REFER us. */
const KNOWN_UNSUPPORTED = new Set(['REGISTER', 'SUBSCRIBE', 'MESSAGE', 'PUBLISH', 'REFER', 'UPDATE', 'PRACK']);
const SUPPORTED_EXTENSIONS = new Set<string>();

export type CallStack = Pick<SipStack, 'sendRequest' | 'sendStateless' | 'localAddressFor'>;

export interface CallControllerOptions {
  config: Config;
  stack: CallStack;
  /** Where each call's ports, agent and media live (this thread or media workers). */
  media: MediaPlane;
  /** Call setup is recorded here (the media hops are the plane's). */
  hops: HopMetrics;
  /** Port our SIP listens on, for Contact. */
  sipPort: number;
  logger: Logger;
  /** Numbers at runtime (numbers/) and per-call routing (routing-webhook/); default `config.numbers` only. */
  routing?: Pick<InboundOptions, 'numbers' | 'routing'>;
  /**
   * True while the gateway drains (drain/, docs/drain.md): new INVITEs and out-of-dialog OPTIONS get 503 +
   * Retry-After `drain.retryAfterS`, the API refuses new calls (GATEWAY_DRAINING); requests of live calls go on.
   */
  draining?: () => boolean;
}

export class CallController implements InDialogHost, MediaRequests, CallControlHost {
  /** Live calls by id and by dialog key, both directions, and recently ended ones' summaries. */
  readonly registry = new CallRegistry();
  /** The lifecycle stream: subscribe before the first request is handed over. */
  readonly events: CallEvents;
  private readonly inbound: InboundSide;
  private readonly inDialog: InDialogHandler;
  readonly transfers: CallTransfers;
  readonly stats: CallStats = newCallStats();
  /** What the REST API steers calls through. */
  readonly control: CallControl;
  /** Rings `forward:` numbers' people (forwarding/), plugged in by gateway.ts once the outbound side exists. */
  private forwarding: InboundForwarding | undefined;
  /** A `transferBy: bridge` trunk's transfers, carried out as live forwards (forwarding/live.ts). */
  private bridgeTransfer: BridgeTransfer | undefined;

  constructor(private readonly options: CallControllerOptions) {
    const { config, stack, media, logger } = options;
    this.events = new CallEvents((err, event) => this.subscriberFailed(err, event));
    countCallEvents(this.events, this.stats);
    this.inDialog = new InDialogHandler(this, { stack, userAgent: config.sip.userAgent, logger });
    this.inbound = new InboundSide({
      config, host: this, registry: this.registry, events: this.events, media, stack, hops: options.hops, authStats: this.stats.auth, logger,
      ...options.routing, draining: options.draining, forwarding: () => this.forwarding,
    });
    const host = {
      buildRequest: this.inDialog.buildRequest.bind(this.inDialog),
      sendRequest: stack.sendRequest.bind(stack),
      hangup: this.hangup.bind(this),
      tellAgent: media.tellAgent.bind(media),
    };
    this.transfers = new CallTransfers({
      host, domain: config.sip.transferDomain, logger, destinations: transferDestinations(config), stats: this.stats, events: this.events,
      bridge: (call, destination) => this.bridgeTransfer?.(call, destination),
    });
    this.control = new CallControl(this.registry, this);
  }

  /** Forwarding (forwarding/): `forward:` numbers' people, and transfers carried out as bridges. */
  setForwarding(forwarding: InboundForwarding, bridgeTransfer?: BridgeTransfer): void {
    this.forwarding = forwarding;
    this.bridgeTransfer = bridgeTransfer;
  }

  /** A subscriber's failure: logged with its call; counted in `teardownErrors` when it was part of a call's end. */
  private subscriberFailed(err: unknown, event: CallEvent): void {
    const callId = 'call' in event ? event.call?.id : event.callId;
    if (event.type === 'ended' || event.type === 'media-ended') this.stats.teardownErrors++;
    this.options.logger.error({ err, callId, event: event.type }, 'call event subscriber failed (the call went on)');
  }

  get activeCalls(): number {
    return this.registry.size;
  }

  findCall(req: SipRequest): Call | undefined {
    const key = requestDialogKey(req);
    return key === undefined ? undefined : this.registry.byDialog(key);
  }

  /**
   * Entry point for every new server transaction. Outside a dialog (no To tag) everything but an initial INVITE is
   * answered statelessly: OPTIONS probes and refusals (405, 501, 420) keep nothing, however many arrive.
   */
  handleRequest(tx: ServerTransaction): void {
    const req = tx.request;
    const stateless = hasToTag(req) ? {} : { stateless: true, toTag: randomToken(8) };
    try {
      this.checkRequire(req); // the stack has already validated the request's syntax and mandatory headers
      // A sips: Request-URI must have come over TLS (sips-policy.ts: 416 without a TLS listener, else 480).
      const sips = hasToTag(req) ? undefined : sipsRefusal(req.uri, tx.remote.transport, this.options.config.sip.tls !== undefined);
      if (sips !== undefined) throw sips;
      const method = req.method;
      if (method === 'OPTIONS') {
        // A draining gateway answers probes 503 (a dispatcher or proxy marks it down); not logged per probe.
        const draining = stateless.stateless === true && this.options.draining?.() === true;
        if (!draining) return this.respond(tx, 200, { headers: this.capabilityHeaders(), ...stateless });
        const refusal = gatewayDraining(this.options.config.drain.retryAfterS);
        return this.respond(tx, refusal.status, { reason: refusal.reason, headers: [...this.capabilityHeaders(), ...refusal.headers], ...stateless });
      }
      if (method === 'INVITE' && this.findCall(req) === undefined && !hasToTag(req)) {
        void this.inbound.invite(tx);
        return;
      }
      if (method === 'INVITE' || method === 'BYE' || method === 'INFO' || method === 'NOTIFY') return this.inDialog.handle(tx);
      if (method === 'ACK' || method === 'CANCEL') return; // the stack routes these; a stray one needs no answer
      if (KNOWN_UNSUPPORTED.has(method)) {
        return this.respond(tx, 405, { headers: [{ name: 'Allow', value: ALLOWED_METHODS.join(', ') }], ...stateless });
      }
      this.respond(tx, 501, { reason: `Not Implemented - ${method.slice(0, 32)}`, ...stateless });
    } catch (err) {
      this.respondError(tx, err, stateless.toTag, stateless.stateless);
    }
  }

  /** ACK for a 2xx: confirms an answer (and carries the SDP answer for a late offer). */
  handleAck(ack: SipRequest): void {
    const call = this.findCall(ack);
    if (!call) return;
    this.inDialog.ack(call, ack);
  }

  private checkRequire(req: SipRequest): void {
    const require = getHeader(req, 'require');
    if (require === undefined || req.method === 'ACK' || req.method === 'CANCEL') return;
    const unsupported = require.split(',').map((t) => t.trim()).filter((t) => t !== '' && !SUPPORTED_EXTENSIONS.has(t));
    if (unsupported.length > 0) {
      throw new CallRejection(420, 'Bad Extension', [{ name: 'Unsupported', value: unsupported.join(', ') }], 'SIP_BAD_EXTENSION');
    }
  }

  /** Starts resending `ok` until the ACK for INVITE CSeq `cseq` arrives; without one, the call ends with BYE. */
  expectAck(call: Call, ok: SipResponse, cseq: number): void {
    const { timers } = this.options.config.sip;
    call.pendingAnswer?.retransmitter.stop();
    const retransmitter = new AnswerRetransmitter({
      t1Ms: timers.t1Ms,
      t2Ms: timers.t2Ms,
      reliable: isReliable(call.remote.transport),
      resend: () => this.options.stack.sendStateless(ok, call.remote),
      onAckTimeout: () => {
        call.pendingAnswer = undefined;
        this.options.logger.warn({ callId: call.id }, 'no ACK for 2xx; ending call');
        this.hangup(call, 'no-ack');
      },
    });
    call.pendingAnswer = { cseq, retransmitter };
  }

  /** Ends a call from our side: BYE when a dialog exists, then release (whether or not the BYE could go). Idempotent. */
  hangup(call: Call, reason: EndReason): void {
    if (call.state === 'ended') return;
    try {
      const dialog = call.dialog;
      if (dialog) {
        const bye = this.inDialog.buildRequest(call, 'BYE', [{ name: 'Reason', value: byeReasonHeader(reason) }]);
        const tx = this.options.stack.sendRequest(bye, dialog.peer);
        tx.response.catch((err: unknown) => this.options.logger.warn({ err, callId: call.id }, 'BYE failed'));
      }
    } catch (err) {
      this.options.logger.error({ err, callId: call.id, reason }, 'sending BYE failed');
    } finally {
      this.endCall(call, reason);
    }
  }

  /**
   * The one place a call ends. Stops its 2xx retransmission, forgets its transfer, closes its media (ports, agent,
   * RTP) and frees its slot, then tells the event stream (`transferred`, `ended`). Total: every step runs whatever
   * another throws, each failure is logged with the call id and counted (`teardownErrors`), the slot is freed in a
   * finally, and nothing is thrown to the caller (a SIP handler, a timer, an agent's socket). Idempotent.
   */
  endCall(call: Call, reason: EndReason): void {
    if (call.state === 'ended') return;
    call.state = 'ended';
    call.endReason = reason;
    call.times.endedAt = epochNow();
    const teardown = new Teardown();
    try {
      teardown.step('answer-retransmitter', () => call.pendingAnswer?.retransmitter.stop());
      call.pendingAnswer = undefined;
      teardown.step('transfer', () => this.transfers.ended(call));
      teardown.step('media', () => this.options.media.close(call.id, reason));
    } finally {
      this.registry.remove(call);
      teardown.step('log', () => this.options.logger.info({ callId: call.id, reason, durationMs: Math.round(performance.now() - call.createdAtMs) }, 'call ended'));
      teardown.step('events', () => this.emitEnd(call, reason));
      this.reportTeardown(call, teardown);
    }
  }

  private emitEnd(call: Call, reason: EndReason): void {
    if (reason === 'transferred') this.events.emit({ type: 'transferred', call });
    const { createdAt, ringingAt, answeredAt, endedAt } = call.times;
    const end = endedAt ?? epochNow();
    const durations = {
      totalMs: Math.round(end - createdAt),
      ringMs: ringingAt === undefined ? undefined : Math.round((answeredAt ?? end) - ringingAt),
      talkMs: answeredAt === undefined ? undefined : Math.round(end - answeredAt),
    };
    const disposition = dispositionOf(reason, answeredAt !== undefined);
    this.events.emit({ type: 'ended', call, reason, sipStatus: call.sipStatus, disposition, durations });
  }

  private reportTeardown(call: Call, teardown: Teardown): void {
    for (const { step, error } of teardown.failures) {
      this.stats.teardownErrors++;
      try {
        this.options.logger.error({ err: error, callId: call.id, step }, 'call teardown step failed (the rest of the release went on)');
      } catch {
        // a logger that throws cannot report itself; the count above still says it happened
      }
    }
  }

  /** Starts the call's media once the codec is known (at answer, or at the ACK of a late offer). */
  startMedia(call: Call): void {
    const negotiated = call.sdp?.negotiated;
    if (negotiated && call.state !== 'ended') this.options.media.start(call.id, negotiated);
  }

  /** After a re-INVITE (or the ACK answering our re-offer): the media follows the new session. */
  updateMedia(call: Call): void {
    const negotiated = call.sdp?.negotiated;
    if (negotiated && call.state !== 'ended') this.options.media.update(call.id, negotiated);
  }

  /** The ACK of the initial 2xx arrived: a transfer asked for before goes out now. */
  confirmed(call: Call): void {
    this.events.emit({ type: 'confirmed', call });
    this.transfers.confirmed(call);
  }

  /** SIP INFO inside the call: DTMF relay. */
  infoDtmf(call: Call, req: SipRequest): void {
    const dtmf = parseDtmfInfo(getHeader(req, 'content-type'), req.body.toString('utf8'));
    if (dtmf) this.options.media.dtmf(call.id, dtmf.digit, dtmf.durationMs);
  }

  /** The media plane asks to end a call (agent hangup, agent gone, RTP timeout, a failed worker). */
  mediaHangup(callId: string, reason: EndReason): void {
    const call = this.registry.live(callId);
    if (call) this.hangup(call, reason);
  }

  /** The call's agent failed mid-call beyond recovery (agent-failover/): onto the event stream, for the chain to move on. */
  mediaAgentFailed(callId: string, cause: string): void {
    const call = this.registry.live(callId);
    if (call) this.events.emit({ type: 'agent-failed', call, cause });
  }

  /** The agent's warm-transfer command, onto the event stream (forwarding/warm.ts carries it out). */
  mediaWarmTransfer(callId: string, msg: WarmTransferCommand): void {
    const call = this.registry.live(callId);
    if (call) this.events.emit({ type: 'warm-transfer', call, msg });
  }

  /** The call's media closed: its barge-in outcomes and quality, onto the event stream. */
  mediaEnded(callId: string, pattern: string, bargeIn: BargeInStats, quality: CallQuality | undefined): void {
    this.events.emit({ type: 'media-ended', callId, pattern, bargeIn, quality });
  }

  /** A turn or barge-in the media timed, onto the event stream. */
  mediaTrace(callId: string, event: MediaTraceEvent): void {
    this.events.emit({ type: 'media-trace', callId, event });
  }

  /** An entry of the call's media timeline (turn, barge-in, mark, DTMF, transcript, stage, error), onto the event stream. */
  mediaTimeline(callId: string, event: MediaTimelineEvent): void {
    this.events.emit({ type: 'media-timeline', callId, event });
  }

  /** The agent asked to transfer the caller (its `transfer` command). */
  mediaTransfer(callId: string, target: string): void {
    const call = this.registry.live(callId);
    if (call) this.transfers.request(call, target); // else the call has ended, and its agent with it
  }

  /** The API asked to transfer the call (the same destination policy as the agent's). */
  transfer(call: Call, target: string): TransferStart {
    return this.transfers.request(call, target, false);
  }

  /** While draining, the API's new calls are refused with this Retry-After (control.ts GATEWAY_DRAINING). */
  drainRetryAfterS(): number | undefined {
    return this.options.draining?.() === true ? this.options.config.drain.retryAfterS : undefined;
  }

  /** The API asked to send DTMF to the other party. */
  sendDtmf(call: Call, digits: string, durationMs: number): void {
    this.options.media.sendDtmf(call.id, digits, durationMs);
  }

  /** Hangs up every call (shutdown). */
  hangupAll(reason: EndReason): void {
    for (const call of this.registry.liveCalls()) {
      if (call.dialog) this.hangup(call, reason);
      else this.endCall(call, reason);
    }
  }

  /** `stateless`: sent once outside the transaction (ServerTransaction.respondStateless). */
  respond(tx: ServerTransaction, status: number, opts: { reason?: string; toTag?: string; headers?: SipHeader[]; body?: Buffer; contentType?: string; stateless?: boolean } = {}): void {
    const { stateless, ...rest } = opts;
    const res = createResponse(tx.request, status, { ...rest, headers: [...this.commonHeaders(), ...(opts.headers ?? [])] });
    if (stateless === true) tx.respondStateless(res);
    else tx.respond(res);
  }

  /** Answers a failure with its SIP status (sip-answers.ts; 500 for anything that is no refusal); returns the status sent. */
  respondError(tx: ServerTransaction, err: unknown, toTag?: string, stateless = false): number {
    const known = sipAnswerOf(err);
    const answer = known ?? INTERNAL_ERROR;
    this.stats.rejected[String(answer.status)] = (this.stats.rejected[String(answer.status)] ?? 0) + 1;
    if (known) this.options.logger.info({ status: known.status, reason: known.reason, code: known.code, method: tx.request.method }, 'request refused');
    else this.options.logger.error({ err, method: tx.request.method }, 'request failed');
    this.respond(tx, answer.status, { reason: answer.reason, headers: [...answer.headers], stateless, ...(toTag ? { toTag } : {}) });
    return answer.status;
  }

  /**
   * Our Contact towards `tx.remote`. Over TLS it names our TLS port, and answering a `sips:` request it is a
   * `sips:` URI (RFC 5630 §4.1: a SIPS dialog's Contact is SIPS), as it is in the requests we send in a dialog
   * whose remote target is `sips:` (`sips`); else `sip:` with `;transport=tcp|tls`.
   */
  contactHeader(tx: { remote: RemoteInfo; request?: SipRequest; sips?: boolean }): SipHeader {
    const local = this.options.stack.localAddressFor(tx.remote);
    const host = this.options.config.sip.publicAddress ?? local.address;
    const secure = isSecure(tx.remote.transport);
    const port = secure ? local.port : this.options.sipPort;
    const hp = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    if (secure && (tx.sips === true || (tx.request !== undefined && /^sips:/i.test(tx.request.uri)))) return { name: 'Contact', value: `<sips:patchbay@${hp}>` };
    const transport = uriTransportParam(tx.remote.transport);
    return { name: 'Contact', value: `<sip:patchbay@${hp}${transport}>` };
  }

  capabilityHeaders(): SipHeader[] {
    return [
      { name: 'Allow', value: ALLOWED_METHODS.join(', ') },
      { name: 'Accept', value: 'application/sdp, application/dtmf-relay, application/dtmf' },
    ];
  }

  private commonHeaders(): SipHeader[] {
    return [{ name: 'Server', value: this.options.config.sip.userAgent }];
  }
}

/** Whether the To header carries a tag (an in-dialog request), read with the parser's own name-addr rules. */
function hasToTag(req: SipRequest): boolean {
  try {
    return parseNameAddr(getHeader(req, 'to') ?? '').tag !== undefined;
  } catch {
    return false; // the stack validated To already; an unreadable one cannot name a dialog
  }
}
