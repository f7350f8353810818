/**
 * SDP negotiation failures, each with a stable code and a message naming the fault. The SDP library knows nothing of
 * SIP: the call core answers each code with its status (call/sip-answers.ts: 400, 488 with a Warning, or 500).
 */

/** Stable codes. Values never change once released; add new ones at the end. */
export const SdpErrorCode = {
  /** Not SDP at all, or a line that breaks RFC 4566 grammar (answered 400). */
  Parse: 'SDP_PARSE',
  /** No m= line (400). */
  MissingMedia: 'SDP_MISSING_MEDIA',
  /** The chosen stream has no c= at media or session level (400). */
  MissingConnection: 'SDP_MISSING_CONNECTION',
  /** No audio stream with a non-zero port (488). */
  NoAudio: 'SDP_NO_AUDIO',
  /** Audio offered only over a transport we do not speak, e.g. RTP/SAVPF (488). */
  UnsupportedTransport: 'SDP_UNSUPPORTED_TRANSPORT',
  /** No codec in common (488). */
  NoCommonCodec: 'SDP_NO_COMMON_CODEC',
  /** Our own LocalMedia is invalid (unknown codec name, bad port): a bug or bad config (500). */
  BadLocalMedia: 'SDP_BAD_LOCAL_MEDIA',
  /**
   * The chosen stream's transport cannot be used (488): its c= address is not a unicast IP literal of its address
   * type, or its `a=rtcp` port or address is invalid. The message names the fault.
   */
  BadTransportAddress: 'SDP_BAD_TRANSPORT_ADDRESS',
  /** The call's SRTP policy is `required` and the offer (or the answer to our RTP/SAVP offer) is plain RTP/AVP (488). */
  SrtpRequired: 'SDP_SRTP_REQUIRED',
  /** RTP/SAVP offered (or answered) without an `a=crypto` line we can use: suite, key length, MKI, session params (488). */
  NoCommonCrypto: 'SDP_NO_COMMON_CRYPTO',
} as const;

export type SdpErrorCodeValue = (typeof SdpErrorCode)[keyof typeof SdpErrorCode];

/** What is wrong with an SDP, or with our own media description; `message` names the fault. */
export class SdpError extends Error {
  readonly code: SdpErrorCodeValue;

  constructor(code: SdpErrorCodeValue, fault: string, cause?: unknown) {
    super(fault, cause === undefined ? undefined : { cause });
    this.name = 'SdpError';
    this.code = code;
  }
}

/** The remote SDP is malformed (a 400 on the wire). */
export function badSdp(code: SdpErrorCodeValue, fault: string, cause?: unknown): SdpError {
  return new SdpError(code, fault, cause);
}

/** The remote SDP is well formed but cannot be accepted (a 488 on the wire). */
export function notAcceptable(code: SdpErrorCodeValue, fault: string): SdpError {
  return new SdpError(code, fault);
}
