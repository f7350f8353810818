/**
 * Caller speech and barge-in for one call. Feeds the caller's decoded audio to the speech detector in 20 ms
 * frames, turns its events into protocol signals, and decides when the gateway itself must stop the agent
 * (`bargeIn: gateway`). The stopping (fade, flush, `interrupted`) happens in the media engine on the next outbound
 * packet, so it lands within one frame of the decision.
 */
import type { SpeechEvent } from './vad/index.js';

export type BargeInMode = 'off' | 'gateway' | 'agent';

/** What the engine needs of a speech detector (the real one wraps WebRTC VAD and voicing/tonality features). */
export interface SpeechSource {
  push(frame: Int16Array, atMs: number, flags?: { dtmf?: boolean }): SpeechEvent[];
  agentSpurtStarted(atMs: number): void;
  close(): void;
}

/** Optional second opinion on an onset (a neural VAD), asked before the onset counts. */
export interface OnsetConfirmer {
  push(frame: Int16Array): void;
  confirm(): Promise<{ speech: boolean; probability: number }>;
  close(): void;
}

export interface BargeInStats {
  onsets: number;
  /** Onsets the confirmer believed. */
  confirmedByConfirmer: number;
  /** Onsets the confirmer did not believe (not signalled, no barge-in). */
  rejectedByConfirmer: number;
  interruptions: number;
  /** Interruptions whose "speech" stopped within FALSE_BARGE_IN_MS: a cough, a click, an "uh". */
  falseBargeIns: number;
  /** Onset packet's arrival → last agent packet sent, per interruption (most recent 100). */
  reactionMs: number[];
  /** Agent audio of an interrupted turn that arrived after the interruption and was dropped. */
  staleDroppedMs: number;
}

/** An interruption followed by speech shorter than this was probably not the caller taking the turn. */
export const FALSE_BARGE_IN_MS = 300;

export interface InterruptRequest {
  /** Caller-stream position of the onset. */
  atMs: number;
  /** When the packet carrying the onset arrived (performance.now()). */
  onsetArrivalMs: number;
}

export class CallerSpeech {
  readonly stats: BargeInStats = { onsets: 0, confirmedByConfirmer: 0, rejectedByConfirmer: 0, interruptions: 0, falseBargeIns: 0, reactionMs: [], staleDroppedMs: 0 };
  /** Results of confirmations that finished since the last push, waiting to be acted on. */
  private confirmed: Array<{ event: SpeechEvent; interrupt?: InterruptRequest }> = [];
  /** An onset is being confirmed, or was rejected: its speech_stopped must not reach the agent alone. */
  private suppressStop = false;
  private closed = false;
  private pending = new Int16Array(0);
  private pendingAtMs = 0;
  /** Arrival time of the packet that carried each 20 ms position, for reaction times. */
  private readonly arrivals = new Map<number, number>();
  private lastInterruptAtMs: number | undefined;

  constructor(
    readonly mode: BargeInMode,
    private readonly detector: SpeechSource | undefined,
    /** Samples in 20 ms at the rate the detector is fed. */
    private readonly frameSamples: number,
    private readonly confirmer?: OnsetConfirmer,
  ) {}

