export { CODECS, TELEPHONE_EVENT, codecByStaticPayloadType, findCodec } from './codecs.js';
export type { CodecInfo } from './codecs.js';
export { SdpError, SdpErrorCode } from './errors.js';
export type { SdpErrorCodeValue } from './errors.js';
export { acceptAnswer, answerOffer, createOffer } from './offer-answer.js';
export type { Direction, LocalMedia, NegotiatedMedia } from './types.js';
