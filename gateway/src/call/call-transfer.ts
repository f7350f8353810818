/**
 * Blind transfer, as the agent's `transfer` command asks: a REFER (RFC 3515) inside the call's dialog to the
 * caller's side (the carrier, trunk or phone, which places the new call), with Referred-By (RFC 3892) naming the
 * number that was called. The peer reports progress in NOTIFYs carrying a sipfrag (RFC 3515 §2.4.5):
 *
 * - REFER refused (3xx-6xx, or 408/503 when it timed out or could not be sent), or a final sipfrag >= 300: the call
 *   goes on and the agent gets `error{code: 'transfer_failed'}`.
 * - sipfrag 2xx: the caller is connected to the target; we BYE our leg (reason `transferred`).
 * - REFER accepted (2xx) but no NOTIFY within `notifyWaitMs` (10 s), no final sipfrag within `outcomeWaitMs` (60 s)
 *   of the last progress, or the subscription terminated without a final status: the peer took the transfer and does
 *   not tell us how it ends. We take the acceptance as success and BYE our leg; the peer owns the new call.
 * - A BYE from the peer once it accepted the REFER ends the call as `transferred` too.
 *
 * A call has at most one transfer at a time; a transfer asked for while the 2xx awaits its ACK goes out at the ACK.
 *
 * Before anything else the target must pass the call's destination policy (its number's `transfer`, else the
 * top-level one; nothing is allowed by default): a refused target gets `error{code: 'transfer_failed', message:
 * 'target not allowed'}`, no REFER leaves, the refusal is logged with the target redacted and counted by its code.
 */
import type { GatewayMessage } from '@patchbay/agents';
import type { Logger } from 'pino';
import { parseCSeq, parseNameAddr } from '../sip/headers.js';
import { getHeader, type SipHeader, type SipRequest, type SipResponse } from '../sip/message.js';
import type { ClientTransaction, RemoteInfo } from '../sip/stack.js';
import type { Config } from '../config.js';
import { DestinationPolicy, redactDestination } from '../routing/index.js';
import { CallRejection } from './admission.js';
import type { Call, EndReason } from './call.js';
import type { CallStats } from './call-stats.js';
import type { CallEvents } from './events.js';
import type { TransferStart } from './control.js';
import { readReferNotify, type ReferNotify } from './refer-notify.js';
import { referToUri, TransferTargetError } from './transfer-target.js';

export const TRANSFER_FAILED = 'transfer_failed';
/** The `message` of the `transfer_failed` an agent gets for a target the destination policy refuses. */
export const TARGET_NOT_ALLOWED = 'target not allowed';
export const NOTIFY_WAIT_MS = 10_000;
export const OUTCOME_WAIT_MS = 60_000;

/** What a transfer needs from the call controller. */
export interface TransferHost {
  /** A request inside the call's dialog (InDialogHandler.buildRequest). */
  buildRequest(call: Call, method: string, headers: SipHeader[]): SipRequest;
  sendRequest(req: SipRequest, target: RemoteInfo): ClientTransaction;
  hangup(call: Call, reason: EndReason): void;
  tellAgent(callId: string, msg: GatewayMessage): void;
}

export interface CallTransfersOptions {
  host: TransferHost;
  /** `sip.transferDomain`. */
  domain: string | null;
  logger: Logger;
  /** The destination policy a call's transfers are checked against (`transferDestinations(config)`). */
  destinations: (call: Call) => DestinationPolicy;
  /** Refused targets are counted in `transfersRefused`, by refusal code. */
  stats?: Pick<CallStats, 'transfersRefused'>;
  /** Told `transfer-requested` and `transfer-failed` (success is the controller's `transferred`). */
  events?: Pick<CallEvents, 'emit'>;
  notifyWaitMs?: number;
  outcomeWaitMs?: number;
  /**
   * A transfer that passed the destination policy, carried out as a bridge instead of a REFER (the call's trunk has
   * `transferBy: bridge`; forwarding/live.ts): how it started, or undefined to REFER as usual.
   */
  bridge?: BridgeTransfer;
}

/** A transfer carried out as a bridge instead of a REFER: how it started, or undefined to REFER as usual. */
export type BridgeTransfer = (call: Call, destination: string) => TransferStart | undefined;

interface Transfer {
  readonly call: Call;
  /** As asked (the agent's or the API's `target`). */
  readonly target: string;
  readonly referTo: string;
  /** Waiting for the ACK of our 2xx; sent, awaiting its answer; accepted by the peer. */
  phase: 'awaiting-ack' | 'referring' | 'accepted';
  /** Our REFER's CSeq number: the subscription's `id` in the peer's NOTIFYs. */
  seq: number | undefined;
  /** A provisional sipfrag has come (the target is being tried). */
  progressing: boolean;
  timer: ReturnType<typeof setTimeout> | undefined;
}

