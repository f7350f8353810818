/**
 * Adaptive jitter buffer for one inbound RTP stream. Pure and synchronous: `push()` on every received packet,
 * `pop(nowMs)` once per ptime from the playout clock. Bounded: at most `capacity` packets, oldest dropped and counted.
 *
 * Model. `targetMs` is the buffering delay given to the earliest-arriving packets; later packets (network jitter)
 * eat into it and are late once they arrive after their slot. The target follows the RFC 3550 interarrival-jitter
 * estimate (× `jitterFactor`), clamped to [minDelayMs, maxDelayMs]: it rises at once and decays slowly.
 * The real delay follows the target: playout starts when the first packet has waited `targetMs`; when the buffer
 * runs dry, playout stalls (conceal without consuming a sequence number) so a late packet still plays and the delay
 * grows; every `adaptWindowPops` pops the delay of the earliest packet in the window is compared with the target and
 * one packet is skipped (too deep) or one stall inserted (too shallow); silence gaps (DTX) are compressed when deep.
 *
 * Loss vs silence. A sequence gap with later packets waiting is loss: one `conceal` per missing packet. A timestamp
 * jump with contiguous sequence numbers is silence (DTX): `empty` for each silent slot, no loss counted. An empty
 * buffer conceals up to `maxConcealMs`, then plays `empty` and re-buffers; the next talk spurt starts afresh.
 */

export interface JitterPacket {
  seq: number;
  timestamp: number;
  payload: Uint8Array;
  /** Monotonic arrival time in ms. */
  arrivalMs: number;
  marker: boolean;
  /** When given, a change of SSRC flushes and restarts the buffer. */
  ssrc?: number;
}

export type JitterOutput =
  | { kind: 'audio'; payload: Uint8Array; seq: number; timestamp: number; arrivalMs: number }
  | { kind: 'conceal' }
  | { kind: 'empty' };

export interface JitterBufferOptions {
  /** Packetization time of the stream; `pop()` is called this often. Default 20. */
  ptimeMs?: number;
  /** RTP clock rate. Default 8000. */
  clockRate?: number;
  minDelayMs?: number;
  maxDelayMs?: number;
  startDelayMs?: number;
  /** Most packets held; default enough for 2 × maxDelayMs. */
  capacity?: number;
  /** Concealment played into an empty buffer before giving up and playing silence. Default 60. */
  maxConcealMs?: number;
  /** Target = jitterFactor × RFC 3550 jitter estimate. Default 4. */
  jitterFactor?: number;
  /** How fast the target decays when jitter falls. Default 10 ms per second. */
  shrinkMsPerSecond?: number;
  /** Pops per adaptation window. Default 25 (0.5 s at 20 ms). */
  adaptWindowPops?: number;
  /** A jump of more than this many packets (either way) is a new stream once a following packet confirms it. */
  maxSeqJump?: number;
}

export interface JitterStats {
  /** Audio queued from the next slot to the newest packet, holes included. */
  depthMs: number;
  targetMs: number;
  /** RFC 3550 interarrival jitter estimate, ms. */
  jitterMs: number;
  /** Packets that arrived after their slot (or were concealed already), dropped. */
  late: number;
  duplicates: number;
  /** `conceal` outputs: lost packets plus stalls on an empty buffer. */
  concealed: number;
  /** Sequence numbers that never arrived in time (concealed as missing). */
  lost: number;
  /** Times the buffer ran dry while playing. */
  underruns: number;
  /** Packets dropped on purpose to reduce the delay. */
  skipped: number;
  overflowDropped: number;
  resyncs: number;
}

interface Entry {
  ext: number;
  timestamp: number;
  payload: Uint8Array;
  arrivalMs: number;
}

const SEQ_MOD = 0x10000;
const SEEN_RING = 1024;

export class JitterBuffer {
  readonly ptimeMs: number;
  readonly clockRate: number;
  readonly minDelayMs: number;
  readonly maxDelayMs: number;
  readonly capacity: number;
  private readonly samplesPerPacket: number;
  private readonly maxConcealPops: number;
  private readonly jitterFactor: number;
  private readonly shrinkPerPopMs: number;
  private readonly adaptWindowPops: number;
  private readonly maxSeqJump: number;

