/**
 * Latency-first ordering of one inbound RTP stream, for listeners that do not play the audio (speech-to-text,
 * realtime speech models): the `immediate` uplink mode. Pure and synchronous like the jitter buffer: `push()` on every
 * received packet and `poll(nowMs)` on the clock's ticks each return what to play now, in order.
 *
 * In order. The next packet in sequence (per SSRC, with wrap-around; the first packet starts the stream, a new SSRC
 * restarts it) comes straight back out of `push()`: no deliberate delay.
 *
 * Reordering and loss. A packet ahead of a missing one is held, at most `maxHeld` packets for at most `holdMs` after
 * the first of them arrived. If the missing packet comes in time, it and the held ones go out in order. Otherwise the
 * gap is lost: one `conceal` per missing packet, at most `maxConcealPackets` (a longer gap is skipped, the stream
 * resyncs to the held packet), then the held packets. A packet older than what already went out is late, dropped;
 * one seen before is a duplicate, dropped.
 *
 * Starvation. The agent is promised a frame every packet time from the answer on. When nothing has come `fillAfterMs`
 * after the next packet was due (caller silent: DTX, on hold, a network stall), `poll()` fills the slot: `conceal`
 * for the first `maxConcealPackets` after audio, `empty` (silence) after. A fill takes no sequence number, so a packet
 * that was merely slow still plays; when it turns out lost, the fills count towards its gap's concealment.
 *
 * Packets of the stream that carry no audio (RFC 4733 telephone events share its sequence numbers) are `skip()`ped,
 * so the audio after a DTMF press is in order, not a gap.
 */
import type { JitterOutput, JitterPacket } from './jitter-buffer.js';

export interface ReorderBufferOptions {
  /** Packet time of the stream. Default 20. */
  ptimeMs?: number;
  /** How long packets ahead of a missing one wait for it. Default one packet time + HOLD_SLACK_MS. */
  holdMs?: number;
  /** Most packets held for a missing one; one more releases them at once. Default 3. */
  maxHeld?: number;
  /** Most concealment for one gap, and for one starvation before silence. Default 3 packets. */
  maxConcealPackets?: number;
  /** How late the next packet may be before its slot is filled. Default two packet times. */
  fillAfterMs?: number;
}

export interface ReorderStats {
  /** Audio held for a missing packet, holes included; 0 while everything arrives in order. */
  depthMs: number;
  /** Deliberate delay: none in this mode. */
  targetMs: 0;
  /** Packets that arrived after their place in the stream had gone out, dropped. */
  late: number;
  duplicates: number;
  /** `conceal` outputs: missing packets, plus starvation fills right after audio. */
  concealed: number;
  /** Sequence numbers that never arrived in time (skipped past, concealed up to `maxConcealPackets` per gap). */
  lost: number;
  /** Times the stream ran dry after audio (slots filled until the next packet). */
  underruns: number;
  /** Packets that waited for a missing one and went out after it. */
  reordered: number;
  /** Stream restarts: a new SSRC, or a sequence jump confirmed by the packet after it. */
  resyncs: number;
}

interface Held {
  ext: number;
  /** The packet's audio; undefined for a packet of the stream that carries none (a telephone event). */
  packet: JitterPacket | undefined;
  arrivalMs: number;
}

/** Sequence numbers: 16 bits, extended to a running count on arrival. */
const SEQ_MOD = 0x10000;
/** RFC 3550 A.1: further behind than this is not reordering but a restart (once the next packet confirms it). */
const MAX_MISORDER = 100;
/** RFC 3550 A.1: further ahead than this is not loss but a restart (once the next packet confirms it). */
const MAX_DROPOUT = 3000;
/** Recent sequence numbers remembered, to tell a duplicate from a late packet. */
const SEEN_RING = 256;
/** The hold beyond one packet time: the timer granularity of a typical sender plus the media clock's 2 ms tick. */
const HOLD_SLACK_MS = 5;
/** Most starvation slots one poll fills after an event-loop stall; the schedule skips the rest. */
const MAX_CATCH_UP = 3;

/** Shared and frozen: nothing to play (almost every poll). */
const NOTHING: readonly JitterOutput[] = Object.freeze([]);
const CONCEAL: JitterOutput = Object.freeze({ kind: 'conceal' });
const EMPTY: JitterOutput = Object.freeze({ kind: 'empty' });

