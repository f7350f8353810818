/**
 * How the load generator gets a call up, by direction. Inbound: the load generator is the caller and INVITEs the
 * target (`SipUa`). Outbound: the gateway calls the load generator, which answers as the carrier (`SipUas`). Either
 * way the call ends up as a `PlacedCall`: the far end's RTP address, the payload type, and how to hang up; the media
 * and every measurement on it are the same.
 */
import type { SrtpKeys, SrtpSuite } from '@patchbay/gateway';
import type { CallKind } from './call-mix.js';
import type { CodecProfile } from './codec-profile.js';
import { SipUa, SipUaError } from './sip-ua.js';
import { newSrtpKey } from './srtp-offer.js';

export interface PlacedCall {
  readonly remoteRtp: { readonly address: string; readonly port: number };
  /** The payload type the call uses for the run's codec. */
  readonly payloadType: number;
  /** SRTP calls: the keys of each direction (ours protects what we send). */
  readonly srtp?: SrtpKeys;
  /** The run's setup figure for this call (inbound: INVITE sent → 200 received; outbound: INVITE received → 200 sent). */
  readonly setupMs: number;
  /** End the call from our side; resolves with the final status of the BYE (0 on timeout). */
  hangUp(): Promise<number>;
  /** Called once if the far end ends the call. */
  onFarEndHangUp(handler: () => void): void;
}

export interface CallPlacer {
  /** Get call `n` (of `kind`, our RTP on `rtpPort`) up; rejects with a `PlaceError` (or `SipUaError`) when it fails. */
  place(n: number, kind: CallKind, rtpPort: number): Promise<PlacedCall>;
  close(): void;
}

export class PlaceError extends Error {
  override readonly name = 'PlaceError';
  constructor(
    readonly code: 'OUTBOUND_API_REFUSED' | 'OUTBOUND_API_UNREACHABLE' | 'OUTBOUND_TIMEOUT' | 'OUTBOUND_NO_CODEC' | 'OUTBOUND_ENDED',
    message: string,
    readonly status?: number,
    /** What the far end said beyond the status (the API's problem `code`). */
    readonly detail?: string,
  ) {
    super(message);
  }
}

/** The key a failed call is counted under in `failures`: the error code and status. */
export function failureKey(err: unknown): string {
  if (err instanceof SipUaError) return `${err.code}${err.status === undefined ? '' : ` ${err.status}`}`;
  if (err instanceof PlaceError) return [err.code, err.status, err.detail].filter((p) => p !== undefined).join(' ');
  return err instanceof Error ? err.message : String(err);
}

export interface InboundNumbers {
  numberFor(kind: CallKind): string;
}

/** Inbound: INVITE the target's number for the call's kind (with `srtp`: `RTP/SAVP`, a fresh key per call). */
export class InboundPlacer implements CallPlacer {
  private constructor(
    private readonly ua: SipUa,
    private readonly numbers: InboundNumbers,
    private readonly codec: CodecProfile,
    private readonly srtp: SrtpSuite | undefined,
  ) {}

  static async open(host: string, port: number, numbers: InboundNumbers, codec: CodecProfile, srtp?: SrtpSuite): Promise<InboundPlacer> {
    return new InboundPlacer(await SipUa.open(host, port), numbers, codec, srtp);
  }

  async place(_n: number, kind: CallKind, rtpPort: number): Promise<PlacedCall> {
    const key = this.srtp === undefined ? undefined : newSrtpKey(this.srtp);
    const sentAt = performance.now();
    const dialog = await this.ua.invite(this.numbers.numberFor(kind), rtpPort, this.codec, undefined, key);
    const setupMs = performance.now() - sentAt;
    return {
      remoteRtp: dialog.remoteRtp,
      payloadType: dialog.payloadType,
      ...(dialog.srtp === undefined ? {} : { srtp: dialog.srtp }),
      setupMs,
      hangUp: () => this.ua.bye(dialog),
      onFarEndHangUp: (handler) => this.ua.onBye(dialog.callId, handler),
    };
  }

  close(): void {
    this.ua.close();
  }
}
