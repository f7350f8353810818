/**
 * Outbound pacing, drift-free, and the numbering of an outbound RTP stream. Both pure: the caller (the shared media
 * clock) passes monotonic `nowMs`, sends what is due, and owns the socket.
 *
 *   const due = clock.poll(nowMs);
 *   stream.skip(due.skipped);                       // a stall: time passed, nothing sent for it
 *   for (let i = 0; i < due.ticks; i++) {
 *     const header = stream.packet({ payloadBytes: frame.length }); // only on ticks that send audio
 *     socket.send(serializeRtp({ ...header, csrcs: [], payload: frame }));
 *     stream.endTick();                               // every tick, sent or not: the timestamp advances
 *   }
 */

export interface PlayoutClockOptions {
  ptimeMs?: number;
  /** Most ticks released by one poll after a stall; older due ticks are skipped (counted). Default 3. */
  maxCatchUpTicks?: number;
}

export interface DueTicks {
  /** Ticks to play now, oldest first. */
  ticks: number;
  /** Ticks that fell due during a stall and were dropped from the schedule (timestamps must still advance). */
  skipped: number;
}

/**
 * Tick k is due at `startMs + k·ptimeMs`: an absolute schedule, so callback lateness never accumulates. After a
 * stall, at most `maxCatchUpTicks` are released at once and the tick index jumps over the rest (a re-anchor, counted)
 * while the schedule keeps its phase, so even stalls cause no drift.
 */
export class PlayoutClock {
  readonly ptimeMs: number;
  readonly maxCatchUpTicks: number;
  private readonly startMs: number;
  /** Index of the next tick to release. */
  private next = 0;
  private released = 0;
  private skippedTotal = 0;
  private reanchorCount = 0;

  constructor(startMs: number, options: PlayoutClockOptions = {}) {
    this.startMs = startMs;
    this.ptimeMs = options.ptimeMs ?? 20;
    this.maxCatchUpTicks = Math.max(1, options.maxCatchUpTicks ?? 3);
  }

  poll(nowMs: number): DueTicks {
    // Ticks 0..lastDue are due; count them with integer arithmetic on the elapsed time.
    const lastDue = Math.floor((nowMs - this.startMs) / this.ptimeMs);
    const due = lastDue + 1 - this.next;
    if (due <= 0) return { ticks: 0, skipped: 0 };
    let skipped = 0;
    let ticks = due;
    if (due > this.maxCatchUpTicks) {
      skipped = due - this.maxCatchUpTicks;
      ticks = this.maxCatchUpTicks;
      this.skippedTotal += skipped;
      this.reanchorCount++;
    }
    this.next = lastDue + 1;
    this.released += ticks;
    return { ticks, skipped };
  }

  /** When the next tick falls due; a per-call timer would aim here. */
  get nextDueMs(): number {
    return this.startMs + this.next * this.ptimeMs;
  }

  get stats(): { ticks: number; skippedTicks: number; reanchors: number } {
    return { ticks: this.released, skippedTicks: this.skippedTotal, reanchors: this.reanchorCount };
  }
}

export interface RtpStreamOptions {
  payloadType: number;
  clockRate?: number;
  ptimeMs?: number;
  /** Uniform [0, 1) source for the initial SSRC, sequence number and timestamp (RFC 3550 §5.1); default crypto. */
  random?: () => number;
  ssrc?: number;
  initialSequence?: number;
  initialTimestamp?: number;
}

export interface RtpHeaderFields {
  payloadType: number;
  marker: boolean;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
}

export interface PacketOptions {
  /** Payload type of this packet (DTMF, comfort noise); default the stream's. */
  payloadType?: number;
  /** Timestamp override (a telephone-event keeps its start timestamp); default the current tick's. */
  timestamp?: number;
  /** Marker override; default: set on the first speech packet after a tick without speech. */
  marker?: boolean;
  /** False for packets that are not speech (DTMF, CN): they neither start nor continue a talk spurt. Default true. */
  speech?: boolean;
  /** Payload size, for the octet count of sender reports. */
  payloadBytes?: number;
}

