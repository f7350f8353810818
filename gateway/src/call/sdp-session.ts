/**
 * One call's side of the offer/answer exchange. Keeps the o= session id and version: the version is bumped only
 * when the SDP we send differs from the previous one (RFC 3264 §8), so a session-refresh re-INVITE gets the same
 * version back while hold/unhold gets a new one.
 */
import { randomInt } from 'node:crypto';
import { acceptAnswer, answerOffer, createOffer, type LocalMedia, type NegotiatedMedia } from '../sdp/index.js';

export type LocalMediaBase = Omit<LocalMedia, 'sessionId' | 'sessionVersion'>;

export class SdpSession {
  private readonly sessionId = String(randomInt(1, 2 ** 47));
  private version = randomInt(1, 2 ** 31);
  private lastBody: string | undefined;
  private offered: LocalMedia | undefined;
  negotiated: NegotiatedMedia | undefined;

  constructor(private readonly base: LocalMediaBase) {}

  /** Answers a remote offer; throws SdpError (488/400) and leaves the session unchanged on failure. */
  answer(offer: string): string {
    const first = answerOffer(offer, this.local());
    const { sdp, media } = this.changed(first.sdp) ? answerOffer(offer, this.local(++this.version)) : first;
    this.lastBody = withoutOrigin(sdp);
    this.negotiated = media;
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
    this.negotiated = acceptAnswer(offered, answer);
    return this.negotiated;
  }

  private local(version = this.version): LocalMedia {
    return { ...this.base, sessionId: this.sessionId, sessionVersion: version };
  }

  private changed(sdp: string): boolean {
    return this.lastBody !== undefined && this.lastBody !== withoutOrigin(sdp);
  }
}

function withoutOrigin(sdp: string): string {
  return sdp.replace(/^o=.*$/m, '');
}
