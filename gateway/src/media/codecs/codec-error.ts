/** Stable codes for codec failures; callers switch on `code`, never on the message. */
export type CodecErrorCode =
  /** The codec name is not one we implement (`createEncoder('G729')`). */
  | 'CODEC_UNSUPPORTED'
  /** The PCM handed to an encoder is not a frame size the codec can encode (Opus: 2.5/5/10/20/40/60 ms). */
  | 'CODEC_BAD_FRAME'
  /** The underlying codec library failed for another reason. */
  | 'CODEC_FAILED';

export class CodecError extends Error {
  override readonly name = 'CodecError';
  readonly code: CodecErrorCode;

  constructor(code: CodecErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
