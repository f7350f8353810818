/**
 * Requests inside an established dialog: BYE, re-INVITE (hold, resume, session refresh, late offer), INFO, NOTIFY
 * (progress of a transfer we asked for with REFER), and the ACK that confirms a 2xx. Unknown dialogs get 481;
 * out-of-order CSeqs 500.
 */
import { acceptRemoteCSeq, createInDialogRequest, firstContactUri } from '../sip/dialog.js';
import { parseCSeq } from '../sip/headers.js';
import { getHeader, type SipHeader, type SipRequest } from '../sip/message.js';
import { createResponse } from '../sip/response.js';
import type { ServerTransaction } from '../sip/stack.js';
import { CallRejection } from './admission.js';
import type { Call } from './call.js';
import type { CallController, CallControllerOptions } from './call-controller.js';
import { sdpBody } from './sdp-body.js';

export class InDialogHandler {
  constructor(
    private readonly controller: CallController,
    private readonly options: CallControllerOptions,
  ) {}

  handle(tx: ServerTransaction): void {
    const call = this.controller.findCall(tx.request);
    if (!call || !call.dialog || call.state === 'ended') {
      this.controller.respondError(tx, new CallRejection(481, 'Call/Transaction Does Not Exist', [], 'SIP_NO_DIALOG'));
      return;
    }
    try {
      switch (tx.request.method) {
        case 'BYE':
          acceptRemoteCSeq(call.dialog, tx.request);
          this.controller.respond(tx, 200);
          this.controller.endCall(call, this.controller.transfers.byeReason(call));
          return;
        case 'INFO':
          acceptRemoteCSeq(call.dialog, tx.request);
          this.controller.respond(tx, 200);
          this.controller.infoDtmf(call, tx.request);
          return;
        case 'INVITE':
          this.reInvite(call, tx);
          return;
        case 'NOTIFY': {
          acceptRemoteCSeq(call.dialog, tx.request);
          const notify = this.controller.transfers.check(call, tx.request);
          this.controller.respond(tx, 200);
          this.controller.transfers.progress(call, notify);
          return;
        }
        default:
          this.controller.respondError(tx, new CallRejection(405, 'Method Not Allowed', [], 'SIP_METHOD'));
      }
    } catch (err) {
      this.controller.respondError(tx, err);
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
      headers: [this.controller.contactHeader(tx), { name: 'Server', value: this.options.config.sip.userAgent }],
      body: Buffer.from(body),
      contentType: 'application/sdp',
    });
    tx.respond(ok);
    this.controller.expectAck(call, ok, parseCSeq(getHeader(tx.request, 'cseq') ?? '').seq);
    if (!sdp.awaitingAnswer) this.controller.updateMedia(call);
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
      this.controller.observer.confirmed(call);
      this.controller.transfers.confirmed(call);
    }
    const sdp = call.sdp;
    if (!sdp?.awaitingAnswer) return;
    try {
      if (ack.body.length === 0) throw new Error('ACK carries no SDP answer to our offer');
      sdp.acceptAnswer(sdpBody(ack));
      this.controller.updateMedia(call);
    } catch (err) {
      this.options.logger.warn({ err, callId: call.id }, 'unusable SDP answer in ACK; ending call');
      this.controller.hangup(call, 'bad-answer');
    }
  }

  buildRequest(call: Call, method: string, headers: SipHeader[] = []): SipRequest {
    const dialog = call.dialog;
    if (!dialog) throw new Error(`cannot send ${method} outside a dialog`);
    const local = this.options.stack.localAddressFor(dialog.peer);
    return createInDialogRequest(dialog, {
      method,
      via: { transport: dialog.peer.transport, host: local.address, port: local.port },
      contact: this.controller.contactHeader({ remote: dialog.peer }).value,
      userAgent: this.options.config.sip.userAgent,
      headers,
    });
  }
}