function cryptoRandom(): number {
  return (globalThis.crypto.getRandomValues(new Uint32Array(1))[0] ?? 0) / 2 ** 32;
}

/**
 * Sequence numbers and timestamps of one outbound stream, continuous across silence and flushes: the timestamp
 * advances by samples-per-ptime every tick whatever was sent; the sequence number by one per packet sent.
 */
export class RtpStreamState {
  readonly ssrc: number;
  private pt: number;
  private rate: number;
  private perTick: number;
  private seq: number;
  private ts: number;
  private inSilence = true;
  private speechThisTick = false;
  private packets = 0;
  private octets = 0;

  constructor(options: RtpStreamOptions) {
    const random = options.random ?? cryptoRandom;
    this.pt = options.payloadType;
    this.rate = options.clockRate ?? 8000;
    this.perTick = Math.round(((options.ptimeMs ?? 20) * this.rate) / 1000);
    this.ssrc = (options.ssrc ?? Math.floor(random() * 2 ** 32)) >>> 0;
    this.seq = (options.initialSequence ?? Math.floor(random() * 0x10000)) & 0xffff;
    this.ts = (options.initialTimestamp ?? Math.floor(random() * 2 ** 32)) >>> 0;
  }

  get payloadType(): number {
    return this.pt;
  }

  get clockRate(): number {
    return this.rate;
  }

  get samplesPerTick(): number {
    return this.perTick;
  }

  /**
   * A codec change mid-call (a re-INVITE): the stream keeps its SSRC, sequence, timestamp and its packet and octet
   * counts (a sender report counts every packet of the SSRC, RFC 3550 §6.4.1); the next packet starts a talk spurt.
   */
  recode(options: { payloadType: number; clockRate: number; ptimeMs: number }): void {
    this.pt = options.payloadType;
    this.rate = options.clockRate;
    this.perTick = Math.round((options.ptimeMs * options.clockRate) / 1000);
    this.inSilence = true;
  }

  /** Timestamp of the current tick. */
  get timestamp(): number {
    return this.ts;
  }

  /** Sequence number the next packet will carry. */
  get sequenceNumber(): number {
    return this.seq;
  }

  get packetsSent(): number {
    return this.packets;
  }

  get octetsSent(): number {
    return this.octets;
  }

  /** Header fields for a packet sent in the current tick; the sequence number advances. */
  packet(options: PacketOptions = {}): RtpHeaderFields {
    const speech = options.speech ?? true;
    const marker = options.marker ?? (speech && this.inSilence);
    if (speech) {
      this.inSilence = false;
      this.speechThisTick = true;
    }
    const header: RtpHeaderFields = {
      payloadType: options.payloadType ?? this.pt,
      marker,
      sequenceNumber: this.seq,
      timestamp: (options.timestamp ?? this.ts) >>> 0,
      ssrc: this.ssrc,
    };
    this.seq = (this.seq + 1) & 0xffff;
    this.packets++;
    this.octets += options.payloadBytes ?? 0;
    return header;
  }

  /** Ends the current tick: the timestamp advances; a tick without speech ends the talk spurt. */
  endTick(): void {
    if (!this.speechThisTick) this.inSilence = true;
    this.speechThisTick = false;
    this.ts = (this.ts + this.perTick) >>> 0;
  }

  /** Ticks that passed without being played (a stall): the timestamp advances, the next speech is a new spurt. */
  skip(ticks: number): void {
    if (ticks <= 0) return;
    this.ts = (this.ts + ticks * this.perTick) >>> 0;
    this.inSilence = true;
    this.speechThisTick = false;
  }

  /** The next speech packet starts a talk spurt (after a flush or barge-in), marker set. */
  startTalkspurt(): void {
    this.inSilence = true;
  }
}
