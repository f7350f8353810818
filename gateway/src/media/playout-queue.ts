import { isQuiet } from './audio/frame.js';

/**
 * The agent's audio on its way to RTP: a bounded queue of 24 kHz samples with marks placed between them.
 *
 * Accounting is in samples that really left: `take()` is called by the pacer for the packet it is about to send,
 * so `playedSamples` counts exactly the agent audio that went out on RTP since the turn started (the call, or the
 * agent's last `clear`). Padding added to finish a short last packet is not counted. A mark is `played` once every
 * sample queued before it has been taken; `clear` reports the rest as `cleared`, never `played`.
 *
 * A turn can hold several of the agent's items (an OpenAI Realtime response, a TTS sentence), each followed by a
 * mark. So `clear` also reports where it cut the *item*: the samples played since the last mark of the turn that was
 * reached (`itemPlayedSamples`, counted from `afterMark`), or since the turn's start when no mark was reached yet.
 *
 * Samples become the protocol's milliseconds in one place, `wholeMs`: `floor(samples / 24)`.
 *
 * A talk spurt starts only once `leadSamples` are queued (or the agent has paused for a tick), so an agent that
 * streams in real time does not underrun on its own send jitter.
 */
export interface MarkOutcome {
  name: string;
  status: 'played' | 'cleared';
  /** Agent samples played in this turn when the mark was reached (or cleared). */
  playedSamples: number;
}

export interface TakeResult {
  /**
   * Exactly the requested number of samples (zero-padded at the end of a spurt). Read-only: when one queued chunk
   * holds them all, this is a view of the agent's chunk, not a copy (copy it to change it).
   */
  samples: Int16Array;
  /** First packet of a talk spurt: set the RTP marker bit. */
  spurtStart: boolean;
  /** Marks reached by this packet (most packets: none, one shared empty list). */
  marks: readonly MarkOutcome[];
  /** When the agent audio chunks whose first sample is in this packet were received (for the downlink hop). */
  chunkArrivals: number[];
}

export interface ClearResult {
  droppedSamples: number;
  playedSamples: number;
  /** Samples played since the turn's last `played` mark (`afterMark`), or since the turn began when none was. */
  itemPlayedSamples: number;
  /** The turn's last mark reached `played`, where `itemPlayedSamples` counts from; undefined: the turn's start. */
  afterMark: string | undefined;
  marks: MarkOutcome[];
}

/** Samples at 24 kHz per millisecond. */
const SAMPLES_PER_MS = 24;
const NO_MARKS: readonly MarkOutcome[] = Object.freeze([]);

/** Samples (24 kHz) as the protocol's whole milliseconds, rounded down: never more than was played. */
export function wholeMs(samples: number): number {
  return Math.floor(samples / SAMPLES_PER_MS);
}

export interface PlayoutQueueOptions {
  maxSamples: number;
  leadSamples: number;
  /**
   * A continuous source (a bridged leg: another call's caller, one frame per packet time, never pausing): a spurt
   * starts only with the whole lead queued, never early after a tick's wait; and depth beyond the lead plus
   * `CONTINUOUS_EXCESS_PACKETS` packets (a start-up backlog, the two sides' clock drift) is trimmed one packet at a
   * time, at most one every `CONTINUOUS_TRIM_EVERY` takes, and only inside a pause (`CONTINUOUS_PAUSE_PACKETS`
   * quiet packets played and a quiet one next: never the short silence inside a word) unless no pause came for
   * `CONTINUOUS_FORCE_TRIM_AFTER` takes, so the delay stays bounded without chopping words.
   */
  continuous?: boolean;
}

/** A continuous source's depth beyond its lead that is trimmed (packets). */
export const CONTINUOUS_EXCESS_PACKETS = 3;
/** At most one packet trimmed per this many takes (50: one 20 ms packet a second). */
export const CONTINUOUS_TRIM_EVERY = 50;
/** Quiet packets played in a row that make a pause a packet may be trimmed from (the uplink's pause, 60 ms). */
export const CONTINUOUS_PAUSE_PACKETS = 3;
/** Takes after the last trim from which a packet that is not quiet is trimmed too (250: 5 s without a pause). */
export const CONTINUOUS_FORCE_TRIM_AFTER = 250;

