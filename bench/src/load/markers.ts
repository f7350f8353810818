/**
 * Finding the caller's markers in what comes back (pure, synchronous; fed one received packet at a time).
 *
 * Time convention on both sides: a packet sent (or received) at time T carries its samples over [T, T + 20 ms), so
 * sample j of it stands for T + j/8 ms. The round trip of a marker is (heard time of its first sample) − (send time
 * of the packet that carried its first sample, at offset 0).
 */
import { PACKET_MS, SAMPLES_PER_PACKET } from './signals.js';

export interface MarkerMatch {
  /** Index in `signal` where the template lines up best. */
  readonly index: number;
  /** Normalised cross-correlation there, −1..1. */
  readonly ncc: number;
}

/**
 * Slide `template` along `signal[from, to + template.length)` and return the start index with the highest
 * normalised cross-correlation Σt·s / √(Σt² · Σs²).
 */
export function locateMarker(signal: Int16Array, template: Int16Array, from = 0, to = signal.length - template.length): MarkerMatch {
  const m = template.length;
  let tEnergy = 0;
  for (let i = 0; i < m; i++) tEnergy += (template[i] ?? 0) ** 2;
  const first = Math.max(0, from);
  const last = Math.min(to, signal.length - m);
  let best: MarkerMatch = { index: -1, ncc: Number.NEGATIVE_INFINITY };
  if (last < first || tEnergy === 0) return best;
  let sEnergy = 0;
  for (let i = first; i < first + m; i++) sEnergy += (signal[i] ?? 0) ** 2;
  for (let pos = first; pos <= last; pos++) {
    if (pos > first) sEnergy += (signal[pos + m - 1] ?? 0) ** 2 - (signal[pos - 1] ?? 0) ** 2;
    if (sEnergy <= 0) continue;
    let dot = 0;
    for (let i = 0; i < m; i++) dot += (template[i] ?? 0) * (signal[pos + i] ?? 0);
    const ncc = dot / Math.sqrt(tEnergy * sEnergy);
    if (ncc > best.ncc) best = { index: pos, ncc };
  }
  return best;
}

export interface MarkerTrackerOptions {
  readonly template: Int16Array;
  /** Packets between two markers in the sent stream (marker k starts packet k × period + offset). */
  readonly periodPackets: number;
  /**
   * The packet of each period the marker starts (default 0). The tracker only looks for a marker once the next one
   * it waits for has been sent: loud audio before that (the echo of the caller's speech) is never correlated.
   */
  readonly offsetPackets?: number;
  /** A received packet louder than this (peak) may hold a marker. */
  readonly triggerPeak: number;
  /** Matches below this correlation are not counted. */
  readonly minNcc: number;
  /**
   * Delay the receiver's own processing adds to the audio it pushes (a downsampler to 8 kHz), ms, taken back from
   * every heard time: the round trip is the far end's and the codecs', not the load generator's. Default 0.
   */
  readonly receiveDelayMs?: number;
}

const WINDOW_BEFORE = 2;
const WINDOW_AFTER = 2;

/**
 * Per echo call: on a loud packet that arrives after the next awaited marker was sent, waits for two more packets,
 * correlates the template over the five around it, and pairs the match with the latest marker sent before it was
 * heard. `sentMs(index)` gives the send time of the caller's packet `index` (undefined if not sent).
 */
export class MarkerTracker {
  private readonly ring: Int16Array;
  private readonly arrivals: Float64Array;
  private count = 0;
  private pendingAfter = -1;
  private quietUntilMs = 0;
  private nextMarker = 0;

  constructor(
    private readonly options: MarkerTrackerOptions,
    private readonly sentMs: (index: number) => number | undefined,
    /** Each round trip, and the send time of the marker it was paired with. */
    private readonly onRoundTrip: (ms: number, sentMs: number) => void,
  ) {
    const slots = WINDOW_BEFORE + 1 + WINDOW_AFTER;
    this.ring = new Int16Array(slots * SAMPLES_PER_PACKET);
    this.arrivals = new Float64Array(slots);
  }

