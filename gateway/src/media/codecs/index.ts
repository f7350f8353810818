/** Telephony codecs: RTP payload ↔ PCM16 at the codec's native rate. */
export {
  codecDescriptor,
  createDecoder,
  createEncoder,
  isSupportedCodec,
  CodecError,
  type AudioDecoder,
  type AudioEncoder,
  type CodecDescriptor,
  type CodecErrorCode,
  type CodecName,
} from './codec.js';
export { G711Decoder, G711Encoder, G711_SAMPLE_RATE } from './g711.js';
export { G722Decoder, G722Encoder, G722_SAMPLE_RATE } from './g722.js';
export { OpusDecoder, OpusEncoder, OPUS_SAMPLE_RATE, type OpusApplication, type OpusEncoderOptions } from './opus.js';
export { PacketLossConcealer } from './plc.js';