export class CallTransfers {
  /** The transfer of each call that has one (at most one per call, so bounded by the live calls). */
  private readonly active = new Map<string, Transfer>();

  constructor(private readonly options: CallTransfersOptions) {}

  /**
   * The agent (or the API: `fromAgent` false) asked to transfer `call` to `target` (a phone number or a sip:/sips:
   * URI). A refusal at once is returned, and told to the agent only when it asked; later failures are the agent's.
   */
  request(call: Call, target: string, fromAgent = true): TransferStart {
    const refuse = (message: string, code = 'TRANSFER_REFUSED'): TransferStart => {
      if (fromAgent) this.refuse(call.id, message);
      this.options.events?.emit({ type: 'transfer-failed', call, target, message });
      return { ok: false, code, message };
    };
    if (call.state === 'ended') return { ok: false, code: 'CALL_ENDED', message: 'the call has ended' };
    const checked = this.options.destinations(call).check(target);
    if (!checked.ok) {
      const refused = this.options.stats?.transfersRefused;
      if (refused) refused[checked.code] = (refused[checked.code] ?? 0) + 1;
      const { code, reason } = checked;
      this.options.logger.warn({ callId: call.id, code, reason, target: redactDestination(target) }, 'transfer target not allowed');
      return refuse(TARGET_NOT_ALLOWED, code);
    }
    // A second transfer while one runs is refused without a `transfer-failed`: the first one's outcome is still to come.
    if (this.active.has(call.id)) {
      if (fromAgent) this.refuse(call.id, 'transfer already in progress');
      return { ok: false, code: 'TRANSFER_IN_PROGRESS', message: 'transfer already in progress' };
    }
    const dialog = call.dialog;
    if (!dialog || (call.state !== 'answered' && call.state !== 'confirmed')) return refuse('the call is not connected yet', 'CALL_NOT_ANSWERED');
    const bridged = this.options.bridge?.(call, checked.kind === 'number' ? checked.number : checked.uri);
    if (bridged !== undefined) {
      if (!bridged.ok) return refuse(bridged.message, bridged.code);
      this.options.logger.info({ callId: call.id, target: redactDestination(target) }, 'transfer as a bridge: the target rings, the caller stays with the agent');
      return bridged;
    }
    let referTo: string;
    try {
      referTo = referToUri(checked.kind === 'number' ? checked.number : checked.uri, { domain: this.options.domain, peerHost: dialog.peer.address });
    } catch (err) {
      if (!(err instanceof TransferTargetError)) throw err;
      return refuse(err.message);
    }
    const t: Transfer = { call, target, referTo, phase: 'awaiting-ack', seq: undefined, progressing: false, timer: undefined };
    this.active.set(call.id, t);
    this.options.events?.emit({ type: 'transfer-requested', call, target });
    if (call.state === 'confirmed') this.refer(t);
    else this.options.logger.info({ callId: call.id }, 'transfer waits for the ACK');
    return { ok: true };
  }

  /** The call's 2xx was ACKed: a transfer asked for before goes out now. */
  confirmed(call: Call): void {
    const t = this.active.get(call.id);
    if (t?.phase === 'awaiting-ack') this.refer(t);
  }

  /** Reads a NOTIFY inside `call`'s dialog; throws a CallRejection (481 when it names no REFER of ours). */
  check(call: Call, req: SipRequest): ReferNotify {
    const notify = readReferNotify(req);
    const t = this.active.get(call.id);
    if (!t || t.seq === undefined || (notify.id !== undefined && notify.id !== t.seq)) {
      throw new CallRejection(481, 'Subscription Does Not Exist', [], 'SIP_NO_SUBSCRIPTION');
    }
    return notify;
  }

  /** A NOTIFY that `check` accepted, once answered 200. */
  progress(call: Call, notify: ReferNotify): void {
    const t = this.active.get(call.id);
    if (!t) return;
    this.options.logger.info({ callId: call.id, status: notify.status, terminated: notify.terminated }, 'transfer progress');
    if (notify.status >= 300) return this.fail(t, `transfer target answered ${notify.status} ${notify.reason}`.trim());
    if (notify.status >= 200) return this.succeed(t, 'target answered');
    t.progressing = true;
    if (notify.terminated) return this.succeed(t, 'subscription ended without a final status');
    if (t.phase === 'accepted') this.wait(t);
  }

