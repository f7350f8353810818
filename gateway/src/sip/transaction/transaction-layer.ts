/**
 * The transaction layer (RFC 3261 §17): owns the live transactions, matches incoming messages to them, answers
 * CANCEL (§9.2), enforces the live-transaction cap, and hands new requests to the TU.
 *
 * What may create state: a request with a To tag claims a dialog (§12.2.2), and only the TU knows its dialogs, so
 * the layer asks it (`isDialog`) before creating a transaction. A claim that names no dialog (a scanner, a flood,
 * a dialog long gone) gets one stateless 481 and leaves nothing behind; a CANCEL matching no INVITE likewise. The
 * cap sheds new work only: requests inside a live dialog and CANCELs of a live INVITE are exempt, so calls can
 * always end; everything else counts against it.
 *
 * It knows nothing of sockets: it sends through two injected functions, so tests drive it with fake timers and an
 * in-memory "network".
 */
import type { Logger } from 'pino';
import { SipError } from '../errors.js';
import { getHeader, type SipMessage, type SipRequest, type SipResponse } from '../message.js';
import { validateRequest } from '../validate.js';
import { createResponse, randomToken } from '../response.js';
import { isReliable, type InboundContext, type RemoteInfo } from '../transport/types.js';
import { ClientInviteTransaction } from './client-invite.js';
import { synthesizeResponse } from './client-messages.js';
import { ClientNonInviteTransaction } from './client-non-invite.js';
import {
  clientTransactionKey,
  hasRfc3261Branch,
  legacyAckCandidates,
  serverTransactionKey,
  tagOf,
} from './matching.js';
import { ServerInviteTransaction } from './server-invite.js';
import { ServerNonInviteTransaction } from './server-non-invite.js';
import type { TimerSettings } from './timers.js';
import {
  SipTransactionStateError,
  type ClientTransaction,
  type ServerTransaction,
  type TransactionEnv,
} from './types.js';

export const DEFAULT_MAX_TRANSACTIONS = 20_000;

export interface TransactionLayerOptions {
  readonly timers: TimerSettings;
  readonly logger: Logger;
  readonly maxTransactions: number;
  /** Sends a response back towards the request's origin (RFC 3261 §18.2.2). */
  readonly sendResponse: (res: SipResponse, inbound: InboundContext) => Promise<void>;
  /** Sends a request (or ACK) to an explicit target. */
  readonly sendRequest: (msg: SipMessage, target: RemoteInfo) => Promise<void>;
}

type ServerTx = ServerInviteTransaction | ServerNonInviteTransaction;
type ClientTx = ClientInviteTransaction | ClientNonInviteTransaction;

export class TransactionLayer {
  /** A new request (not a retransmission, ACK or CANCEL). */
  onRequest?: (tx: ServerTransaction) => void;
  /** An ACK no transaction consumed: the ACK for a 2xx, which belongs to the dialog layer. */
  onAck?: (ack: SipRequest, remote: RemoteInfo) => void;
  /**
   * Asked (synchronously) before a request with a To tag gets a transaction: does it belong to a dialog the TU
   * carries? false: a stateless 481 and nothing kept. Unset: every such request is served, under the cap.
   */
  isDialog?: (req: SipRequest) => boolean;

  readonly counters = {
    retransmissionsAbsorbed: 0,
    rejected: 0,
    strayResponses: 0,
    overCapacity: 0,
    /** Requests with a To tag that named no dialog, and CANCELs that matched no INVITE: answered 481 statelessly. */
    unknownDialog: 0,
  };
  private readonly servers = new Map<string, ServerTx>();
  private readonly clients = new Map<string, ClientTx>();
  private closed = false;

  constructor(private readonly options: TransactionLayerOptions) {}

  /** Live transactions, server and client. */
  get size(): number {
    return this.servers.size + this.clients.size;
  }

