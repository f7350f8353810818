/**
 * DTMF as RTP telephone-events (RFC 4733, formerly RFC 2833). Payload: event code (8 bits), E bit, R bit, volume
 * (6 bits, −dBm0), duration (16 bits, timestamp units). One key press is one RTP timestamp: the sender repeats
 * updates with a growing duration and the final (E) packet three times; the receiver turns all of that into ONE
 * event. Both classes are pure: time is an argument.
 */

export type DtmfDigit = '0' | '1' | '2' | '3' | '4' | '5' | '6' | '7' | '8' | '9' | '*' | '#' | 'A' | 'B' | 'C' | 'D';

export interface DtmfEvent {
  digit: DtmfDigit;
  durationMs: number;
  /** Power level in −dBm0 (0–63; larger is quieter). */
  volume: number;
}

const DIGITS: readonly DtmfDigit[] = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '#', 'A', 'B', 'C', 'D'];

/** The digit of an RFC 4733 event code (0–15), or undefined for other events (flash, tones). */
export function digitOfEvent(code: number): DtmfDigit | undefined {
  return DIGITS[code];
}

/** The RFC 4733 event code of a digit (case-insensitive for A–D), or undefined. */
export function eventOfDigit(digit: string): number | undefined {
  const i = (DIGITS as readonly string[]).indexOf(digit.toUpperCase());
  return i < 0 ? undefined : i;
}

export function isDtmfDigit(s: string): s is DtmfDigit {
  return (DIGITS as readonly string[]).includes(s);
}

/** What the receiver needs of an RTP packet of the telephone-event payload type. */
export interface TelephoneEventPacket {
  timestamp: number;
  payload: Uint8Array;
}

export interface DtmfReceiverOptions {
  /** Clock rate of the telephone-event payload type (its SDP rtpmap). Default 8000. */
  clockRate?: number;
  /** An event with no packet for this long has ended even though no end packet came. Default 300. */
  endTimeoutMs?: number;
}

interface Current {
  timestamp: number;
  code: number;
  duration: number;
  volume: number;
  lastMs: number;
}

const RECENT = 8;

export class DtmfReceiver {
  private readonly clockRate: number;
  private readonly endTimeoutMs: number;
  private current: Current | undefined;
  /** Timestamps of recently finished events: their redundant end packets and late updates are ignored. */
  private readonly finished: number[] = [];

  constructor(options: DtmfReceiverOptions = {}) {
    this.clockRate = options.clockRate ?? 8000;
    this.endTimeoutMs = options.endTimeoutMs ?? 300;
  }

  /** Feeds one telephone-event packet; returns the key presses that ended (usually none, at most two). */
  push(packet: TelephoneEventPacket, nowMs: number): DtmfEvent[] {
    const p = packet.payload;
    if (p.length < 4) return [];
    const code = p[0] ?? 0;
    const flags = p[1] ?? 0;
    const duration = ((p[2] ?? 0) << 8) | (p[3] ?? 0);
    const timestamp = packet.timestamp >>> 0;
    if (this.finished.includes(timestamp)) return [];

    const out: DtmfEvent[] = [];
    let current = this.current;
    if (current !== undefined && current.timestamp !== timestamp) {
      this.finish(current, out); // its end packets were lost: a new key press ends it
      current = undefined;
    }
    if (current === undefined) {
      current = { timestamp, code, duration, volume: flags & 0x3f, lastMs: nowMs };
      this.current = current;
    } else {
      if (duration > current.duration) current.duration = duration;
      current.lastMs = nowMs;
    }
    if ((flags & 0x80) !== 0) this.finish(current, out);
    return out;
  }

  /** Ends an event whose end packets never came, `endTimeoutMs` after its last packet. */
  tick(nowMs: number): DtmfEvent[] {
    const current = this.current;
    if (current === undefined || nowMs - current.lastMs < this.endTimeoutMs) return [];
    const out: DtmfEvent[] = [];
    this.finish(current, out);
    return out;
  }

