/**
 * The fake server's crude voice activity detector: 20 ms windows of the appended audio, "speech" when a window's RMS
 * is above `thresholdDbfs`; speech starts with the first loud window and stops after `silenceMs` of quiet windows.
 * Pure and synchronous; positions are ms of input audio.
 */
import { levelDbfs } from './tone.js';

const WINDOW_SAMPLES = 480;
const SAMPLES_PER_MS = 24;

export type VadEvent = { readonly type: 'start'; readonly atMs: number } | { readonly type: 'stop'; readonly atMs: number };

export class FakeVad {
  private readonly window = new Int16Array(WINDOW_SAMPLES);
  private filled = 0;
  private position = 0;
  private speaking = false;
  private lastLoudEndMs = 0;

  constructor(
    private readonly thresholdDbfs: number,
    public silenceMs: number,
  ) {}

  /** Input audio so far, ms. */
  get inputMs(): number {
    return Math.floor((this.position + this.filled) / SAMPLES_PER_MS);
  }

  process(pcm: Int16Array): VadEvent[] {
    const events: VadEvent[] = [];
    let at = 0;
    while (at < pcm.length) {
      const take = Math.min(WINDOW_SAMPLES - this.filled, pcm.length - at);
      this.window.set(pcm.subarray(at, at + take), this.filled);
      this.filled += take;
      at += take;
      if (this.filled < WINDOW_SAMPLES) break;
      const startMs = this.position / SAMPLES_PER_MS;
      this.position += WINDOW_SAMPLES;
      this.filled = 0;
      const endMs = this.position / SAMPLES_PER_MS;
      const loud = levelDbfs(this.window) > this.thresholdDbfs;
      if (loud) {
        this.lastLoudEndMs = endMs;
        if (!this.speaking) {
          this.speaking = true;
          events.push({ type: 'start', atMs: startMs });
        }
      } else if (this.speaking && endMs - this.lastLoudEndMs >= this.silenceMs) {
        this.speaking = false;
        events.push({ type: 'stop', atMs: this.lastLoudEndMs });
      }
    }
    return events;
  }
}