interface PendingMark {
  name: string;
  /** Position in the turn's enqueued-sample count at which the mark stands. */
  at: number;
}

export class PlayoutQueue {
  private chunks: Int16Array[] = [];
  /** When each chunk was received, parallel to `chunks`. */
  private received: number[] = [];
  private head = 0; // read offset into chunks[0]
  private queued = 0; // samples queued and not yet taken
  private enqueued = 0; // samples enqueued this turn (positions for marks)
  private played = 0; // samples taken this turn
  private marks: PendingMark[] = [];
  /** The turn's last mark reached `played`: its position and name (item boundaries for `clear`). */
  private lastMarkAt = 0;
  private lastMarkName: string | undefined;
  private playing = false;
  private waitedTicks = 0;
  /** Takes since a continuous source's depth was last trimmed (or since the first take). */
  private sinceTrim = 0;
  /** A continuous source: quiet packets played in a row. */
  private quietRun = 0;
  /** Samples refused because the queue was full. */
  overflowSamples = 0;
  /** Samples a continuous source had queued beyond its bound, dropped unplayed. */
  trimmedSamples = 0;
  private continuous: boolean;

  constructor(private readonly options: PlayoutQueueOptions) {
    this.continuous = options.continuous === true;
  }

  /**
   * From now on the source is continuous (a live call handed over to a bridge: PlayoutQueueOptions `continuous`), or
   * again an agent's (a bridged leg an agent talks to during a warm transfer's consultation).
   */
  setContinuous(on = true): void {
    this.continuous = on;
  }

  get queuedSamples(): number {
    return this.queued;
  }

  get playedSamples(): number {
    return this.played;
  }

  /** A spurt is playing and the next packet's samples are not all here yet (a continuous source running short). */
  short(count: number): boolean {
    return this.playing && this.queued < count;
  }

  /** True while a spurt is playing or audio waits to play. */
  get active(): boolean {
    return this.playing || this.queued > 0;
  }

  /** Queues agent audio; returns how many samples did not fit (dropped from the end of this push). */
  push(pcm: Int16Array, receivedMs = 0): number {
    const room = this.options.maxSamples - this.queued;
    const accepted = pcm.length <= room ? pcm : pcm.subarray(0, Math.max(0, room));
    const dropped = pcm.length - accepted.length;
    this.overflowSamples += dropped;
    if (accepted.length > 0) {
      this.chunks.push(accepted);
      this.received.push(receivedMs);
      this.queued += accepted.length;
      this.enqueued += accepted.length;
      this.waitedTicks = 0;
    }
    return dropped;
  }

  /**
   * Places a mark after the audio queued so far. When nothing of this turn remains unplayed, the mark is reached
   * at once and returned; otherwise it is returned by the `take()` that plays past it.
   */
  mark(name: string): MarkOutcome | undefined {
    if (this.queued === 0 && this.marks.length === 0) {
      this.lastMarkAt = this.played;
      this.lastMarkName = name;
      return { name, status: 'played', playedSamples: this.played };
    }
    this.marks.push({ name, at: this.enqueued });
    return undefined;
  }

  /** The next packet's samples, or undefined when nothing should play this tick (silence, no marker). */
  take(count: number): TakeResult | undefined {
    if (this.queued === 0) {
      this.playing = false;
      return undefined;
    }
    let spurtStart = false;
    if (!this.playing) {
      // Start when the lead is there, or when the agent has stopped adding audio for a tick (a short utterance).
      if (this.queued < Math.max(count, this.options.leadSamples) && (this.waitedTicks < 1 || this.continuous)) {
        this.waitedTicks++;
        return undefined;
      }
      this.playing = true;
      spurtStart = true;
    } else if (this.queued < count && this.waitedTicks < 1) {
      // Mid-spurt shortfall: give the agent one tick to catch up before padding the tail.
      this.waitedTicks++;
      return undefined;
    }
    if (this.continuous) this.trimExcess(count);
    const chunkArrivals: number[] = [];
    let samples = this.takeWhole(count, chunkArrivals);
    if (samples === undefined) {
      samples = new Int16Array(count);
      this.played += this.read(samples, chunkArrivals);
    } else {
      this.played += count;
    }
    this.waitedTicks = 0;
    if (this.continuous) this.quietRun = isQuiet(samples) ? this.quietRun + 1 : 0;
    return { samples, spurtStart, marks: this.reached(), chunkArrivals };
  }

