/** The gateway's public entry: start a gateway, load its configuration, and the SIP building blocks. */
export { startGateway, type RunningGateway, type GatewayOptions } from './gateway.js';
export { loadConfig, parseConfig, ConfigError, type Config } from './config.js';
export { createLogger } from './logger.js';
export { VERSION } from './version.js';
export { SipError, SipParseError } from './sip/errors.js';
export { getHeader, getHeaders, headerName, type SipMessage, type SipRequest, type SipResponse, type SipHeader } from './sip/message.js';
export { parseMessage } from './sip/parser.js';
export { validateRequest } from './sip/validate.js';
export { serializeMessage } from './sip/serialize.js';
export { parseVias, parseNameAddr, parseCSeq } from './sip/headers.js';
export { normalizeNumber, NumberRouter } from './routing/index.js';
export { createResampler, defaultQuality, loadResampler, resamplerBuild, type Resampler } from './media/audio/resampler.js';
export { FrameResampler } from './media/audio/frame-resampler.js';
export { parseRtp, serializeRtp, isRtcp, type RtpPacket } from './media/rtp/packet.js';
export { JitterBuffer, type JitterPacket } from './media/rtp/jitter-buffer.js';
export { DtmfReceiver, DtmfSender } from './media/dtmf/rfc4733.js';
export * from './media/codecs/index.js';
export { loadSilero, loadVad, SileroConfirmer, SpeechDetector, tonality, voicing, WebRtcVad, type SpeechEvent } from './media/vad/index.js';
