/**
 * Splits a byte stream (TCP) into whole SIP messages by Content-Length (RFC 3261 §18.3). Pure: feed bytes, get
 * messages. The buffer never holds more than `maxMessageBytes` of one message. Keep-alives between messages
 * (RFC 5626 §3.5.1) are dropped: a CRLFCRLF ping is counted in `pings` so the caller can answer it with a CRLF
 * pong; a lone CRLF (pong) is just dropped. A framing error is fatal for the stream: the caller closes the
 * connection.
 *
 * Linear: each received byte is copied at most a constant number of times and examined once while looking for
 * the empty line that ends a head (the scan resumes where the previous chunk's scan stopped), however finely the
 * peer splits its writes. `examined` counts the bytes looked at, so tests can check this without timing.
 */
import { SipErrorCode, SipParseError } from '../errors.js';
import { streamContentLength } from '../parser.js';

export interface FramerOutput {
  /**
   * Whole messages, in order. Each is either a view into a chunk passed to `push` or a fresh copy, never a view
   * into the framer's own buffer, so a message may be kept after later pushes.
   */
  readonly messages: Buffer[];
  /** CRLFCRLF keep-alive pings seen. */
  readonly pings: number;
}

const LF = 0x0a;
const CR = 0x0d;
const INITIAL_CAPACITY = 4096;

export class StreamFramer {
  /** Bytes of a message not yet complete: `store[0, stored)`, starting at a message boundary. */
  private store: Buffer = Buffer.alloc(0);
  private stored = 0;
  /** Offset (from the message start) where the search for the head's empty line resumes. */
  private scanFrom = 0;
  /** Total length of the current message once its head is complete (its Content-Length is known). */
  private total: number | undefined;
  private failed = false;
  private examinedBytes = 0;

  constructor(private readonly maxMessageBytes: number) {}

  /** Bytes held while waiting for the rest of a message. */
  get buffered(): number {
    return this.stored;
  }

  /** Bytes examined so far while looking for the ends of heads (for tests: this grows linearly with input). */
  get examined(): number {
    return this.examinedBytes;
  }

  /**
   * Appends `chunk` and returns every message now complete. Throws SipParseError on a framing error (bad or
   * missing Content-Length, message over the limit); every later call throws too.
   */
  push(chunk: Buffer): FramerOutput {
    if (this.failed) {
      throw new SipParseError(400, 'Bad Request - Stream already failed', { code: SipErrorCode.Incomplete });
    }
    try {
      return this.stored === 0 ? this.frameChunk(chunk) : this.frameStored(chunk);
    } catch (err) {
      this.failed = true;
      this.store = Buffer.alloc(0);
      this.stored = 0;
      throw err;
    }
  }

  /** Nothing is buffered: frame straight from `chunk` (messages are views into it) and keep the tail. */
  private frameChunk(chunk: Buffer): FramerOutput {
    const messages: Buffer[] = [];
    let pings = 0;
    let pos = 0;
    for (;;) {
      const step = this.next(chunk, pos);
      if (step.kind === 'wait') break;
      if (step.kind === 'skip') {
        if (step.ping) pings++;
        pos += step.length;
        continue;
      }
      messages.push(chunk.subarray(pos, pos + step.length));
      pos += step.length;
      this.reset();
    }
    this.keep(chunk, pos, chunk.length);
    return { messages, pings };
  }

  /** A message is partly buffered: append, frame from the buffer (messages are copies), keep the tail. */
  private frameStored(chunk: Buffer): FramerOutput {
    this.append(chunk);
    const data = this.store.subarray(0, this.stored);
    const messages: Buffer[] = [];
    let pings = 0;
    let pos = 0;
    for (;;) {
      const step = this.next(data, pos);
      if (step.kind === 'wait') break;
      if (step.kind === 'skip') {
        if (step.ping) pings++;
        pos += step.length;
        continue;
      }
      messages.push(Buffer.from(data.subarray(pos, pos + step.length)));
      pos += step.length;
      this.reset();
    }
    if (pos > 0) {
      data.copyWithin(0, pos, this.stored);
      this.stored -= pos;
    }
    return { messages, pings };
  }