  private finish(c: Current, out: DtmfEvent[]): void {
    this.current = undefined;
    this.finished.push(c.timestamp);
    if (this.finished.length > RECENT) this.finished.shift();
    const digit = digitOfEvent(c.code);
    if (digit !== undefined) out.push({ digit, durationMs: (c.duration * 1000) / this.clockRate, volume: c.volume });
  }
}

/** One telephone-event packet to send; the caller adds the RTP header (seq from the stream, this timestamp). */
export interface DtmfOutPacket {
  payload: Uint8Array;
  /** Set on the first packet of the event. */
  marker: boolean;
  /** The event's timestamp: the same in every packet of one key press. */
  timestamp: number;
  end: boolean;
}

export interface DtmfSenderOptions {
  clockRate?: number;
  ptimeMs?: number;
  /** −dBm0, default 10. */
  volume?: number;
  /** Digits waiting beyond this are refused. Default 32. */
  maxQueue?: number;
  /** Pause between two queued digits, default 40 ms (audio flows meanwhile). */
  gapMs?: number;
}

interface Pending {
  code: number;
  totalSamples: number;
}

/**
 * Produces the telephone-event packets of queued digits, one `tick()` per ptime: the start packet (marker),
 * updates with growing duration, then the end packet three times; the event timestamp stays fixed.
 */
export class DtmfSender {
  private readonly samplesPerTick: number;
  private readonly volume: number;
  private readonly maxQueue: number;
  private readonly gapTicks: number;
  private readonly queue: Pending[] = [];
  private active: (Pending & { timestamp: number; tick: number; ticks: number }) | undefined;
  private gapLeft = 0;
  private readonly clockRate: number;

  constructor(options: DtmfSenderOptions = {}) {
    this.clockRate = options.clockRate ?? 8000;
    this.samplesPerTick = Math.round(((options.ptimeMs ?? 20) * this.clockRate) / 1000);
    this.volume = Math.max(0, Math.min(63, options.volume ?? 10));
    this.maxQueue = options.maxQueue ?? 32;
    this.gapTicks = Math.ceil(((options.gapMs ?? 40) * this.clockRate) / 1000 / this.samplesPerTick);
  }

  /** Queues a key press; false if the digit is invalid or the queue is full. Duration clamped to one ptime–8 s. */
  send(digit: string, durationMs: number): boolean {
    const code = eventOfDigit(digit);
    if (code === undefined || this.queue.length >= this.maxQueue) return false;
    const samples = Math.round((durationMs * this.clockRate) / 1000);
    this.queue.push({ code, totalSamples: Math.max(this.samplesPerTick, Math.min(0xffff, samples)) });
    return true;
  }

  /** True while an event is being sent (the caller suppresses audio on those ticks). */
  get busy(): boolean {
    return this.active !== undefined;
  }

  get queued(): number {
    return this.queue.length;
  }

  /** Drops queued digits (not the one being sent, whose end must still go out). */
  clear(): void {
    this.queue.length = 0;
  }

  /** Packets for this tick; `timestamp` is the stream's timestamp of this tick (used when an event starts). */
  tick(timestamp: number): DtmfOutPacket[] {
    if (this.active === undefined) {
      if (this.gapLeft > 0) {
        this.gapLeft--;
        return [];
      }
      const next = this.queue.shift();
      if (next === undefined) return [];
      this.active = { ...next, timestamp: timestamp >>> 0, tick: 0, ticks: Math.ceil(next.totalSamples / this.samplesPerTick) };
    }
    const a = this.active;
    const k = a.tick++;
    const end = k >= a.ticks - 1;
    const duration = end ? a.totalSamples : (k + 1) * this.samplesPerTick;
    if (k >= a.ticks + 1) {
      this.active = undefined; // third end packet
      this.gapLeft = this.gapTicks;
    }
    const payload = new Uint8Array([a.code, (end ? 0x80 : 0) | this.volume, duration >>> 8, duration & 0xff]);
    return [{ payload, marker: k === 0, timestamp: a.timestamp, end }];
  }
}
