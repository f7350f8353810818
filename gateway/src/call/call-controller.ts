/**
 * The transaction user: turns server transactions into calls. Initial INVITEs go through admission, media port
 * allocation and offer/answer; requests inside a dialog (ACK, BYE, re-INVITE, INFO, NOTIFY) find their call by dialog
 * id; agents' transfers go out as REFER (call-transfer.ts). Every failure maps to a SIP status naming its cause;
 * nothing here throws into the stack.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { parseDtmfInfo } from '../media/dtmf/sip-info.js';
import type { HopMetrics } from '../metrics/hop-metrics.js';
import { PortPoolExhaustedError } from '../media/port-pool.js';
import type { MediaPlane } from '../media-plane/plane.js';
import { SipError } from '../sip/errors.js';
import { getHeader, type SipHeader, type SipRequest, type SipResponse } from '../sip/message.js';
import { parseCSeq, parseNameAddr } from '../sip/headers.js';
import { createResponse, randomToken } from '../sip/response.js';
import type { ServerTransaction, SipStack } from '../sip/stack.js';
import { createUasDialog, dialogKey, requestDialogKey } from '../sip/dialog.js';
import { CallAdmission, CallRejection, type Admission } from './admission.js';
import { requireSdpAccepted } from './accepts-sdp.js';
import { AnswerRetransmitter } from './answer-retransmitter.js';
import type { Call, EndReason } from './call.js';
import { NO_OBSERVER, type CallObserver } from './call-observer.js';
import { newCallStats, type CallStats } from './call-stats.js';
import { CallTransfers, transferDestinations } from './call-transfer.js';
import { InDialogHandler } from './in-dialog.js';
import { sdpBody } from './sdp-body.js';
import { SdpSession } from './sdp-session.js';
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
  /** Told of each call's admission, agent dialling, INVITE outcome and end (traces, metrics). */
  observer?: CallObserver;
}

export class CallController {
  /** Calls by dialog key (Call-ID, our tag, their tag), from admission on. */
  private readonly calls = new Map<string, Call>();
  /** The same calls by our call id (the media plane's events name calls by id). */
  private readonly byId = new Map<string, Call>();
  private readonly admission: CallAdmission;
  private readonly inDialog: InDialogHandler;
  readonly transfers: CallTransfers;
  private live = 0;
  readonly stats: CallStats = newCallStats();
  readonly observer: CallObserver;

  constructor(private readonly options: CallControllerOptions) {
    this.observer = options.observer ?? NO_OBSERVER;
    this.admission = new CallAdmission({ config: options.config, activeCalls: () => this.live, stats: this.stats.auth, logger: options.logger });
    this.inDialog = new InDialogHandler(this, options);
    const host = {
      buildRequest: this.inDialog.buildRequest.bind(this.inDialog),
      sendRequest: options.stack.sendRequest.bind(options.stack),
      hangup: this.hangup.bind(this),
      tellAgent: options.media.tellAgent.bind(options.media),
    };
    this.transfers = new CallTransfers({ host, domain: options.config.sip.transferDomain, logger: options.logger, destinations: transferDestinations(options.config), stats: this.stats });
  }

  get activeCalls(): number {
    return this.live;
  }

