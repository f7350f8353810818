/**
 * Twilio Media Streams on the wire, pure and synchronous: builds the JSON text of the messages Twilio sends (with
 * one running `sequenceNumber` per stream, as strings) and parses the messages a bot sends to Twilio. No I/O, no
 * audio processing: `media` payloads go in and come out as µ-law bytes.
 */
import { PROTOCOL_LIMITS } from '@patchbay/agents';
import {
  TWILIO_MEDIA_FORMAT,
  TwilioMessageError,
  TwilioMessageErrorCode,
  type BotMessage,
  type TwilioConnected,
  type TwilioDtmf,
  type TwilioMark,
  type TwilioStart,
  type TwilioStop,
} from './messages.js';
import type { TwilioSids } from './sids.js';

/** Base64 as bots send it (standard alphabet, optional padding). Checked whole: `Buffer.from` would skip junk. */
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

export class TwilioSerializer {
  /** The last `sequenceNumber` used; `start` is 1 (`connected` has none). */
  private sequence = 0;

  constructor(readonly sids: TwilioSids) {}

  /** Messages sent so far that carry a `sequenceNumber`. */
  get sequenceNumber(): number {
    return this.sequence;
  }

  connected(): string {
    const msg: TwilioConnected = { event: 'connected', protocol: 'Call', version: '1.0.0' };
    return JSON.stringify(msg);
  }

  start(customParameters: Record<string, string>): string {
    const { accountSid, streamSid, callSid } = this.sids;
    const msg: TwilioStart = {
      event: 'start',
      sequenceNumber: this.next(),
      start: { accountSid, streamSid, callSid, tracks: ['inbound'], customParameters: { ...customParameters }, mediaFormat: { ...TWILIO_MEDIA_FORMAT } },
      streamSid,
    };
    return JSON.stringify(msg);
  }

  /**
   * One caller `media` message: `chunk` counts caller chunks from 1, `timestampMs` is the chunk's position in the
   * stream. Built by hand (every value is digits, base64 or a hex SID): it runs 50 times a second per call.
   */
  media(chunk: number, timestampMs: number, payload: Uint8Array): string {
    const b64 = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('base64');
    return `{"event":"media","sequenceNumber":"${this.next()}","media":{"track":"inbound","chunk":"${chunk}","timestamp":"${Math.round(timestampMs)}","payload":"${b64}"},"streamSid":"${this.sids.streamSid}"}`;
  }

  dtmf(digit: string): string {
    const msg: TwilioDtmf = { event: 'dtmf', streamSid: this.sids.streamSid, sequenceNumber: this.next(), dtmf: { track: 'inbound_track', digit } };
    return JSON.stringify(msg);
  }

  mark(name: string): string {
    const msg: TwilioMark = { event: 'mark', sequenceNumber: this.next(), streamSid: this.sids.streamSid, mark: { name } };
    return JSON.stringify(msg);
  }

  stop(): string {
    const { accountSid, callSid, streamSid } = this.sids;
    const msg: TwilioStop = { event: 'stop', sequenceNumber: this.next(), streamSid, stop: { accountSid, callSid } };
    return JSON.stringify(msg);
  }

  /**
   * A text message from the bot. Throws `TwilioMessageError` naming the fault. `streamSid` is not checked (a bot
   * has one stream per socket); unknown fields are ignored.
   */
  parse(text: string): BotMessage {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new TwilioMessageError(TwilioMessageErrorCode.NotAMessage, `not JSON: ${preview(text)}`);
    }
    if (!isRecord(value) || typeof value['event'] !== 'string') {
      throw new TwilioMessageError(TwilioMessageErrorCode.NotAMessage, `not an object with a string "event": ${preview(text)}`);
    }
    const event = value['event'];
    switch (event) {
      case 'media': {
        const media = value['media'];
        const payload = isRecord(media) ? media['payload'] : undefined;
        if (typeof payload !== 'string' || !BASE64.test(payload)) {
          throw new TwilioMessageError(TwilioMessageErrorCode.BadField, 'media.payload must be a non-empty base64 string');
        }
        const bytes = Buffer.from(payload, 'base64');
        return { event: 'media', payload: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
      }
      case 'mark': {
        const mark = value['mark'];
        const name = isRecord(mark) ? mark['name'] : undefined;
        if (typeof name !== 'string' || name.length === 0 || name.length > PROTOCOL_LIMITS.maxNameChars) {
          throw new TwilioMessageError(TwilioMessageErrorCode.BadField, `mark.name must be a string of 1-${PROTOCOL_LIMITS.maxNameChars} characters`);
        }
        return { event: 'mark', name };
      }
      case 'clear':
        return { event: 'clear' };
      default:
        throw new TwilioMessageError(TwilioMessageErrorCode.UnknownEvent, `unknown event "${event.slice(0, 40)}" (a bot may send media, mark, clear)`);
    }
  }

  private next(): string {
    this.sequence++;
    return String(this.sequence);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function preview(text: string): string {
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text);
}
