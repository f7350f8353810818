/**
 * Twilio Media Streams' WebSocket messages, as Twilio documents them (bidirectional streams, `<Connect><Stream>`):
 * https://www.twilio.com/docs/voice/media-streams/websocket-messages. Every message is a JSON text frame with an
 * `event`; numeric fields (`sequenceNumber`, `chunk`, `timestamp`) are strings, as Twilio sends them.
 *
 * The gateway plays Twilio's part: it sends the "from Twilio" messages and reads the "to Twilio" ones.
 */

/** The only audio format of Media Streams: µ-law, 8 kHz, mono. */
export const TWILIO_MEDIA_FORMAT = { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 } as const;
export type TwilioMediaFormat = typeof TWILIO_MEDIA_FORMAT;

/** µ-law bytes (= samples) in one 20 ms `media` message. */
export const TWILIO_FRAME_BYTES = 160;

// ---- from Twilio (gateway → bot) -------------------------------------------------------------------------------

/** First message on the socket; the only one without `sequenceNumber` and `streamSid`. */
export interface TwilioConnected {
  event: 'connected';
  protocol: 'Call';
  version: '1.0.0';
}

export interface TwilioStart {
  event: 'start';
  sequenceNumber: string;
  start: {
    accountSid: string;
    streamSid: string;
    callSid: string;
    /** `['inbound']`: a bidirectional stream carries the caller's track only. */
    tracks: string[];
    /** The `<Parameter>`s of the stream; here, the number's `parameters`. */
    customParameters: Record<string, string>;
    mediaFormat: TwilioMediaFormat;
  };
  streamSid: string;
}

export interface TwilioMedia {
  event: 'media';
  sequenceNumber: string;
  media: {
    track: 'inbound';
    /** Counts caller media messages from "1". */
    chunk: string;
    /** Presentation time of the chunk: ms since the stream started. */
    timestamp: string;
    /** Base64 µ-law, 8 kHz, no header. */
    payload: string;
  };
  streamSid: string;
}

export interface TwilioDtmf {
  event: 'dtmf';
  streamSid: string;
  sequenceNumber: string;
  dtmf: { track: 'inbound_track'; digit: string };
}

/** A mark the bot placed was reached: its audio played, or was cleared (Twilio sends the same message for both). */
export interface TwilioMark {
  event: 'mark';
  sequenceNumber: string;
  streamSid: string;
  mark: { name: string };
}

export interface TwilioStop {
  event: 'stop';
  sequenceNumber: string;
  streamSid: string;
  stop: { accountSid: string; callSid: string };
}

export type TwilioOutbound = TwilioConnected | TwilioStart | TwilioMedia | TwilioDtmf | TwilioMark | TwilioStop;

// ---- to Twilio (bot → gateway) ---------------------------------------------------------------------------------

/** Audio to play: µ-law 8 kHz bytes of any length (decoded from the base64 `media.payload`). */
export interface BotMedia {
  event: 'media';
  payload: Uint8Array;
}

/** Tell me (with a `mark` of this name) when the audio sent so far has played, or was cleared. */
export interface BotMark {
  event: 'mark';
  name: string;
}

/** Drop the audio buffered for playback (barge-in); pending marks come back. */
export interface BotClear {
  event: 'clear';
}

export type BotMessage = BotMedia | BotMark | BotClear;

// ---- errors ----------------------------------------------------------------------------------------------------

export const TwilioMessageErrorCode = {
  /** Text that is not JSON, or JSON that is not an object with a string `event`. */
  NotAMessage: 'TWILIO_NOT_A_MESSAGE',
  /** An `event` a bot may not send to Twilio (anything but media, mark, clear). */
  UnknownEvent: 'TWILIO_UNKNOWN_EVENT',
  /** A field missing, of the wrong type, or too long (`media.payload` not base64, `mark.name` empty…). */
  BadField: 'TWILIO_BAD_FIELD',
  /** A binary frame: Media Streams is JSON text only. */
  Binary: 'TWILIO_BINARY_FRAME',
} as const;
export type TwilioMessageErrorCodeValue = (typeof TwilioMessageErrorCode)[keyof typeof TwilioMessageErrorCode];

export class TwilioMessageError extends Error {
  readonly code: TwilioMessageErrorCodeValue;
  constructor(code: TwilioMessageErrorCodeValue, message: string) {
    super(message);
    this.name = 'TwilioMessageError';
    this.code = code;
  }
}
