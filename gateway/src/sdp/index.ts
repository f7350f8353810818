export { CODECS, TELEPHONE_EVENT, codecByStaticPayloadType, findCodec } from './codecs.js';
export type { CodecInfo } from './codecs.js';
export { SdpError, SdpErrorCode } from './errors.js';
export type { SdpErrorCodeValue } from './errors.js';
export { acceptAnswer, answerOffer, createOffer } from './offer-answer.js';
export { SRTP_POLICIES } from './types.js';
export type { Direction, LocalMedia, LocalSrtp, NegotiatedMedia, SrtpPolicy } from './types.js';
export { encodeKey, formatCryptoLine, parseCryptoLine, readCryptoLines } from './sdes.js';
export type { SdesCrypto, SdesSkip } from './sdes.js';
