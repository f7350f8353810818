/**
 * Splits a byte stream (TCP) into whole SIP messages by Content-Length (RFC 3261 §18.3). Pure: feed bytes, get
 * messages. The buffer never holds more than `maxMessageBytes`. Keep-alives between messages (RFC 5626 §3.5.1)
 * are dropped: a CRLFCRLF ping is counted in `pings` so the caller can answer it with a CRLF pong; a lone CRLF
 * (pong) is just dropped. A framing error is fatal for the stream: the caller closes the connection.
 */
import { SipErrorCode, SipParseError } from '../errors.js';
import { frameLength } from '../parser.js';

export interface FramerOutput {
  /** Whole messages, in order (views into the received bytes, no copies). */
  readonly messages: Buffer[];
  /** CRLFCRLF keep-alive pings seen. */
  readonly pings: number;
}

export class StreamFramer {
  private buffer: Buffer = Buffer.alloc(0);
  private failed = false;

  constructor(private readonly maxMessageBytes: number) {}

  /** Bytes held while waiting for the rest of a message. */
  get buffered(): number {
    return this.buffer.length;
  }

  /**
   * Appends `chunk` and returns every message now complete. Throws SipParseError on a framing error (bad or
   * missing Content-Length, message over the limit); every later call throws too.
   */
  push(chunk: Buffer): FramerOutput {
    if (this.failed) {
      throw new SipParseError(400, 'Bad Request - Stream already failed', { code: SipErrorCode.Incomplete });
    }
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const messages: Buffer[] = [];
    let pings = 0;
    try {
      while (this.buffer.length > 0) {
        const length = frameLength(this.buffer, this.maxMessageBytes);
        if (length === 'keepalive') {
          const ping = isPing(this.buffer);
          if (ping === 'wait') break;
          if (ping) pings++;
          this.buffer = this.buffer.subarray(ping ? 4 : 2);
          continue;
        }
        if (length === 'incomplete') {
          if (this.buffer.length > this.maxMessageBytes) {
            throw new SipParseError(513, 'Message Too Large', { code: SipErrorCode.TooLarge });
          }
          break;
        }
        if (length <= 0) throw new SipParseError(400, 'Bad Request - Unframable', { code: SipErrorCode.Incomplete });
        messages.push(this.buffer.subarray(0, length));
        this.buffer = this.buffer.subarray(length);
      }
    } catch (err) {
      this.failed = true;
      this.buffer = Buffer.alloc(0);
      throw err;
    }
    return { messages, pings };
  }
}

/** `buf` starts with CRLF: a CRLFCRLF ping, a CRLF pong, or too short to tell yet. */
function isPing(buf: Buffer): boolean | 'wait' {
  if (buf.length < 4) {
    const partialPing = buf.length < 3 || buf[2] === 0x0d;
    return partialPing ? 'wait' : false;
  }
  return buf[2] === 0x0d && buf[3] === 0x0a;
}