  /** How a BYE from the peer ends `call`: `transferred` once the peer has accepted our REFER. */
  byeReason(call: Call): EndReason {
    return this.active.get(call.id)?.phase === 'accepted' ? 'transferred' : 'remote-bye';
  }

  /** The call ended: forget its transfer. */
  ended(call: Call): void {
    const t = this.active.get(call.id);
    if (!t) return;
    clearTimeout(t.timer);
    this.active.delete(call.id);
  }

  private refer(t: Transfer): void {
    const { call } = t;
    const dialog = call.dialog;
    if (!dialog) return this.fail(t, 'the call has no dialog');
    t.phase = 'referring';
    let tx: ClientTransaction;
    try {
      const referredBy = parseNameAddr(dialog.localNameAddr).uri;
      const req = this.options.host.buildRequest(call, 'REFER', [
        { name: 'Refer-To', value: `<${t.referTo}>` },
        { name: 'Referred-By', value: `<${referredBy}>` },
      ]);
      t.seq = parseCSeq(getHeader(req, 'cseq') ?? '').seq;
      tx = this.options.host.sendRequest(req, dialog.peer);
    } catch (err) {
      // A fault of ours (nothing the peer sent): this call's transfer fails, nothing else does.
      this.options.logger.error({ err, callId: call.id }, 'REFER could not be sent');
      return this.fail(t, 'REFER could not be sent');
    }
    this.options.logger.info({ callId: call.id, cseq: t.seq }, 'transfer: REFER sent');
    tx.response
      .then((res) => this.answered(t, res))
      .catch((err: unknown) => this.options.logger.error({ err, callId: call.id }, 'REFER answer handling failed'));
  }

  private answered(t: Transfer, res: SipResponse): void {
    if (this.active.get(t.call.id) !== t) return; // ended, or already decided by a NOTIFY
    if (res.status >= 300) return this.fail(t, `REFER answered ${res.status} ${res.reason}`.trim());
    t.phase = 'accepted';
    this.options.logger.info({ callId: t.call.id, status: res.status }, 'transfer: REFER accepted');
    this.wait(t);
  }

  /** (Re)starts the wait for the peer's next word: the first NOTIFY, or the final one after progress. */
  private wait(t: Transfer): void {
    clearTimeout(t.timer);
    const ms = t.progressing ? (this.options.outcomeWaitMs ?? OUTCOME_WAIT_MS) : (this.options.notifyWaitMs ?? NOTIFY_WAIT_MS);
    t.timer = setTimeout(() => this.succeed(t, t.progressing ? 'no final NOTIFY' : 'no NOTIFY'), ms);
  }

  private succeed(t: Transfer, how: string): void {
    if (this.active.get(t.call.id) !== t) return;
    this.ended(t.call);
    this.options.logger.info({ callId: t.call.id, how }, 'call transferred');
    this.options.host.hangup(t.call, 'transferred');
  }

  private fail(t: Transfer, message: string): void {
    if (this.active.get(t.call.id) !== t) return;
    this.ended(t.call);
    this.options.logger.info({ callId: t.call.id, message }, 'transfer failed; the call goes on');
    this.refuse(t.call.id, message);
    this.options.events?.emit({ type: 'transfer-failed', call: t.call, target: t.target, message });
  }

  private refuse(callId: string, message: string): void {
    this.options.host.tellAgent(callId, { type: 'error', code: TRANSFER_FAILED, message });
  }
}

/**
 * Each call's transfer policy: its plan's lists (its number's `transfer` when it has one, replacing the top-level one
 * as a whole, else the top-level `transfer`: plan.ts). Policies are built here, once per list, from the validated config.
 */
export function transferDestinations(config: Pick<Config, 'transfer' | 'numbers' | 'sip'>): (call: Pick<Call, 'plan'>) => DestinationPolicy {
  const defaultCountryCode = config.sip.defaultCountryCode;
  const byList = new WeakMap<object, DestinationPolicy>();
  const policyOf = (lists: Config['transfer']): DestinationPolicy => {
    let policy = byList.get(lists);
    if (policy === undefined) {
      policy = new DestinationPolicy({ allow: lists.allow, deny: lists.deny, defaultCountryCode });
      byList.set(lists, policy);
    }
    return policy;
  };
  const fallback = policyOf(config.transfer);
  for (const route of Object.values(config.numbers)) if (route.transfer) policyOf(route.transfer);
  return (call) => (call.plan.transfer === config.transfer ? fallback : policyOf(call.plan.transfer));
}
