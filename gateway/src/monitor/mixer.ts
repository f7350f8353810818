/**
 * A supervisor on a live call (docs/monitor.md), in its media: what the supervisor hears is the caller's audio and
 * what the caller hears, mixed; what the supervisor says goes to the agent's side (the AI, or a bridged person) in
 * `whisper`, and to the caller too in `barge`; `listen` sends it nowhere. All at 24 kHz, frame by frame, inside the
 * call's media tick: no timer of its own, no allocation beyond the frames it hands on.
 */
import type { MediaTap } from '../media/call-media-options.js';

/** How a supervisor takes part. A contract: the API's `mode`, timeline `monitor.mode`, docs/monitor.md. */
export const MONITOR_MODES = ['listen', 'whisper', 'barge'] as const;
export type MonitorMode = (typeof MONITOR_MODES)[number];

/** At most this much audio waits in any direction (a side that stalls loses its oldest audio, never grows a delay). */
const MAX_QUEUED = 24_000 * 0.2;

/** A bounded FIFO of PCM16 samples. */
export class SampleQueue {
  private chunks: Int16Array[] = [];
  private offset = 0;
  private size = 0;

  get length(): number {
    return this.size;
  }

  push(pcm: Int16Array): void {
    if (pcm.length === 0) return;
    this.chunks.push(pcm);
    this.size += pcm.length;
    while (this.size > MAX_QUEUED) this.drop(this.size - MAX_QUEUED);
  }

  /** Adds the next `out.length` samples into `out` (what is missing adds nothing), consuming them. */
  mixInto(out: Int16Array): void {
    let at = 0;
    while (at < out.length && this.chunks.length > 0) {
      const chunk = this.chunks[0] as Int16Array;
      const n = Math.min(out.length - at, chunk.length - this.offset);
      for (let i = 0; i < n; i++) out[at + i] = clip((out[at + i] ?? 0) + (chunk[this.offset + i] ?? 0));
      at += n;
      this.consume(n);
    }
  }

  private drop(n: number): void {
    while (n > 0 && this.chunks.length > 0) {
      const chunk = this.chunks[0] as Int16Array;
      const k = Math.min(n, chunk.length - this.offset);
      this.consume(k);
      n -= k;
    }
  }

  private consume(n: number): void {
    this.offset += n;
    this.size -= n;
    const head = this.chunks[0];
    if (head !== undefined && this.offset >= head.length) {
      this.chunks.shift();
      this.offset = 0;
    }
  }
}

function clip(v: number): number {
  return v > 32_767 ? 32_767 : v < -32_768 ? -32_768 : v;
}

/**
 * The tap a monitored call's media runs through (CallMedia `setTap`). `toSupervisor` gets the mix, one frame per
 * caller frame; `fromSupervisor` is where the supervisor's audio comes in.
 */
export class CallMonitor implements MediaTap {
  /** What the caller heard, waiting to be mixed with the caller's own audio for the supervisor. */
  private readonly heard = new SampleQueue();
  /** The supervisor's audio for the agent's side (whisper, barge). */
  private readonly forAgentSide = new SampleQueue();
  /** The supervisor's audio for the caller (barge). */
  private readonly forCaller = new SampleQueue();

  constructor(
    public mode: MonitorMode,
    private readonly toSupervisor: (pcm: Int16Array) => void,
    /**
     * The agent's side takes the supervisor as a stream of its own (`agentStream`: an AI agent told apart who speaks)
     * instead of mixed into the caller's audio; returns false when it cannot (a person on a bridge): mixed then.
     */
    private readonly agentStream?: (pcm: Int16Array) => boolean,
  ) {}

  /** The supervisor's audio (any length, 24 kHz). */
  fromSupervisor(pcm: Int16Array): void {
    if (this.mode === 'listen') return;
    if (this.agentStream?.(pcm) !== true) this.forAgentSide.push(pcm);
    if (this.mode === 'barge') this.forCaller.push(pcm);
  }

  uplink(frame: Int16Array): Int16Array {
    const mix = frame.slice();
    this.heard.mixInto(mix);
    this.toSupervisor(mix);
    if (this.forAgentSide.length === 0) return frame;
    const out = frame.slice();
    this.forAgentSide.mixInto(out);
    return out;
  }

  downlink(samples: Int16Array | undefined, count: number): Int16Array | undefined {
    this.heard.push(samples ?? new Int16Array(count));
    if (this.forCaller.length === 0) return samples;
    const out = samples === undefined ? new Int16Array(count) : samples.slice();
    this.forCaller.mixInto(out);
    return out;
  }
}