  handleRequest(req: SipRequest, inbound: InboundContext): void {
    if (this.closed) return;
    let key: string;
    try {
      // We are an endpoint (UAS): Max-Forwards 0 is a proxy's concern, so such a request is served (RFC 4475 zeromf).
      validateRequest(req, { allowZeroMaxForwards: true });
      key = serverTransactionKey(req);
    } catch (err) {
      this.rejectStateless(req, inbound, err);
      return;
    }
    if (req.method === 'ACK') {
      this.handleAck(req, inbound, key);
      return;
    }
    const existing = this.servers.get(key);
    if (existing !== undefined) {
      this.counters.retransmissionsAbsorbed++;
      existing.receiveRetransmission();
      return;
    }
    if (req.method === 'CANCEL') {
      this.handleCancel(req, inbound, key);
      return;
    }
    let inDialog = false;
    if (tagOf(getHeader(req, 'to')) !== undefined) {
      const known = this.dialogKnown(req);
      if (known === false) {
        this.counters.unknownDialog++;
        this.sendStatelessResponse(req, inbound, 481, 'Call/Transaction Does Not Exist');
        return;
      }
      inDialog = known === true;
    }
    const tx = this.createServer(req, inbound, key, inDialog);
    if (tx === undefined) return;
    this.deliverRequest(tx);
    // After the TU's turn: an INVITE it refused at once needs no 100 Trying (see ServerInviteTransaction.start).
    if (tx instanceof ServerInviteTransaction) tx.start();
  }

  /** Returns false when no client transaction matched (a stray response). */
  handleResponse(res: SipResponse): boolean {
    let key: string;
    try {
      key = clientTransactionKey(res);
    } catch {
      this.counters.strayResponses++;
      return false;
    }
    const tx = this.clients.get(key);
    if (tx === undefined) {
      this.counters.strayResponses++;
      this.options.logger.debug({ status: res.status }, 'response matches no client transaction');
      return false;
    }
    tx.receiveResponse(res);
    return true;
  }

  /**
   * Starts a client transaction. The request must carry its own top Via with a branch. At the cap (or after
   * close) the response is a synthesised 503 and nothing is sent.
   */
  sendRequest(req: SipRequest, target: RemoteInfo): ClientTransaction {
    if (req.method === 'ACK') {
      throw new SipTransactionStateError('ACK has no client transaction; send it with sendStateless');
    }
    const key = clientTransactionKey(req);
    if (this.closed || this.size >= this.options.maxTransactions) {
      this.counters.overCapacity++;
      return { request: req, response: Promise.resolve(synthesizeResponse(req, 503)) };
    }
    if (this.clients.has(key)) {
      throw new SipTransactionStateError('a client transaction with this branch and method already exists');
    }
    const env = this.env(isReliable(target.transport), (msg) => this.options.sendRequest(msg, target), () => {
      if (this.clients.get(key) === tx) this.clients.delete(key);
    });
    const tx: ClientTx =
      req.method === 'INVITE' ? new ClientInviteTransaction(req, env) : new ClientNonInviteTransaction(req, env);
    this.clients.set(key, tx);
    tx.start();
    return tx;
  }

  /** Stops every transaction; pending client transactions resolve with 503. Idempotent. */
  close(): void {
    this.closed = true;
    for (const tx of this.servers.values()) tx.dispose();
    for (const tx of this.clients.values()) tx.dispose();
    this.servers.clear();
    this.clients.clear();
  }

  private handleAck(ack: SipRequest, inbound: InboundContext, key: string): void {
    const legacy = !hasRfc3261Branch(ack);
    const candidates = legacy ? legacyAckCandidates(ack) : [key];
    for (const candidate of candidates) {
      const tx = this.servers.get(candidate);
      if (!(tx instanceof ServerInviteTransaction)) continue;
      // RFC 2543: the ACK's To tag must be the one our response carried.
      if (legacy && tagOf(getHeader(ack, 'to')) !== responseToTag(tx.lastResponse)) continue;
      if (tx.receiveAck()) return;
      break;
    }
    const cb = this.onAck;
    if (cb === undefined) return;
    try {
      cb(ack, inbound.remote);
    } catch (err) {
      this.options.logger.error({ err }, 'onAck threw');
    }
  }

  /** The TU's answer to `isDialog`; undefined when there is no hook (or it threw, which is logged). */
  private dialogKnown(req: SipRequest): boolean | undefined {
    const hook = this.isDialog;
    if (hook === undefined) return undefined;
    try {
      return hook(req);
    } catch (err) {
      this.options.logger.error({ err, method: req.method }, 'isDialog threw; request served under the cap');
      return undefined;
    }
  }