  private readonly ring: (Entry | undefined)[];
  private readonly mask: number;
  private readonly seen = new Int32Array(SEEN_RING).fill(-1);
  private count = 0;

  /** Highest extended seq received in this stream; reference for extending 16-bit numbers. */
  private refExt: number | undefined;
  /** Next extended seq to play (or lowest buffered before the first play). */
  private base = 0;
  private highExt = 0;
  private playing = false;
  /** True once this stream has played: packets below `base` are then late, not just early reordering. */
  private primed = false;
  private ssrc: number | undefined;
  private expectedTs = 0;
  private underrunPops = 0;
  private probe: { seq: number; packet: JitterPacket } | undefined;

  private target: number;
  private jitter = 0;
  private lastTransitMs: number | undefined;
  private windowPops = 0;
  private windowMinDelay = Infinity;
  private windowMaxDelay = -Infinity;
  private skipPending = false;
  private stallPending = false;
  /** Pops a pending depth change has waited for a quiet moment. */
  private deferredPops = 0;

  private readonly counters = { late: 0, duplicates: 0, concealed: 0, lost: 0, underruns: 0, skipped: 0, overflowDropped: 0, resyncs: 0 };

  constructor(options: JitterBufferOptions = {}) {
    this.ptimeMs = options.ptimeMs ?? 20;
    this.clockRate = options.clockRate ?? 8000;
    this.minDelayMs = options.minDelayMs ?? 20;
    this.maxDelayMs = Math.max(this.minDelayMs, options.maxDelayMs ?? 200);
    this.target = clamp(options.startDelayMs ?? 40, this.minDelayMs, this.maxDelayMs);
    this.capacity = Math.max(4, options.capacity ?? Math.ceil((2 * this.maxDelayMs) / this.ptimeMs) + 2);
    this.samplesPerPacket = Math.round((this.ptimeMs * this.clockRate) / 1000);
    this.maxConcealPops = Math.max(0, Math.floor((options.maxConcealMs ?? 60) / this.ptimeMs));
    this.jitterFactor = options.jitterFactor ?? 4;
    this.shrinkPerPopMs = ((options.shrinkMsPerSecond ?? 10) * this.ptimeMs) / 1000;
    this.adaptWindowPops = Math.max(1, options.adaptWindowPops ?? 25);
    this.maxSeqJump = options.maxSeqJump ?? 3000;
    let size = 1;
    while (size < this.capacity) size <<= 1;
    this.ring = new Array<Entry | undefined>(size).fill(undefined);
    this.mask = size - 1;
  }

  push(p: JitterPacket): void {
    if (p.ssrc !== undefined) {
      if (this.ssrc !== undefined && p.ssrc !== this.ssrc) this.resync();
      this.ssrc = p.ssrc;
    }
    const seq = p.seq & 0xffff;
    if (this.refExt === undefined) {
      this.start(SEQ_MOD + seq);
    }
    const ref = this.refExt ?? SEQ_MOD + seq;
    let delta = (seq - ref) & 0xffff;
    if (delta >= 0x8000) delta -= SEQ_MOD;
    const ext = ref + delta;

    if (delta > this.maxSeqJump || delta < -this.maxSeqJump) {
      this.probeJump(p);
      return;
    }
    this.probe = undefined;
    if (this.seen[ext & (SEEN_RING - 1)] === ext) {
      this.counters.duplicates++;
      return;
    }
    if (ext < this.base) {
      if (this.primed || this.playing || this.highExt - ext >= this.capacity) {
        this.counters.late++;
        this.target = Math.min(this.maxDelayMs, this.target + this.ptimeMs); // the network is worse than we planned
        return;
      }
      this.base = ext; // reordered ahead of the first packet we saw, before playout started
    }
    // Make room: the window is [base, base + capacity).
    while (ext - this.base >= this.capacity) this.dropBase();

    this.seen[ext & (SEEN_RING - 1)] = ext;
    this.ring[ext & this.mask] = { ext, timestamp: p.timestamp >>> 0, payload: p.payload, arrivalMs: p.arrivalMs };
    this.count++;
    if (ext > this.highExt) this.highExt = ext;
    if (ext > ref) this.refExt = ext;
    this.updateJitter(p);
  }