  findCall(req: SipRequest): Call | undefined {
    const key = requestDialogKey(req);
    return key === undefined ? undefined : this.calls.get(key);
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
      const method = req.method;
      if (method === 'OPTIONS') return this.respond(tx, 200, { headers: this.capabilityHeaders(tx), ...stateless });
      if (method === 'INVITE' && this.findCall(req) === undefined && !hasToTag(req)) {
        void this.handleInitialInvite(tx);
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

  /**
   * Admission, or its refusal (401/403/404/503) sent statelessly: one datagram, no retransmission, no state, so a
   * spoofed INVITE cannot turn the gateway into an amplifier; a retransmitted INVITE is refused again (1:1).
   */
  private admit(tx: ServerTransaction): Admission | undefined {
    try {
      return this.admission.admit(tx.request, tx.remote.address);
    } catch (err) {
      this.observer.inviteFailed(undefined, this.respondError(tx, err, randomToken(8), true));
      return undefined;
    }
  }

  private async handleInitialInvite(tx: ServerTransaction): Promise<void> {
    const req = tx.request;
    const { config, logger } = this.options;
    let call: Call | undefined;
    try {
      const admission = this.admit(tx);
      if (admission === undefined) return; // refused, statelessly
      requireSdpAccepted(req); // RFC 4475 sdp01: our answer is SDP; an Accept without it gets 406
      const localTag = randomToken(8);
      const sipCallId = getHeader(req, 'call-id') ?? '';
      const key = dialogKey(sipCallId, localTag, parseNameAddr(getHeader(req, 'from') ?? '').tag ?? '');
      const c: Call = {
        id: randomUUID(),
        sipCallId,
        localTag,
        key,
        admission,
        remote: tx.remote,
        createdAtMs: performance.now(),
        state: 'admitted',
        rtpPort: undefined,
        sdp: undefined,
        dialog: undefined,
        pendingAnswer: undefined,
        endReason: undefined,
      };
      call = c;
      this.calls.set(key, c);
      this.byId.set(c.id, c);
      this.live++;
      this.stats.callsStarted++;
      const log = logger.child({ callId: c.id, sipCallId });
      log.info({ number: admission.number, from: admission.from, pattern: admission.pattern, trunk: admission.trunk }, 'call admitted');
      this.observer.admitted(c);
      tx.onCancel = () => {
        if (c.state !== 'admitted' && c.state !== 'ringing') return;
        try {
          this.respond(tx, 487, { toTag: localTag });
          this.observer.inviteFailed(c, 487);
        } catch (err) {
          log.error({ err }, 'answering CANCEL failed');
        } finally {
          this.endCall(c, 'cancelled');
        }
      };

      const media = this.options.media;
      const { rtpPort } = await media.open({ callId: c.id, from: admission.from, number: admission.number, pattern: admission.pattern, route: admission.route, signallingAddress: tx.remote.address });
      c.rtpPort = rtpPort;
      if (isEnded(c)) {
        media.close(c.id, c.endReason ?? 'cancelled'); // cancelled while we were binding ports
        return;
      }
      const session = new SdpSession({
        address: this.advertisedAddress(tx),
        port: rtpPort,
        codecs: config.trunks.find((t) => t.name === admission.trunk)?.codecs ?? config.media.codecs,
        ptimeMs: config.media.ptimeMs,
      });
      c.sdp = session;
      const body = req.body.length > 0 ? session.answer(sdpBody(req)) : session.offer();
      await this.observer.agentConnect(c, media.connect(c.id)); // before answering: an unreachable agent can still be refused
      if (isEnded(c)) return;

      const ringing = admission.route.ringing ?? config.sip.ringing;
      const delayMs = admission.route.answerDelayMs ?? config.sip.answerDelayMs;
      if (ringing) {
        c.state = 'ringing';
        this.respond(tx, 180, { toTag: localTag, headers: [this.contactHeader(tx)] });
      }
      if (delayMs > 0) await delay(delayMs);
      if (isEnded(c)) return; // cancelled while ringing
      this.answer(c, tx, body);
      log.info({ codec: session.negotiated?.codec.name, lateOffer: session.awaitingAnswer }, 'call answered');
    } catch (err) {
      let refusal = err;
      if (err instanceof PortPoolExhaustedError) {
        logger.error({ err }, 'media ports exhausted');
        refusal = new CallRejection(503, 'Service Unavailable - no media ports', [{ name: 'Retry-After', value: String(config.sip.retryAfterSeconds) }]);
      }
      // The refusal goes out (and is observed with its status) before the call's end releases its media. Nothing
      // here may throw out of this floating promise; an answered call (its dialog exists) is ended with a BYE.
      try {
        this.observer.inviteFailed(call, this.respondError(tx, refusal, refusal === err ? call?.localTag : undefined));
      } catch (failure) {
        logger.error({ err: failure, callId: call?.id }, 'refusing the INVITE failed');
      } finally {
        if (call && call.state !== 'ended') {
          if (call.dialog) this.hangup(call, 'error');
          else this.endCall(call, 'error');
        }
      }
    }
  }

  private answer(call: Call, tx: ServerTransaction, sdp: string): void {
    const ok = createResponse(tx.request, 200, {
      toTag: call.localTag,
      headers: [this.contactHeader(tx), ...this.capabilityHeaders(tx)],
      body: Buffer.from(sdp),
      contentType: 'application/sdp',
    });
    call.dialog = createUasDialog(tx.request, call.localTag, tx.remote);
    call.state = 'answered';
    this.stats.callsAnswered++;
    tx.respond(ok);
    this.options.media.answered(call.id); // RTP already flowing to the call's ports is not the caller's
    this.options.hops.setupMs.record(performance.now() - call.createdAtMs);
    this.expectAck(call, ok, parseCSeq(getHeader(tx.request, 'cseq') ?? '').seq);
    this.startMedia(call); // a late offer starts at the ACK, when the codec is known
  }

  /** Starts resending `ok` until the ACK for INVITE CSeq `cseq` arrives; without one, the call ends with BYE. */
  expectAck(call: Call, ok: SipResponse, cseq: number): void {
    const { timers } = this.options.config.sip;
    call.pendingAnswer?.retransmitter.stop();
    const retransmitter = new AnswerRetransmitter({
      t1Ms: timers.t1Ms,
      t2Ms: timers.t2Ms,
      reliable: call.remote.transport !== 'udp',
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
        const bye = this.inDialog.buildRequest(call, 'BYE', [{ name: 'Reason', value: `SIP;cause=200;text="${reason}"` }]);
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
   * RTP) and frees its slot, then tells the observer. Total: every step runs whatever another throws, each failure
   * is logged with the call id and counted (`teardownErrors`), the slot is freed in a finally, and nothing is
   * thrown to the caller (a SIP handler, a timer, an agent's socket). Idempotent.
   */
  endCall(call: Call, reason: EndReason): void {
    if (call.state === 'ended') return;
    call.state = 'ended';
    call.endReason = reason;
    const teardown = new Teardown();
    try {
      teardown.step('answer-retransmitter', () => call.pendingAnswer?.retransmitter.stop());
      call.pendingAnswer = undefined;
      teardown.step('transfer', () => this.transfers.ended(call));
      teardown.step('media', () => this.options.media.close(call.id, reason));
    } finally {
      this.calls.delete(call.key);
      this.byId.delete(call.id);
      this.live--;
      this.stats.callsEnded++;
      this.stats.endReasons[reason] = (this.stats.endReasons[reason] ?? 0) + 1;
      teardown.step('log', () => this.options.logger.info({ callId: call.id, reason, durationMs: Math.round(performance.now() - call.createdAtMs) }, 'call ended'));
      teardown.step('observer', () => this.observer.ended(call));
      this.reportTeardown(call, teardown);
    }
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

  /** SIP INFO inside the call: DTMF relay. */
  infoDtmf(call: Call, req: SipRequest): void {
    const dtmf = parseDtmfInfo(getHeader(req, 'content-type'), req.body.toString('utf8'));
    if (dtmf) this.options.media.dtmf(call.id, dtmf.digit, dtmf.durationMs);
  }

  /** The media plane asks to end a call (agent hangup, agent gone, RTP timeout, a failed worker). */
  mediaHangup(callId: string, reason: EndReason): void {
    const call = this.byId.get(callId);
    if (call) this.hangup(call, reason);
  }

  /** The agent asked to transfer the caller (its `transfer` command). */
  mediaTransfer(callId: string, target: string): void {
    const call = this.byId.get(callId);
    if (call) this.transfers.request(call, target); // else the call has ended, and its agent with it
  }

  /** Hangs up every call (shutdown). */
  hangupAll(reason: EndReason): void {
    for (const call of [...this.calls.values()]) {
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

  /** Answers a failure with its SIP status (500 for anything that is not a SipError); returns the status sent. */
  respondError(tx: ServerTransaction, err: unknown, toTag?: string, stateless = false): number {
    if (err instanceof SipError) {
      this.stats.rejected[String(err.status)] = (this.stats.rejected[String(err.status)] ?? 0) + 1;
      const headers = err instanceof CallRejection ? [...err.headers] : [];
      if (err.status === 488) headers.push({ name: 'Warning', value: `304 patchbay "${err.reason.replace(/"/g, "'")}"` });
      this.options.logger.info({ status: err.status, reason: err.reason, code: err.code, method: tx.request.method }, 'request refused');
      this.respond(tx, err.status, { reason: err.reason, headers, stateless, ...(toTag ? { toTag } : {}) });
      return err.status;
    }
    this.stats.rejected['500'] = (this.stats.rejected['500'] ?? 0) + 1;
    this.options.logger.error({ err, method: tx.request.method }, 'request failed');
    this.respond(tx, 500, { reason: 'Server Internal Error', stateless, ...(toTag ? { toTag } : {}) });
    return 500;
  }

  contactHeader(tx: { remote: ServerTransaction['remote'] }): SipHeader {
    const local = this.options.stack.localAddressFor(tx.remote);
    const host = this.options.config.sip.publicAddress ?? local.address;
    const hp = host.includes(':') ? `[${host}]:${this.options.sipPort}` : `${host}:${this.options.sipPort}`;
    const transport = tx.remote.transport === 'tcp' ? ';transport=tcp' : '';
    return { name: 'Contact', value: `<sip:patchbay@${hp}${transport}>` };
  }

  private advertisedAddress(tx: ServerTransaction): string {
    return this.options.config.sip.publicAddress ?? this.options.stack.localAddressFor(tx.remote).address;
  }

  private capabilityHeaders(_tx: ServerTransaction): SipHeader[] {
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

/** Read through a function so TypeScript does not keep a narrowing across an await. */
function isEnded(call: Call): boolean {
  return call.state === 'ended';
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