  /**
   * What the bytes of `data` from `pos` (a message boundary) hold: a keep-alive or stray line end to skip, a
   * whole message of `length` bytes, or not enough yet. `scanFrom`/`total` carry the progress on the current
   * message across calls; they are relative to `pos`.
   */
  private next(data: Buffer, pos: number): Step {
    const available = data.length - pos;
    if (available === 0) return WAIT;
    if (this.total === undefined && this.scanFrom === 0) {
      const first = data[pos];
      if (first === CR || first === LF) return this.lineEnd(data, pos, available);
    }
    if (this.total === undefined) {
      const head = this.findHeadEnd(data, pos);
      if (head === undefined) {
        if (available > this.maxMessageBytes) throw new SipParseError(513, 'Message Too Large', { code: SipErrorCode.TooLarge });
        return WAIT;
      }
      const cl = streamContentLength(data.subarray(pos, pos + head.textEnd));
      const total = head.bodyStart + cl;
      if (total > this.maxMessageBytes) throw new SipParseError(513, 'Message Too Large', { code: SipErrorCode.TooLarge });
      this.total = total;
    }
    return available >= this.total ? { kind: 'message', length: this.total } : WAIT;
  }

  /** Line ends at a message boundary: CRLFCRLF ping, CRLF pong (RFC 5626 §3.5.1), or a stray CR/LF (dropped). */
  private lineEnd(data: Buffer, pos: number, available: number): Step {
    if (data[pos] === LF) return { kind: 'skip', length: 1, ping: false };
    if (available < 2) return WAIT;
    if (data[pos + 1] !== LF) return { kind: 'skip', length: 1, ping: false };
    if (available < 3) return WAIT;
    if (data[pos + 2] !== CR) return { kind: 'skip', length: 2, ping: false };
    if (available < 4) return WAIT;
    const ping = data[pos + 3] === LF;
    return { kind: 'skip', length: ping ? 4 : 2, ping };
  }

  /**
   * Looks for the empty line (LF LF or LF CR LF) ending the head that starts at `pos`, from where the last look
   * stopped. Returns offsets relative to `pos`: `textEnd` (the LF ending the last header line) and `bodyStart`.
   */
  private findHeadEnd(data: Buffer, pos: number): { textEnd: number; bodyStart: number } | undefined {
    const limit = Math.min(data.length, pos + this.maxMessageBytes + 3);
    let i = pos + this.scanFrom;
    for (;;) {
      const lf = data.indexOf(LF, i);
      if (lf < 0 || lf >= limit) {
        this.note(i, limit);
        this.scanFrom = Math.max(limit, i) - pos;
        return undefined;
      }
      const a = data[lf + 1];
      const b = data[lf + 2];
      if (a === LF) {
        this.note(i, lf + 2);
        return { textEnd: lf - pos, bodyStart: lf + 2 - pos };
      }
      if (a === CR && b === LF) {
        this.note(i, lf + 3);
        return { textEnd: lf - pos, bodyStart: lf + 3 - pos };
      }
      if (a === undefined || (a === CR && b === undefined)) {
        // The line end may continue in the next chunk: look at this LF again then.
        this.note(i, lf);
        this.scanFrom = lf - pos;
        return undefined;
      }
      this.note(i, lf + 1);
      i = lf + 1;
    }
  }

  private note(from: number, to: number): void {
    if (to > from) this.examinedBytes += to - from;
  }

  private reset(): void {
    this.scanFrom = 0;
    this.total = undefined;
  }

  /** Stores `chunk[from, to)` as the start of the next message (the buffer is empty). */
  private keep(chunk: Buffer, from: number, to: number): void {
    this.stored = 0;
    if (to > from) this.append(chunk.subarray(from, to));
  }

  /** Appends to the buffer, doubling its capacity as needed (amortised linear). */
  private append(bytes: Buffer): void {
    const needed = this.stored + bytes.length;
    if (needed > this.store.length) {
      let capacity = Math.max(INITIAL_CAPACITY, this.store.length);
      while (capacity < needed) capacity *= 2;
      const grown = Buffer.allocUnsafe(capacity);
      this.store.copy(grown, 0, 0, this.stored);
      this.store = grown;
    }
    bytes.copy(this.store, this.stored);
    this.stored = needed;
  }
}

type Step =
  | { readonly kind: 'wait' }
  | { readonly kind: 'skip'; readonly length: number; readonly ping: boolean }
  | { readonly kind: 'message'; readonly length: number };

const WAIT: Step = { kind: 'wait' };