  /** One received packet, already decoded (`pcm` is copied), with its peak and arrival time. */
  push(pcm: Int16Array, peak: number, arrivalMs: number): void {
    const slots = WINDOW_BEFORE + 1 + WINDOW_AFTER;
    // Shift left one packet (the ring is tiny; a copy keeps the window contiguous for the correlation).
    this.ring.copyWithin(0, SAMPLES_PER_PACKET);
    this.ring.set(pcm.subarray(0, SAMPLES_PER_PACKET), (slots - 1) * SAMPLES_PER_PACKET);
    this.arrivals.copyWithin(0, 1);
    this.arrivals[slots - 1] = arrivalMs;
    this.count++;
    if (this.pendingAfter > 0) {
      if (--this.pendingAfter === 0) this.correlate();
      return;
    }
    if (peak >= this.options.triggerPeak && arrivalMs >= this.quietUntilMs && this.count >= WINDOW_BEFORE + 1 && this.awaited(arrivalMs)) {
      this.pendingAfter = WINDOW_AFTER;
    }
  }

  /** Whether the next marker not yet found had been sent by `arrivalMs` (a loud packet before it is speech). */
  private awaited(arrivalMs: number): boolean {
    const sent = this.sentMs(this.markerIndex(this.nextMarker));
    return sent !== undefined && sent <= arrivalMs;
  }

  private markerIndex(k: number): number {
    return k * this.options.periodPackets + (this.options.offsetPackets ?? 0);
  }

  private correlate(): void {
    this.pendingAfter = -1;
    const match = locateMarker(this.ring, this.options.template);
    if (match.index < 0 || match.ncc < this.options.minNcc) return;
    const slot = Math.floor(match.index / SAMPLES_PER_PACKET);
    const heardMs = (this.arrivals[slot] ?? 0) + ((match.index % SAMPLES_PER_PACKET) / SAMPLES_PER_PACKET) * PACKET_MS -
      (this.options.receiveDelayMs ?? 0);
    this.quietUntilMs = heardMs + (this.options.periodPackets * PACKET_MS) / 2;
    // The latest marker sent before it was heard.
    let sent: number | undefined;
    let k = this.nextMarker;
    for (;;) {
      const t = this.sentMs(this.markerIndex(k));
      if (t === undefined || t > heardMs) break;
      sent = t;
      k++;
    }
    if (sent === undefined) return;
    this.nextMarker = k;
    this.onRoundTrip(heardMs - sent, sent);
  }
}

/**
 * Per turn call: the caller's utterance `k` ends at the end of packet `k × cycle + utterancePackets − 1`; the first
 * received packet louder than `triggerPeak` arriving after that is the agent's answer.
 */
export class TurnTracker {
  private cycle = 0;

  constructor(
    private readonly cyclePackets: number,
    private readonly utterancePackets: number,
    private readonly triggerPeak: number,
    private readonly sentMs: (index: number) => number | undefined,
    private readonly onTurn: (ms: number) => void,
  ) {}

  push(peak: number, arrivalMs: number): void {
    if (peak < this.triggerPeak) return;
    for (;;) {
      const lastSpeech = this.sentMs(this.cycle * this.cyclePackets + this.utterancePackets - 1);
      if (lastSpeech === undefined) return;
      const endMs = lastSpeech + PACKET_MS;
      if (arrivalMs < endMs) return; // still talking, or a late answer to the previous turn: not this turn
      // An answer that comes after the next utterance has ended belongs to that one: skip unanswered turns.
      const nextLast = this.sentMs((this.cycle + 1) * this.cyclePackets + this.utterancePackets - 1);
      if (nextLast !== undefined && arrivalMs >= nextLast + PACKET_MS) {
        this.cycle++;
        continue;
      }
      this.onTurn(arrivalMs - endMs);
      this.cycle++;
      return;
    }
  }
}