  /**
   * Decoded caller audio at the detector's rate starting at caller-stream position `atMs`. Returns the speech events
   * to forward and, when the agent is playing and barge-in is the gateway's, a request to interrupt it.
   */
  push(pcm: Int16Array, atMs: number, arrivalMs: number, flags: { dtmf: boolean; agentPlaying: boolean }): { events: SpeechEvent[]; interrupt?: InterruptRequest } {
    const detector = this.detector;
    if (!detector) return NOTHING_HEARD;
    if (this.pending.length === 0) this.pendingAtMs = atMs;
    // The common case (20 ms packets at the detector's rate, nothing held back) is the frame itself: no copy.
    const joined = this.pending.length === 0 ? pcm : concat(this.pending, pcm);
    let events: SpeechEvent[] = NO_EVENTS;
    let offset = 0;
    while (joined.length - offset >= this.frameSamples) {
      const position = this.pendingAtMs + (offset / this.frameSamples) * 20;
      this.arrivals.set(position, arrivalMs);
      const frame = offset === 0 && joined.length === this.frameSamples ? joined : joined.subarray(offset, offset + this.frameSamples);
      this.confirmer?.push(frame);
      const heard = detector.push(frame, position, { dtmf: flags.dtmf });
      if (heard.length > 0) events = events === NO_EVENTS ? heard.slice() : events.concat(heard);
      offset += this.frameSamples;
    }
    this.pendingAtMs += (offset / this.frameSamples) * 20;
    this.pending = offset === joined.length ? EMPTY : joined.slice(offset);
    this.forget(atMs);
    if (events.length === 0 && this.confirmed.length === 0) return NOTHING_HEARD;

    // Confirmations that finished since the last frame come out first, in order.
    const out: SpeechEvent[] = [];
    let interrupt: InterruptRequest | undefined;
    for (const c of this.confirmed.splice(0)) {
      out.push(c.event);
      if (c.interrupt && flags.agentPlaying) interrupt = c.interrupt;
    }
    for (const e of events) {
      if (e.type === 'speech_started') {
        const request = this.mode === 'gateway' ? { atMs: e.atMs, onsetArrivalMs: this.arrivals.get(e.atMs) ?? arrivalMs } : undefined;
        if (this.confirmer) {
          this.suppressStop = true;
          this.confirm(e, flags.agentPlaying ? request : undefined);
          continue;
        }
        this.stats.onsets++;
        out.push(e);
        if (request && flags.agentPlaying) {
          interrupt = request;
          this.lastInterruptAtMs = e.atMs;
        }
      } else {
        if (this.suppressStop) {
          this.suppressStop = false;
          continue; // its onset was never signalled
        }
        out.push(e);
        if (this.lastInterruptAtMs !== undefined) {
          if (e.atMs - this.lastInterruptAtMs < FALSE_BARGE_IN_MS) this.stats.falseBargeIns++;
          this.lastInterruptAtMs = undefined;
        }
      }
    }
    return interrupt ? { events: out, interrupt } : { events: out };
  }

  /** Asks the confirmer about an onset; the verdict is acted on at the next frame (one tick later at most). */
  private confirm(onset: SpeechEvent, request: InterruptRequest | undefined): void {
    const confirmer = this.confirmer;
    if (!confirmer) return;
    confirmer.confirm().then(
      (verdict) => {
        if (this.closed) return;
        if (!verdict.speech) {
          this.stats.rejectedByConfirmer++;
          return;
        }
        this.stats.onsets++;
        this.stats.confirmedByConfirmer++;
        this.suppressStop = false;
        if (request) this.lastInterruptAtMs = onset.atMs;
        this.confirmed.push(request ? { event: onset, interrupt: request } : { event: onset });
      },
      () => {
        // The confirmer failed: trust the cheap detector rather than miss a real barge-in.
        if (this.closed) return;
        this.stats.onsets++;
        this.suppressStop = false;
        this.confirmed.push(request ? { event: onset, interrupt: request } : { event: onset });
      },
    );
  }

  /** When the packet that carried caller-stream position `atMs` arrived (kept for the last 2 s). */
  arrivalOf(atMs: number): number | undefined {
    return this.arrivals.get(atMs);
  }

  /** The agent started a talk spurt at caller-stream position `atMs` (for the detector's grace period). */
  agentSpurtStarted(atMs: number): void {
    this.detector?.agentSpurtStarted(atMs);
  }

  /** The engine stopped the agent: record how long it took from the onset packet's arrival. */
  interrupted(request: InterruptRequest, lastPacketMs: number): void {
    this.stats.interruptions++;
    this.stats.reactionMs.push(lastPacketMs - request.onsetArrivalMs);
    if (this.stats.reactionMs.length > 100) this.stats.reactionMs.shift();
  }

  close(): void {
    this.closed = true;
    this.detector?.close();
    this.confirmer?.close();
  }

  private forget(beforeMs: number): void {
    for (const key of this.arrivals.keys()) {
      if (key >= beforeMs - 2000) break;
      this.arrivals.delete(key);
    }
  }
}

const EMPTY = new Int16Array(0);
/** Shared, never mutated: a frame with no events (almost every frame) allocates nothing. */
const NO_EVENTS: SpeechEvent[] = [];
const NOTHING_HEARD: { events: SpeechEvent[] } = Object.freeze({ events: Object.freeze(NO_EVENTS) as SpeechEvent[] });

function concat(a: Int16Array, b: Int16Array): Int16Array {
  const joined = new Int16Array(a.length + b.length);
  joined.set(a);
  joined.set(b, a.length);
  return joined;
}

/** A short raised-cosine fade to silence over the first `fadeSamples`, zeros after: stops without a click. */
export function fadeOut(samples: Int16Array, fadeSamples: number): void {
  const n = Math.min(fadeSamples, samples.length);
  for (let i = 0; i < n; i++) samples[i] = Math.round((samples[i] ?? 0) * 0.5 * (1 + Math.cos((Math.PI * i) / n)));
  samples.fill(0, n);
}