  /** Drops everything queued; pending marks are `cleared`. The next audio starts a new turn (played from 0). */
  clear(): ClearResult {
    const result: ClearResult = {
      droppedSamples: this.queued,
      playedSamples: this.played,
      itemPlayedSamples: this.played - this.lastMarkAt,
      afterMark: this.lastMarkName,
      marks: this.marks.map((m) => ({ name: m.name, status: 'cleared', playedSamples: this.played })),
    };
    this.chunks = [];
    this.received = [];
    this.head = 0;
    this.queued = 0;
    this.enqueued = 0;
    this.played = 0;
    this.marks = [];
    this.lastMarkAt = 0;
    this.lastMarkName = undefined;
    this.playing = false;
    this.waitedTicks = 0;
    return result;
  }

  /** A continuous source: drops one packet's samples when the depth is past its bound (marks pending: never). */
  private trimExcess(count: number): void {
    this.sinceTrim++;
    // The first trim may come at once (a start-up backlog); later ones at most one per CONTINUOUS_TRIM_EVERY takes.
    if ((this.sinceTrim < CONTINUOUS_TRIM_EVERY && this.trimmedSamples > 0) || this.marks.length > 0) return;
    if (this.queued < this.options.leadSamples + count * (CONTINUOUS_EXCESS_PACKETS + 1)) return;
    const head = this.chunks[0];
    const next = head !== undefined && head.length - this.head >= count ? head.subarray(this.head, this.head + count) : undefined;
    const inPause = this.quietRun >= CONTINUOUS_PAUSE_PACKETS && next !== undefined && isQuiet(next);
    if (this.sinceTrim < CONTINUOUS_FORCE_TRIM_AFTER && !inPause) return;
    this.sinceTrim = 0;
    let left = count;
    const arrivals: number[] = [];
    while (left > 0) {
      const chunk = this.chunks[0];
      if (chunk === undefined) break;
      left -= this.consume(chunk, Math.min(left, chunk.length - this.head), arrivals).length;
    }
    // Positions of later marks count samples that will play: the dropped ones never will.
    this.enqueued -= count - left;
    this.trimmedSamples += count - left;
  }

  /**
   * The next `count` samples as a view of the first chunk, when it holds them all (the common case: an agent's
   * chunk is a packet or more); undefined otherwise (`read` copies across chunks).
   */
  private takeWhole(count: number, firstSamples: number[]): Int16Array | undefined {
    const chunk = this.chunks[0];
    if (chunk === undefined || chunk.length - this.head < count) return undefined;
    return this.consume(chunk, count, firstSamples);
  }

  private read(out: Int16Array, firstSamples: number[]): number {
    let written = 0;
    while (written < out.length) {
      const chunk = this.chunks[0];
      if (chunk === undefined) break;
      const n = Math.min(out.length - written, chunk.length - this.head);
      out.set(this.consume(chunk, n, firstSamples), written);
      written += n;
    }
    return written;
  }

  /**
   * The next `n` samples of the first chunk (`n` ≤ what it has left) as a view: notes the chunk's arrival when this
   * is its start (for the downlink hop), and drops the chunk once it is used up.
   */
  private consume(chunk: Int16Array, n: number, firstSamples: number[]): Int16Array {
    if (this.head === 0) firstSamples.push(this.received[0] ?? 0);
    const view = chunk.subarray(this.head, this.head + n);
    this.head += n;
    if (this.head === chunk.length) {
      this.chunks.shift();
      this.received.shift();
      this.head = 0;
    }
    this.queued -= n;
    return view;
  }

  private reached(): readonly MarkOutcome[] {
    let n = 0;
    while (n < this.marks.length && (this.marks[n]?.at ?? Infinity) <= this.played) n++;
    if (n === 0) return NO_MARKS;
    const reached = this.marks.splice(0, n);
    const last = reached[reached.length - 1];
    if (last !== undefined) {
      this.lastMarkAt = last.at;
      this.lastMarkName = last.name;
    }
    return reached.map((m) => ({ name: m.name, status: 'played', playedSamples: m.at }));
  }
}