  /**
   * The packet for this slot. `quiet` says whether the caller's audio just played was quiet: depth changes (skipping a
   * packet, inserting a stall) wait for a quiet moment so they never cut or stretch a word, for at most
   * `MAX_DEFER_POPS` pops, after which they happen anyway.
   */
  pop(nowMs: number, quiet = true): JitterOutput {
    this.adaptTarget();
    const pending = this.skipPending || this.stallPending;
    const adjust = quiet || (pending && ++this.deferredPops >= MAX_DEFER_POPS);
    if (!this.playing) {
      const head = this.head();
      if (head === undefined) return EMPTY;
      const burst = (this.highExt - head.ext) * this.ptimeMs >= this.target; // a target's worth already queued
      if (nowMs - head.arrivalMs < this.target && !burst) return EMPTY;
      this.playing = true;
      this.primed = true;
      this.base = head.ext;
      this.expectedTs = head.timestamp;
      this.underrunPops = 0;
    }

    let entry = this.ring[this.base & this.mask];
    if (entry !== undefined && entry.ext === this.base) {
      if (this.stallPending && adjust) {
        this.stallPending = false;
        this.deferredPops = 0;
        this.counters.concealed++;
        return CONCEAL; // one extra slot of delay: the window said we are too shallow
      }
      const gap = (entry.timestamp - this.expectedTs) | 0;
      if (gap >= this.samplesPerPacket && gap <= (this.maxDelayMs * this.clockRate) / 1000 + this.samplesPerPacket) {
        // Silence (DTX) inside the stream: play it as silence, faster when we are deeper than the target.
        const deep = nowMs - entry.arrivalMs > this.target + this.ptimeMs;
        this.expectedTs = (this.expectedTs + this.samplesPerPacket * (deep ? 2 : 1)) >>> 0;
        return EMPTY;
      }
      if (this.skipPending && adjust) {
        const next = this.ring[(this.base + 1) & this.mask];
        if (next !== undefined && next.ext === this.base + 1) {
          this.skipPending = false;
          this.deferredPops = 0;
          this.remove(this.base);
          this.counters.skipped++;
          this.base++;
          entry = next;
        }
      }
      this.remove(this.base);
      this.base++;
      this.expectedTs = (entry.timestamp + this.samplesPerPacket) >>> 0;
      this.underrunPops = 0;
      this.observeDelay(nowMs - entry.arrivalMs);
      return { kind: 'audio', payload: entry.payload, seq: entry.ext & 0xffff, timestamp: entry.timestamp, arrivalMs: entry.arrivalMs };
    }

    if (this.count > 0) {
      // Missing while later packets wait: lost.
      this.counters.lost++;
      this.counters.concealed++;
      this.base++;
      this.expectedTs = (this.expectedTs + this.samplesPerPacket) >>> 0;
      this.underrunPops = 0;
      return CONCEAL;
    }

    // Empty buffer: stall (the packet may be late) for a while, then give up and re-buffer.
    if (this.underrunPops === 0) this.counters.underruns++;
    this.underrunPops++;
    if (this.underrunPops <= this.maxConcealPops) {
      this.counters.concealed++;
      return CONCEAL;
    }
    this.playing = false;
    return EMPTY;
  }

  /** Drops everything queued (e.g. after a re-INVITE); the stream continues and packets keep their numbering. */
  flush(): void {
    for (let i = 0; i < this.ring.length; i++) this.ring[i] = undefined;
    this.count = 0;
    this.playing = false;
    this.base = this.highExt + 1;
  }

