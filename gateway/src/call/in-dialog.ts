/**
 * Requests inside an established dialog: BYE, re-INVITE (hold, resume, session refresh, late offer), INFO, NOTIFY
 * (progress of a transfer we asked for with REFER), and the ACK that confirms a 2xx. Unknown dialogs get 481;
 * out-of-order CSeqs 500.
 */
import { acceptRemoteCSeq, createInDialogRequest, firstContactUri } from '../sip/dialog.js';
import { parseCSeq } from '../sip/headers.js';
import { getHeader, type SipHeader, type SipRequest, type SipResponse } from '../sip/message.js';
import { createResponse } from '../sip/response.js';
import type { RemoteInfo, ServerTransaction, SipStack } from '../sip/stack.js';
import type { Logger } from 'pino';
import { CallRejection } from './admission.js';
import type { Call, EndReason } from './call.js';
import type { CallTransfers } from './call-transfer.js';
import { sdpBody } from './sdp-body.js';

/** What requests inside a dialog need from the call core (CallController implements it). */
export interface InDialogHost {
  findCall(req: SipRequest): Call | undefined;
  respond(tx: ServerTransaction, status: number): void;
  /** Answers a failure with its SIP status; returns the status sent. */
  respondError(tx: ServerTransaction, err: unknown): number;
  endCall(call: Call, reason: EndReason): void;
  hangup(call: Call, reason: EndReason): void;
  contactHeader(tx: { remote: RemoteInfo; sips?: boolean }): SipHeader;
  /** Resends `ok` until the ACK for INVITE CSeq `cseq`. */
  expectAck(call: Call, ok: SipResponse, cseq: number): void;
  updateMedia(call: Call): void;
  /** SIP INFO: DTMF relay to the agent. */
  infoDtmf(call: Call, req: SipRequest): void;
  /** The ACK of the initial 2xx arrived (the dialog is confirmed). */
  confirmed(call: Call): void;
  readonly transfers: Pick<CallTransfers, 'byeReason' | 'check' | 'progress'>;
}

export interface InDialogOptions {
  stack: Pick<SipStack, 'localAddressFor'>;
  userAgent: string;
  logger: Logger;
}

export class InDialogHandler {
  constructor(
    private readonly host: InDialogHost,
    private readonly options: InDialogOptions,
  ) {}

  handle(tx: ServerTransaction): void {
    const call = this.host.findCall(tx.request);
    if (!call || !call.dialog || call.state === 'ended') {
      this.host.respondError(tx, new CallRejection(481, 'Call/Transaction Does Not Exist', [], 'SIP_NO_DIALOG'));
      return;
    }
    try {
      switch (tx.request.method) {
        case 'BYE':
          acceptRemoteCSeq(call.dialog, tx.request);
          this.host.respond(tx, 200);
          this.host.endCall(call, this.host.transfers.byeReason(call));
          return;
        case 'INFO':
          acceptRemoteCSeq(call.dialog, tx.request);
          this.host.respond(tx, 200);
          this.host.infoDtmf(call, tx.request);
          return;
        case 'INVITE':
          this.reInvite(call, tx);
          return;
        case 'NOTIFY': {
          acceptRemoteCSeq(call.dialog, tx.request);
          const notify = this.host.transfers.check(call, tx.request);
          this.host.respond(tx, 200);
          this.host.transfers.progress(call, notify);
          return;
        }
        default:
          this.host.respondError(tx, new CallRejection(405, 'Method Not Allowed', [], 'SIP_METHOD'));
      }
    } catch (err) {
      this.host.respondError(tx, err);
    }
  }

  private reInvite(call: Call, tx: ServerTransaction): void {
    const dialog = call.dialog;
    const sdp = call.sdp;
    if (!dialog || !sdp) throw new CallRejection(481, 'Call/Transaction Does Not Exist', [], 'SIP_NO_DIALOG');
    if (call.pendingAnswer) {
      // RFC 3261 §14.2: an INVITE while our previous 2xx awaits its ACK.
      throw new CallRejection(500, 'Server Internal Error - previous INVITE not yet acknowledged', [
        { name: 'Retry-After', value: String(1 + Math.floor(Math.random() * 5)) },
      ], 'SIP_INVITE_PENDING');
    }
    acceptRemoteCSeq(dialog, tx.request);
    const body = tx.request.body.length > 0 ? sdp.answer(sdpBody(tx.request)) : sdp.offer();
    const contact = firstContactUri(tx.request);
    if (contact !== undefined) dialog.remoteTarget = contact; // target refresh
    const ok = createResponse(tx.request, 200, {
      headers: [this.host.contactHeader(tx), { name: 'Server', value: this.options.userAgent }],
      body: Buffer.from(body),
      contentType: 'application/sdp',
    });
    tx.respond(ok);
    this.host.expectAck(call, ok, parseCSeq(getHeader(tx.request, 'cseq') ?? '').seq);
    if (!sdp.awaitingAnswer) this.host.updateMedia(call);
    this.options.logger.info({ callId: call.id, onHold: sdp.negotiated?.onHold, direction: sdp.negotiated?.direction }, 're-INVITE answered');
  }

  ack(call: Call, ack: SipRequest): void {
    const pending = call.pendingAnswer;
    const cseq = parseCSeq(getHeader(ack, 'cseq') ?? '0 ACK').seq;
    if (!pending || pending.cseq !== cseq) return; // a retransmitted or stray ACK
    pending.retransmitter.stop();
    call.pendingAnswer = undefined;
    if (call.state === 'answered') {
      call.state = 'confirmed';
      this.host.confirmed(call);
    }
    const sdp = call.sdp;
    if (!sdp?.awaitingAnswer) return;
    try {
      if (ack.body.length === 0) throw new Error('ACK carries no SDP answer to our offer');
      sdp.acceptAnswer(sdpBody(ack));
      this.host.updateMedia(call);
    } catch (err) {
      this.options.logger.warn({ err, callId: call.id }, 'unusable SDP answer in ACK; ending call');
      this.host.hangup(call, 'bad-answer');
    }
  }

  buildRequest(call: Call, method: string, headers: SipHeader[] = []): SipRequest {
    const dialog = call.dialog;
    if (!dialog) throw new Error(`cannot send ${method} outside a dialog`);
    const local = this.options.stack.localAddressFor(dialog.peer);
    return createInDialogRequest(dialog, {
      method,
      via: { transport: dialog.peer.transport, host: local.address, port: local.port },
      contact: this.host.contactHeader({ remote: dialog.peer, sips: /^sips:/i.test(dialog.remoteTarget) }).value,
      userAgent: this.options.userAgent,
      headers,
    });
  }
}
