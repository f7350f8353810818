/**
 * The caller's audio on its way into the LiveKit AudioSource. `AudioSource.captureFrame` is asynchronous and waits
 * when the source's own (native) queue is full, so frames are captured one at a time, in order, from a small
 * bounded queue: when capture falls behind by more than `maxFrames`, the oldest frame is dropped and counted
 * (late caller audio is worth less than current audio). Frames pushed before the sink is attached (while the room
 * is being joined) wait in the same queue under the same bound. No timers, no I/O: the sink is injected.
 */

/** Captures one frame; resolves once the frame has been accepted. */
export type CaptureFn = (pcm: Int16Array) => Promise<void>;

export interface CaptureQueueStats {
  captured: number;
  /** Frames dropped because the queue was full. */
  dropped: number;
  /** Frames whose capture failed. */
  failed: number;
}

export class CaptureQueue {
  private readonly frames: Int16Array[] = [];
  private capture: CaptureFn | undefined;
  private busy = false;
  private closed = false;
  readonly stats: CaptureQueueStats = { captured: 0, dropped: 0, failed: 0 };

  constructor(
    private readonly maxFrames: number,
    /** Told about the first failed capture only (the rest are counted), so a dead source cannot flood the log. */
    private readonly onFirstError: (err: unknown) => void,
  ) {
    if (!Number.isInteger(maxFrames) || maxFrames < 1) throw new RangeError(`maxFrames must be a positive integer, got ${maxFrames}`);
  }

  /** Frames waiting to be captured. */
  get length(): number {
    return this.frames.length;
  }

  /** Queues a frame the queue now owns (the caller copies it if it reuses the buffer). */
  push(pcm: Int16Array): void {
    if (this.closed) return;
    this.frames.push(pcm);
    while (this.frames.length > this.maxFrames) {
      this.frames.shift();
      this.stats.dropped++;
    }
    this.pump();
  }

  /** Starts capturing into `capture` (once; later calls are ignored). */
  attach(capture: CaptureFn): void {
    if (this.closed || this.capture) return;
    this.capture = capture;
    this.pump();
  }

  /** Drops what is queued; a capture in flight finishes, and nothing is captured after it. */
  close(): void {
    this.closed = true;
    this.frames.length = 0;
  }

  private pump(): void {
    const capture = this.capture;
    if (this.busy || this.closed || !capture) return;
    const frame = this.frames.shift();
    if (!frame) return;
    this.busy = true;
    let result: Promise<void>;
    try {
      result = capture(frame);
    } catch (err) {
      result = Promise.reject(err);
    }
    result.then(
      () => {
        this.stats.captured++;
        this.next();
      },
      (err: unknown) => {
        this.stats.failed++;
        if (this.stats.failed === 1 && !this.closed) this.onFirstError(err);
        this.next();
      },
    );
  }

  private next(): void {
    this.busy = false;
    this.pump();
  }
}