  private handleCancel(cancel: SipRequest, inbound: InboundContext, cancelKey: string): void {
    const invite = this.servers.get(serverTransactionKey(cancel, { method: 'INVITE' }));
    if (!(invite instanceof ServerInviteTransaction)) {
      this.counters.unknownDialog++;
      this.sendStatelessResponse(cancel, inbound, 481, 'Call/Transaction Does Not Exist');
      return;
    }
    // Bounded by the INVITE transactions (one CANCEL each), so exempt from the cap: a call can always be cancelled.
    const tx = this.createServer(cancel, inbound, cancelKey, true);
    if (tx === undefined) return;
    // §9.2: the 200 carries the To tag of the INVITE's response, if it had one yet.
    tx.respond(createResponse(cancel, 200, { toTag: responseToTag(invite.lastResponse) ?? randomToken() }));
    const onCancel = invite.onCancel;
    if (!invite.cancellable || onCancel === undefined) return;
    try {
      onCancel();
    } catch (err) {
      this.options.logger.error({ err }, 'onCancel threw');
    }
  }

  /** `exempt`: inside a live dialog, or a CANCEL of a live INVITE (bounded by the calls and INVITEs we carry). */
  private createServer(req: SipRequest, inbound: InboundContext, key: string, exempt: boolean): ServerTx | undefined {
    // The cap sheds new work only: refusing a request inside a call we already carry would leave that call hanging.
    if (this.size >= this.options.maxTransactions && !exempt) {
      this.counters.overCapacity++;
      this.options.logger.warn({ method: req.method, live: this.size }, 'transaction cap reached; answering 503');
      this.sendStatelessResponse(req, inbound, 503, 'Service Unavailable');
      return undefined;
    }
    const send = (msg: SipMessage): Promise<void> =>
      msg.kind === 'response'
        ? this.options.sendResponse(msg, inbound)
        : Promise.reject(new SipTransactionStateError('a server transaction sends only responses'));
    const env = this.env(isReliable(inbound.remote.transport), send, () => {
      if (this.servers.get(key) === tx) this.servers.delete(key);
    });
    const tx: ServerTx =
      req.method === 'INVITE'
        ? new ServerInviteTransaction(req, inbound.remote, env)
        : new ServerNonInviteTransaction(req, inbound.remote, env);
    this.servers.set(key, tx);
    return tx;
  }

  private deliverRequest(tx: ServerTx): void {
    const cb = this.onRequest;
    try {
      if (cb === undefined) throw new Error('no onRequest handler');
      cb(tx);
    } catch (err) {
      this.options.logger.error({ err, method: tx.request.method }, 'onRequest failed; answering 500');
      this.tryRespond(tx, 500, 'Server Internal Error');
    }
  }

  private tryRespond(tx: ServerTx, status: number, reason: string): void {
    try {
      tx.respond(createResponse(tx.request, status, { reason, toTag: randomToken() }));
    } catch {
      // The TU had already sent a final response.
    }
  }

  /** A request we cannot even key (bad Via, CSeq ...): answer with the error's status when routable. */
  private rejectStateless(req: SipRequest, inbound: InboundContext, err: unknown): void {
    this.counters.rejected++;
    const status = err instanceof SipError ? err.status : 400;
    const reason = err instanceof SipError ? err.reason : 'Bad Request';
    this.options.logger.debug({ err, method: req.method }, 'request rejected before matching');
    if (req.method !== 'ACK') this.sendStatelessResponse(req, inbound, status, reason);
  }

  private sendStatelessResponse(req: SipRequest, inbound: InboundContext, status: number, reason: string): void {
    let res: SipResponse;
    try {
      const headers = status === 503 ? [{ name: 'Retry-After', value: '5' }] : [];
      res = createResponse(req, status, { reason, toTag: randomToken(), headers });
    } catch (err) {
      this.options.logger.debug({ err }, 'cannot build a stateless response; dropped');
      return;
    }
    this.options.sendResponse(res, inbound).catch((err: unknown) => {
      this.options.logger.debug({ err }, 'stateless response not delivered');
    });
  }

  private env(
    reliable: boolean,
    send: TransactionEnv['send'],
    onTerminated: TransactionEnv['onTerminated'],
  ): TransactionEnv {
    return { reliable, timers: this.options.timers, logger: this.options.logger, send, onTerminated };
  }
}

function responseToTag(res: SipResponse | undefined): string | undefined {
  return res === undefined ? undefined : tagOf(getHeader(res, 'to'));
}