export class ReorderBuffer {
  /** Packet time of the stream; the owner updates it when the caller's real packet time differs from SDP. */
  ptimeMs: number;
  readonly maxHeld: number;
  readonly maxConcealPackets: number;
  private readonly holdOption: number | undefined;
  private readonly fillAfterOption: number | undefined;

  private ssrc: number | undefined;
  /** Extended sequence number of the next packet to go out; undefined until the stream starts. */
  private expected: number | undefined;
  /** Packets ahead of `expected`, ascending by sequence number. */
  private readonly held: Held[] = [];
  private readonly seen = new Int32Array(SEEN_RING).fill(-1);
  private probe: JitterPacket | undefined;
  /** When the next slot's audio is due (arrival-anchored); starvation fills start `fillAfterMs` after it. */
  private nextDueMs: number | undefined;
  /** Slots filled since the last audio went out. Infinity before the first: the stream starts in silence. */
  private fillsSinceAudio = Infinity;

  private readonly counters = { late: 0, duplicates: 0, concealed: 0, lost: 0, underruns: 0, reordered: 0, resyncs: 0 };

  constructor(options: ReorderBufferOptions = {}) {
    this.ptimeMs = options.ptimeMs ?? 20;
    this.maxHeld = Math.max(1, options.maxHeld ?? 3);
    this.maxConcealPackets = Math.max(0, options.maxConcealPackets ?? 3);
    this.holdOption = options.holdMs;
    this.fillAfterOption = options.fillAfterMs;
  }

  get holdMs(): number {
    return this.holdOption ?? this.ptimeMs + HOLD_SLACK_MS;
  }

  get fillAfterMs(): number {
    return this.fillAfterOption ?? 2 * this.ptimeMs;
  }

  /** A packet of audio: what can play now, in order (usually the packet itself). */
  push(p: JitterPacket): readonly JitterOutput[] {
    return this.accept(p.seq, p.ssrc, p.arrivalMs, p);
  }

  /** A packet of the stream that carries no audio (a telephone event): it takes its sequence number, plays nothing. */
  skip(p: { seq: number; ssrc: number; arrivalMs: number }): readonly JitterOutput[] {
    if (this.ssrc === undefined || p.ssrc !== this.ssrc) return NOTHING; // another stream: not ours to number
    return this.accept(p.seq, p.ssrc, p.arrivalMs, undefined);
  }

  /** The clock's tick: held packets whose wait is over, and fills for a stream that has gone quiet. */
  poll(nowMs: number): readonly JitterOutput[] {
    if (this.nextDueMs === undefined) this.nextDueMs = nowMs + this.ptimeMs; // the schedule starts with the clock
    if (this.held.length > 0) {
      if (nowMs < this.holdDeadline()) return NOTHING;
      const out: JitterOutput[] = [];
      this.expire(nowMs, out);
      return out;
    }
    if (nowMs < this.nextDueMs + this.fillAfterMs) return NOTHING;
    const out: JitterOutput[] = [];
    this.fill(nowMs, out);
    return out;
  }

  get stats(): ReorderStats {
    const last = this.held.at(-1);
    const depthMs = last === undefined || this.expected === undefined ? 0 : (last.ext - this.expected + 1) * this.ptimeMs;
    return { depthMs, targetMs: 0, ...this.counters };
  }

  private accept(seq16: number, ssrc: number | undefined, arrivalMs: number, packet: JitterPacket | undefined): JitterOutput[] {
    const out: JitterOutput[] = [];
    if (ssrc !== undefined) {
      if (this.ssrc !== undefined && ssrc !== this.ssrc) this.restart(out);
      this.ssrc = ssrc;
    }
    if (this.held.length > 0) this.expire(arrivalMs, out); // a wait that ended before this packet came

    const seq = seq16 & 0xffff;
    const expected = this.expected ?? SEQ_MOD + seq; // the first packet starts the stream
    let delta = (seq - expected) & 0xffff;
    if (delta >= 0x8000) delta -= SEQ_MOD;
    const ext = expected + delta;
    if (delta < -MAX_MISORDER || delta > MAX_DROPOUT) {
      this.probeJump(seq, packet, out);
      return out;
    }
    this.expected = expected;
    this.probe = undefined;
    if (this.seen[ext & (SEEN_RING - 1)] === ext) {
      this.counters.duplicates++;
      return out;
    }
    if (delta < 0) {
      this.counters.late++;
      return out;
    }
    this.seen[ext & (SEEN_RING - 1)] = ext;
    if (delta === 0) {
      this.release(ext, packet, arrivalMs, out);
      if (this.held.length > 0) this.releaseInOrder(out, false);
      return out;
    }
    this.hold({ ext, packet, arrivalMs });
    while (this.held.length > this.maxHeld) this.releaseGap(out); // waited for long enough in packets, if not in time
    return out;
  }

