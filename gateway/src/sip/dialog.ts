/**
 * SIP dialogs, UAS and UAC sides (RFC 3261 §12). A dialog is identified by Call-ID, local tag and remote tag; it carries the
 * remote target, the route set and both CSeq spaces, and builds the requests we send inside it (BYE, re-INVITE).
 */
import { parseCSeq, parseNameAddr, splitHeaderList } from './headers.js';
import { getHeader, getHeaders, type SipHeader, type SipMessage, type SipRequest, type SipResponse } from './message.js';
import { SipError } from './errors.js';
import { randomToken } from './response.js';
import type { RemoteInfo } from './transport/types.js';

/** Where the dialog's peer reached us: the transport layer's own address type. */
export type DialogTransport = RemoteInfo;

export interface Dialog {
  readonly callId: string;
  readonly localTag: string;
  readonly remoteTag: string;
  /** To of the initial INVITE (our identity), with our tag added. */
  readonly localNameAddr: string;
  /** From of the initial INVITE (the caller), as received. */
  readonly remoteNameAddr: string;
  /** Where in-dialog requests go: the remote Contact URI. Updated by target-refresh requests. */
  remoteTarget: string;
  /** Record-Route of the INVITE, in order (UAS keeps the order as received). */
  readonly routeSet: readonly string[];
  /** Highest CSeq seen from the remote side. */
  remoteSeq: number;
  /** Our CSeq counter for requests we send. */
  localSeq: number;
  /** The transport and address the caller reached us from, used for our requests when there is no route set. */
  readonly peer: DialogTransport;
}

/** The key under which a dialog is stored and found again: Call-ID, local (To) tag, remote (From) tag. */
export function dialogKey(callId: string, localTag: string, remoteTag: string): string {
  return `${callId}\u0000${localTag}\u0000${remoteTag}`;
}

/** The key an in-dialog request names (its To tag is ours, its From tag the peer's), or undefined without a To tag. */
export function requestDialogKey(req: SipRequest): string | undefined {
  const callId = getHeader(req, 'call-id');
  const to = getHeader(req, 'to');
  const from = getHeader(req, 'from');
  if (callId === undefined || to === undefined || from === undefined) return undefined;
  const toTag = parseNameAddr(to).tag;
  const fromTag = parseNameAddr(from).tag;
  if (toTag === undefined || fromTag === undefined) return undefined;
  return dialogKey(callId, toTag, fromTag);
}

/** Creates the UAS dialog for an initial INVITE that we answer with a 2xx carrying `localTag`. */
export function createUasDialog(invite: SipRequest, localTag: string, peer: DialogTransport): Dialog {
  const callId = getHeader(invite, 'call-id');
  const from = getHeader(invite, 'from');
  const to = getHeader(invite, 'to');
  const cseq = getHeader(invite, 'cseq');
  if (callId === undefined || from === undefined || to === undefined || cseq === undefined) {
    throw new SipError(400, 'Bad Request - INVITE lacks Call-ID, From, To or CSeq', { code: 'SIP_DIALOG_HEADERS' });
  }
  const remoteTag = parseNameAddr(from).tag ?? '';
  const contact = firstContactUri(invite);
  if (contact === undefined) {
    throw new SipError(400, 'Bad Request - Missing Contact', { code: 'SIP_MISSING_CONTACT' });
  }
  return {
    callId,
    localTag,
    remoteTag,
    localNameAddr: `${to};tag=${localTag}`,
    remoteNameAddr: from,
    remoteTarget: contact,
    routeSet: getHeaderList(invite, 'record-route'),
    remoteSeq: parseCSeq(cseq).seq,
    localSeq: Math.floor(Math.random() * 10_000) + 1,
    peer,
  };
}

/**
 * Creates the UAC dialog for our initial INVITE answered by the 2xx `ok` (RFC 3261 §12.1.2): the remote tag is the
 * To tag of the 2xx, the route set its Record-Route reversed, the remote target its Contact; our CSeq space goes on
 * from the INVITE's (the ACK reuses its number). `peer` is where our requests go (the trunk's proxy).
 */
