/**
 * One call's side of the offer/answer exchange. Keeps the o= session id and version: the version is bumped only
 * when the SDP we send differs from the previous one (RFC 3264 §8), so a session-refresh re-INVITE gets the same
 * version back while hold/unhold gets a new one.
 *
 * SRTP: our keys (one per suite) are drawn once per call and kept for its re-INVITEs. The first negotiation settles
 * whether the call is SRTP: after it, a re-INVITE must keep to it (an SRTP call is `required`, a plain one `off`), so
 * nobody can downgrade an encrypted call to plain RTP mid-call (488), nor switch a plain one.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { SRTP_SUITES, type SrtpKeyMaterial, type SrtpSuite } from '../media/srtp/types.js';
import { acceptAnswer, answerOffer, createOffer, type LocalMedia, type LocalSrtp, type NegotiatedMedia, type SrtpPolicy } from '../sdp/index.js';

export type LocalMediaBase = Omit<LocalMedia, 'sessionId' | 'sessionVersion'>;

export class SdpSession {
  private readonly sessionId = String(randomInt(1, 2 ** 47));
  private version = randomInt(1, 2 ** 31);
  private lastBody: string | undefined;
  private offered: LocalMedia | undefined;
  negotiated: NegotiatedMedia | undefined;

  constructor(private base: LocalMediaBase) {}

  /** Answers a remote offer; throws SdpError (488/400) and leaves the session unchanged on failure. */
  answer(offer: string): string {
    const first = answerOffer(offer, this.local());
    const { sdp, media } = this.changed(first.sdp) ? answerOffer(offer, this.local(++this.version)) : first;
    this.lastBody = withoutOrigin(sdp);
    this.settle(media);
    return sdp;
  }

  /** Our offer, for an INVITE that came without SDP; the answer arrives in the ACK. */
  offer(): string {
    let sdp = createOffer(this.local());
    if (this.changed(sdp)) sdp = createOffer(this.local(++this.version));
    this.lastBody = withoutOrigin(sdp);
    this.offered = this.local();
    return sdp;
  }

  get awaitingAnswer(): boolean {
    return this.offered !== undefined;
  }

  /** Applies the answer to our offer; throws SdpError when it is unusable. */
  acceptAnswer(answer: string): NegotiatedMedia {
    const offered = this.offered;
    if (!offered) throw new Error('no offer outstanding');
    this.offered = undefined;
    const media = acceptAnswer(offered, answer);
    this.settle(media);
    return media;
  }

  /** The negotiated session, and from now on the call stays SRTP or plain as it is. */
  private settle(media: NegotiatedMedia): void {
    this.negotiated = media;
    const srtp = this.base.srtp;
    if (srtp !== undefined && srtp.policy === 'optional') this.base = { ...this.base, srtp: { ...srtp, policy: media.srtp === undefined ? 'off' : 'required' } };
  }

  private local(version = this.version): LocalMedia {
    return { ...this.base, sessionId: this.sessionId, sessionVersion: version };
  }

  private changed(sdp: string): boolean {
    return this.lastBody !== undefined && this.lastBody !== withoutOrigin(sdp);
  }
}

/** A call's SRTP side: its policy and suites, and a fresh master key and salt per suite (crypto-random). */
export function localSrtp(policy: SrtpPolicy, suites: readonly SrtpSuite[]): LocalSrtp {
  const keys: Partial<Record<SrtpSuite, SrtpKeyMaterial>> = {};
  if (policy !== 'off') {
    for (const suite of suites) {
      const info = SRTP_SUITES[suite];
      const bytes = randomBytes(info.keyLength + info.saltLength);
      keys[suite] = { suite, masterKey: bytes.subarray(0, info.keyLength), masterSalt: bytes.subarray(info.keyLength) };
    }
  }
  return { policy, suites, keys };
}

function withoutOrigin(sdp: string): string {
  return sdp.replace(/^o=.*$/m, '');
}