  private hold(h: Held): void {
    let i = this.held.length;
    while (i > 0 && (this.held[i - 1]?.ext ?? -1) > h.ext) i--;
    this.held.splice(i, 0, h);
  }

  /** Releases every gap whose wait is over at `nowMs`. */
  private expire(nowMs: number, out: JitterOutput[]): void {
    while (this.held.length > 0 && nowMs >= this.holdDeadline()) this.releaseGap(out);
  }

  /** The held packets' wait ends `holdMs` after the first of them arrived. */
  private holdDeadline(): number {
    let first = Infinity;
    for (const h of this.held) if (h.arrivalMs < first) first = h.arrivalMs;
    return first + this.holdMs;
  }

  /** The packets before the first held one are lost: conceal them (capped, less what starvation filled), move on. */
  private releaseGap(out: JitterOutput[]): void {
    const first = this.held[0];
    if (first === undefined || this.expected === undefined) return;
    const gap = first.ext - this.expected;
    const conceal = Math.max(0, Math.min(gap, this.maxConcealPackets) - this.fillsSinceAudio);
    this.counters.lost += gap;
    this.counters.concealed += conceal;
    for (let i = 0; i < conceal; i++) out.push(CONCEAL);
    if (this.nextDueMs !== undefined) this.nextDueMs += conceal * this.ptimeMs;
    this.expected = first.ext;
    this.releaseInOrder(out, true);
  }

  /** Releases the held packets that are next in sequence. */
  private releaseInOrder(out: JitterOutput[], afterGap: boolean): void {
    let first = this.held[0];
    while (first !== undefined && first.ext === this.expected) {
      this.held.shift();
      if (!afterGap && first.packet !== undefined) this.counters.reordered++;
      this.release(first.ext, first.packet, first.arrivalMs, out);
      first = this.held[0];
    }
  }

  private release(ext: number, p: JitterPacket | undefined, arrivalMs: number, out: JitterOutput[]): void {
    this.expected = ext + 1;
    if (p === undefined) return;
    out.push({ kind: 'audio', payload: p.payload, seq: ext & 0xffff, timestamp: p.timestamp >>> 0, arrivalMs });
    this.fillsSinceAudio = 0;
    this.nextDueMs = Math.max(this.nextDueMs ?? arrivalMs, arrivalMs) + this.ptimeMs;
  }

  /** Fills the slots whose audio is `fillAfterMs` overdue: concealment right after audio, then silence. */
  private fill(nowMs: number, out: JitterOutput[]): void {
    let due = this.nextDueMs ?? nowMs;
    for (let n = 0; nowMs >= due + this.fillAfterMs; n++) {
      if (n === MAX_CATCH_UP) {
        due = nowMs - this.fillAfterMs + this.ptimeMs; // an event-loop stall: skip what the clock missed
        break;
      }
      if (this.fillsSinceAudio === 0) this.counters.underruns++;
      if (this.fillsSinceAudio < this.maxConcealPackets) {
        this.counters.concealed++;
        out.push(CONCEAL);
      } else {
        out.push(EMPTY);
      }
      this.fillsSinceAudio++;
      due += this.ptimeMs;
    }
    this.nextDueMs = due;
  }

  /** A new stream (SSRC change, confirmed jump): what was held plays, numbering starts again. */
  private restart(out: JitterOutput[]): void {
    while (this.held.length > 0) this.releaseGap(out);
    this.expected = undefined;
    this.seen.fill(-1);
    this.probe = undefined;
    this.counters.resyncs++;
  }

  /** RFC 3550 A.1: a huge jump is a restart only when the next packet follows it; otherwise a stray, dropped. */
  private probeJump(seq: number, packet: JitterPacket | undefined, out: JitterOutput[]): void {
    if (packet === undefined) return; // a telephone event far off the audio's numbering: nothing to play or to probe
    const previous = this.probe;
    if (previous !== undefined && ((previous.seq + 1) & 0xffff) === seq) {
      this.restart(out);
      out.push(...this.push(previous), ...this.push(packet));
      return;
    }
    this.counters.late++;
    this.probe = packet;
  }
}