export function createUacDialog(invite: SipRequest, ok: SipResponse, peer: DialogTransport): Dialog {
  const callId = getHeader(invite, 'call-id');
  const from = getHeader(invite, 'from');
  const to = getHeader(ok, 'to');
  const cseq = getHeader(invite, 'cseq');
  if (callId === undefined || from === undefined || to === undefined || cseq === undefined) {
    throw new SipError(400, 'Bad Request - 2xx lacks To, or our INVITE Call-ID, From or CSeq', { code: 'SIP_DIALOG_HEADERS' });
  }
  const localTag = parseNameAddr(from).tag;
  const remoteTag = parseNameAddr(to).tag;
  if (localTag === undefined || remoteTag === undefined) {
    throw new SipError(400, 'Bad Request - 2xx without a To tag', { code: 'SIP_DIALOG_HEADERS' });
  }
  const contact = firstContactUri(ok);
  if (contact === undefined) throw new SipError(400, 'Bad Request - Missing Contact', { code: 'SIP_MISSING_CONTACT' });
  return {
    callId,
    localTag,
    remoteTag,
    localNameAddr: from,
    remoteNameAddr: to,
    remoteTarget: contact,
    routeSet: getHeaderList(ok, 'record-route').reverse(),
    remoteSeq: 0,
    localSeq: parseCSeq(cseq).seq,
    peer,
  };
}

/** The URI of the first Contact, or undefined. */
export function firstContactUri(msg: SipMessage): string | undefined {
  const values = getHeaderList(msg, 'contact');
  const first = values[0];
  if (first === undefined || first.trim() === '*') return undefined;
  return parseNameAddr(first).uri;
}

/**
 * Checks the CSeq of an in-dialog request against the remote sequence (RFC 3261 §12.2.2): lower than the last
 * one seen is out of order (500). ACK and CANCEL reuse the INVITE's number and are not checked here.
 */
export function acceptRemoteCSeq(dialog: Dialog, req: SipRequest): void {
  const raw = getHeader(req, 'cseq');
  if (raw === undefined) throw new SipError(400, 'Bad Request - Missing CSeq', { code: 'SIP_MISSING_HEADER' });
  const { seq } = parseCSeq(raw);
  if (seq < dialog.remoteSeq) {
    throw new SipError(500, 'Server Internal Error - CSeq out of order', { code: 'SIP_CSEQ_ORDER' });
  }
  dialog.remoteSeq = seq;
}

export interface InDialogRequestOptions {
  method: string;
  via: { transport: string; host: string; port: number };
  contact: string;
  userAgent?: string;
  headers?: SipHeader[];
  body?: Buffer;
  contentType?: string;
  /** For ACK and CANCEL: reuse this CSeq number instead of taking the next one. */
  cseq?: number;
}

/** Builds a request inside the dialog (RFC 3261 §12.2.1.1): R-URI = remote target, Route = route set. */
export function createInDialogRequest(dialog: Dialog, options: InDialogRequestOptions): SipRequest {
  const seq = options.cseq ?? ++dialog.localSeq;
  const headers: SipHeader[] = [
    { name: 'Via', value: `SIP/2.0/${options.via.transport.toUpperCase()} ${hostPort(options.via.host, options.via.port)};branch=z9hG4bK${randomToken(12)};rport` },
    { name: 'Max-Forwards', value: '70' },
  ];
  for (const route of dialog.routeSet) headers.push({ name: 'Route', value: route });
  headers.push(
    { name: 'From', value: dialog.localNameAddr },
    { name: 'To', value: dialog.remoteNameAddr },
    { name: 'Call-ID', value: dialog.callId },
    { name: 'CSeq', value: `${seq} ${options.method}` },
    { name: 'Contact', value: options.contact },
  );
  if (options.userAgent) headers.push({ name: 'User-Agent', value: options.userAgent });
  if (options.headers) headers.push(...options.headers);
  const body = options.body ?? Buffer.alloc(0);
  if (body.length > 0) headers.push({ name: 'Content-Type', value: options.contentType ?? 'application/sdp' });
  headers.push({ name: 'Content-Length', value: String(body.length) });
  return { kind: 'request', method: options.method, uri: dialog.remoteTarget, headers, body };
}

export function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Every value of a list header (e.g. Record-Route, Contact) across all its lines, in order. */
export function getHeaderList(msg: SipMessage, name: string): string[] {
  return getHeaders(msg, name).flatMap((v) => splitHeaderList(v));
}
