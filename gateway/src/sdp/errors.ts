/** SDP negotiation failures, each answerable on the wire with its SIP status and reason. */

import { SipError } from '../sip/errors.js';

/** Stable codes. Values never change once released; add new ones at the end. */
export const SdpErrorCode = {
  /** Not SDP at all, or a line that breaks RFC 4566 grammar (400). */
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
   * type, or its `a=rtcp` port or address is invalid. The reason names the fault.
   */
  BadTransportAddress: 'SDP_BAD_TRANSPORT_ADDRESS',
} as const;

export type SdpErrorCodeValue = (typeof SdpErrorCode)[keyof typeof SdpErrorCode];

export class SdpError extends SipError {
  declare readonly code: SdpErrorCodeValue;

  constructor(code: SdpErrorCodeValue, status: number, reason: string, cause?: unknown) {
    super(status, reason, cause === undefined ? { code } : { code, cause });
    this.name = 'SdpError';
  }
}

/** 400 Bad Request naming the fault. */
export function badSdp(code: SdpErrorCodeValue, fault: string, cause?: unknown): SdpError {
  return new SdpError(code, 400, `Bad Request - ${fault}`, cause);
}

/** 488 Not Acceptable Here naming the fault. */
export function notAcceptable(code: SdpErrorCodeValue, fault: string): SdpError {
  return new SdpError(code, 488, `Not Acceptable Here - ${fault}`);
}
