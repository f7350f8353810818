/** Errors of the agent protocol layer. Every error has a stable `code`; values never change once released. */

export const ProtocolErrorCode = {
  /** Text that is not JSON. */
  BadJson: 'PROTOCOL_BAD_JSON',
  /** JSON that is not an object, or an object without a string `type`. */
  NotAMessage: 'PROTOCOL_NOT_A_MESSAGE',
  /** A `type` this protocol version does not define. */
  UnknownType: 'PROTOCOL_UNKNOWN_TYPE',
  /** A field missing, of the wrong type, or out of its range. */
  BadField: 'PROTOCOL_BAD_FIELD',
  /** A `start` with a protocol version this library does not speak. */
  UnsupportedVersion: 'PROTOCOL_UNSUPPORTED_VERSION',
  /** A text message larger than `PROTOCOL_LIMITS.maxJsonBytes`. */
  TooLarge: 'PROTOCOL_TOO_LARGE',
  /** A binary audio message that is not a whole number of PCM16 samples. */
  BadAudio: 'PROTOCOL_BAD_AUDIO',
  /** A call token could not be made (empty secret, bad claims). */
  BadToken: 'PROTOCOL_BAD_TOKEN',
} as const;

export type ProtocolErrorCodeValue = (typeof ProtocolErrorCode)[keyof typeof ProtocolErrorCode];

export class ProtocolError extends Error {
  readonly code: ProtocolErrorCodeValue;

  constructor(code: ProtocolErrorCodeValue, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ProtocolError';
    this.code = code;
  }
}