  get stats(): JitterStats {
    const head = this.head();
    const from = this.playing ? this.base : (head?.ext ?? this.highExt + 1);
    return {
      depthMs: this.count === 0 ? 0 : (this.highExt - from + 1) * this.ptimeMs,
      targetMs: this.target,
      jitterMs: this.jitter,
      ...this.counters,
    };
  }

  get targetMs(): number {
    return this.target;
  }

  private start(ext: number): void {
    this.refExt = ext;
    this.base = ext;
    this.highExt = ext - 1;
  }

  private resync(): void {
    this.flush();
    this.seen.fill(-1);
    this.refExt = undefined;
    this.primed = false;
    this.lastTransitMs = undefined;
    this.probe = undefined;
    this.counters.resyncs++;
  }

  /** RFC 3550 A.1: a huge jump is a restart only when the next packet follows it; otherwise a stray, dropped. */
  private probeJump(p: JitterPacket): void {
    const previous = this.probe;
    if (previous !== undefined && ((previous.seq + 1) & 0xffff) === (p.seq & 0xffff)) {
      this.resync();
      this.push(previous.packet);
      this.push(p);
      return;
    }
    this.counters.late++;
    this.probe = { seq: p.seq & 0xffff, packet: p };
  }

  private head(): Entry | undefined {
    if (this.count === 0) return undefined;
    for (let ext = this.base; ext <= this.highExt; ext++) {
      const e = this.ring[ext & this.mask];
      if (e !== undefined && e.ext === ext) return e;
    }
    return undefined;
  }

  private remove(ext: number): void {
    const i = ext & this.mask;
    const e = this.ring[i];
    if (e !== undefined && e.ext === ext) {
      this.ring[i] = undefined;
      this.count--;
    }
  }

  private dropBase(): void {
    const e = this.ring[this.base & this.mask];
    if (e !== undefined && e.ext === this.base) {
      this.remove(this.base);
      this.counters.overflowDropped++;
    }
    this.base++;
  }

  private updateJitter(p: JitterPacket): void {
    const transitMs = p.arrivalMs - ((p.timestamp >>> 0) * 1000) / this.clockRate;
    const last = this.lastTransitMs;
    this.lastTransitMs = transitMs;
    if (last === undefined) return;
    let d = transitMs - last;
    const wrapMs = (2 ** 32 * 1000) / this.clockRate;
    d -= Math.round(d / wrapMs) * wrapMs; // undo the 32-bit timestamp wrap
    if (Math.abs(d) > 10 * this.maxDelayMs) return; // a timestamp jump (new spurt from a restarted clock), not jitter
    this.jitter += (Math.abs(d) - this.jitter) / 16;
  }

  private adaptTarget(): void {
    if (this.refExt === undefined) return; // no evidence yet
    const desired = clamp(this.jitterFactor * this.jitter, this.minDelayMs, this.maxDelayMs);
    if (desired >= this.target) this.target = desired;
    else this.target = Math.max(desired, this.target - this.shrinkPerPopMs);
  }

  private observeDelay(delayMs: number): void {
    if (delayMs > this.windowMaxDelay) this.windowMaxDelay = delayMs;
    if (delayMs < this.windowMinDelay) this.windowMinDelay = delayMs;
    if (++this.windowPops < this.adaptWindowPops) return;
    // Waits vary by up to a ptime with arrival phase against the pop schedule. Skip only when even the packet that
    // waited least had a whole ptime to spare (so the next slot cannot underrun); stall when even the longest wait
    // fell a ptime short of the target.
    if (this.windowMinDelay >= this.target + this.ptimeMs) this.skipPending = true;
    else if (this.windowMaxDelay + this.ptimeMs <= this.target) this.stallPending = true;
    this.windowPops = 0;
    this.windowMaxDelay = -Infinity;
    this.windowMinDelay = Infinity;
  }
}

const EMPTY: JitterOutput = Object.freeze({ kind: 'empty' });
/** Longest a depth change waits for a quiet moment (2 s at 20 ms). */
const MAX_DEFER_POPS = 100;
const CONCEAL: JitterOutput = Object.freeze({ kind: 'conceal' });

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}
