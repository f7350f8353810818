/**
 * Outbound: the load generator asks the gateway to call it (`POST /v1/calls`) and answers as the carrier (`SipUas`).
 * Call n dials `<toPrefix><n, 6 digits>`, so the INVITE that arrives is matched to the call that asked for it by the
 * Request-URI's digits; `number` is the configured number of the call's kind, so the gateway reuses that route's
 * agent and barge-in settings exactly as for an inbound call to it. The answer keeps the offer's payload type for the
 * run's codec. The call is up at the ACK (as the inbound caller sends its media after its ACK).
 *
 * Figures, at the carrier side: INVITE received → 200 sent (the run's setup), INVITE received → ACK received; and at
 * the API client: POST sent → INVITE received, POST sent → the API's answer.
 */
import { Samples } from '../stats.js';
import { PlaceError, type CallPlacer, type InboundNumbers, type PlacedCall } from './call-placer.js';
import type { CallKind } from './call-mix.js';
import type { CodecProfile } from './codec-profile.js';
import { answerSdp, offeredMedia } from './sdp-media.js';
import type { SipUas, UasDecision, UasHost, UasInvite } from './sip-uas.js';

export interface OutboundTarget extends InboundNumbers {
  /** The gateway's HTTP base, e.g. `http://127.0.0.1:8080`. */
  readonly apiUrl: string;
  readonly trunk: string;
  /** E.164 prefix the dialled numbers start with (inside the trunk's `allow` list), e.g. `+1555200`. */
  readonly toPrefix: string;
  /** INVITE must arrive and the call be ACKed within this long of the POST; default 10 s. */
  readonly timeoutMs?: number;
}

export interface OutboundSamples {
  readonly inviteToAckMs: Samples;
  readonly apiToInviteMs: Samples;
  readonly apiAnswerMs: Samples;
}

interface Pending {
  readonly rtpPort: number;
  readonly postedMs: number;
  callId: string;
  invitedMs: number;
  answeredMs: number;
  remoteRtp: { readonly address: string; readonly port: number } | undefined;
  payloadType: number;
  up: (ackedMs: number) => void;
  fail: (err: PlaceError) => void;
  farEnd: (() => void) | undefined;
  ended: boolean;
}

export class OutboundPlacer implements CallPlacer, UasHost {
  readonly samples: OutboundSamples = { inviteToAckMs: new Samples(), apiToInviteMs: new Samples(), apiAnswerMs: new Samples() };
  /** Dialled digits → the call waiting for its INVITE; then Call-ID → the call. */
  private readonly byDigits = new Map<string, Pending>();
  private readonly byCallId = new Map<string, Pending>();

  constructor(
    private readonly uas: SipUas,
    private readonly target: OutboundTarget,
    private readonly codec: CodecProfile,
  ) {
    uas.attach(this);
  }

  /** The number call `n` dials. */
  dialled(n: number): string {
    return `${this.target.toPrefix}${String(n).padStart(6, '0')}`;
  }

  async place(n: number, kind: CallKind, rtpPort: number): Promise<PlacedCall> {
    const to = this.dialled(n);
    const digits = to.replace(/\D/g, '');
    let resolveUp: (ackedMs: number) => void = () => undefined;
    let rejectUp: (err: PlaceError) => void = () => undefined;
    const upPromise = new Promise<number>((resolve, reject) => {
      resolveUp = resolve;
      rejectUp = reject;
    });
    const postedMs = performance.now();
    const pending: Pending = {
      rtpPort, postedMs, callId: '', invitedMs: 0, answeredMs: 0, remoteRtp: undefined, payloadType: 0,
      up: resolveUp, fail: rejectUp, farEnd: undefined, ended: false,
    };
    this.byDigits.set(digits, pending);
    const timeoutMs = this.target.timeoutMs ?? 10_000;
    const timer = setTimeout(() => pending.fail(new PlaceError('OUTBOUND_TIMEOUT', `call ${to} not up within ${timeoutMs} ms of the POST`)), timeoutMs);
    try {
      await Promise.all([this.post(to, kind, pending), upPromise]);
    } catch (err) {
      this.byDigits.delete(digits);
      throw err;
    } finally {
      clearTimeout(timer);
    }
    this.byDigits.delete(digits);
    const remoteRtp = pending.remoteRtp;
    if (remoteRtp === undefined) throw new PlaceError('OUTBOUND_NO_CODEC', 'answered without an offer we could read');
    return {
      remoteRtp,
      payloadType: pending.payloadType,
      setupMs: pending.answeredMs - pending.invitedMs,
      hangUp: () => this.uas.bye(pending.callId),
      onFarEndHangUp: (handler) => {
        pending.farEnd = handler;
      },
    };
  }

  close(): void {
    this.uas.close();
  }

  // UasHost

  invite(invite: UasInvite): UasDecision {
    const pending = this.byDigits.get(invite.user.replace(/\D/g, ''));
    if (pending === undefined || pending.callId !== '') return { reject: 404 };
    pending.callId = invite.callId;
    pending.invitedMs = invite.receivedMs;
    this.byCallId.set(invite.callId, pending);
    this.samples.apiToInviteMs.push(invite.receivedMs - pending.postedMs);
    const media = offeredMedia(invite.offer, this.codec);
    if (media === undefined) {
      pending.fail(new PlaceError('OUTBOUND_NO_CODEC', `offer without ${this.codec.rtpmap}`, 488));
      return { reject: 488 };
    }
    pending.remoteRtp = { address: media.address, port: media.port };
    pending.payloadType = media.payloadType;
    return { answer: answerSdp(this.codec, pending.rtpPort, media.payloadType) };
  }

  answered(callId: string, atMs: number): void {
    const pending = this.byCallId.get(callId);
    if (pending !== undefined) pending.answeredMs = atMs;
  }

  acked(callId: string, atMs: number): void {
    const pending = this.byCallId.get(callId);
    if (pending === undefined) return;
    this.samples.inviteToAckMs.push(atMs - pending.invitedMs);
    pending.up(atMs);
  }

  ended(callId: string, by: 'bye' | 'cancel'): void {
    const pending = this.byCallId.get(callId);
    if (pending === undefined || pending.ended) return;
    pending.ended = true;
    pending.fail(new PlaceError('OUTBOUND_ENDED', `the gateway ended the call (${by}) before it was up`));
    pending.farEnd?.();
  }

  failed(callId: string, reason: string): void {
    this.byCallId.get(callId)?.fail(new PlaceError('OUTBOUND_TIMEOUT', reason));
  }

  private async post(to: string, kind: CallKind, pending: Pending): Promise<void> {
    let response: Response;
    try {
      response = await fetch(`${this.target.apiUrl}/v1/calls`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ to, trunk: this.target.trunk, number: this.target.numberFor(kind) }),
        signal: AbortSignal.timeout(this.target.timeoutMs ?? 10_000),
      });
    } catch (err) {
      const e = new PlaceError('OUTBOUND_API_UNREACHABLE', err instanceof Error ? err.message : String(err));
      pending.fail(e);
      throw e;
    }
    const text = await response.text();
    this.samples.apiAnswerMs.push(performance.now() - pending.postedMs);
    if (response.status >= 300) {
      const code = /"code"\s*:\s*"([A-Z_]+)"/.exec(text)?.[1] ?? 'unknown';
      const e = new PlaceError('OUTBOUND_API_REFUSED', `POST /v1/calls answered ${response.status} ${code}`, response.status, code);
      pending.fail(e);
      throw e;
    }
  }
}
