/**
 * Packet-loss concealment for codecs without their own (G.711, G.722): a simplified ITU-T G.711 Appendix I.
 *
 * Every decoded frame passes through `receive()`, which keeps the last 30 ms of output. On the first lost packet
 * of a burst, `conceal()` finds the pitch period of that history by normalised autocorrelation (2.5–15 ms), builds
 * one period whose tail is cross-faded into the period before it (so it loops without a step), and repeats it:
 * full level for the first 10 ms of the loss, then a linear fade that reaches silence at 60 ms. When packets come
 * back, the first 4 ms of real audio are cross-faded with the continuing concealment, so neither edge clicks.
 * Without enough history (start of a call) the last sample fades to zero over 4 ms.
 *
 * Pure and synchronous; one instance per decoder.
 */

const HISTORY_MS = 30;
const MIN_PITCH_MS = 2.5;
const MAX_PITCH_MS = 15;
const CORRELATION_MS = 10;
const FULL_LEVEL_MS = 10;
const SILENT_AFTER_MS = 60;
const CROSSFADE_MS = 4;

function toInt16(v: number): number {
  const r = Math.round(v);
  return r > 32767 ? 32767 : r < -32768 ? -32768 : r;
}

export class PacketLossConcealer {
  readonly sampleRate: number;
  private readonly history: Int16Array;
  private filled = 0;
  private readonly minPitch: number;
  private readonly maxPitch: number;
  private readonly window: number;
  private readonly fullLevelSamples: number;
  private readonly fadeSamples: number;
  private readonly crossfadeSamples: number;

  /** Samples concealed in the current burst; 0 when the last thing we did was receive a real frame. */
  private lostSamples = 0;
  /** One pitch period prepared at the start of a burst, or null when there was too little history. */
  private loop: Float32Array | null = null;
  private loopPos = 0;
  /** Without history: the level we fade from. */
  private tailLevel = 0;

  constructor(sampleRate: number) {
    this.sampleRate = sampleRate;
    const perMs = sampleRate / 1000;
    this.history = new Int16Array(Math.ceil(HISTORY_MS * perMs));
    this.minPitch = Math.round(MIN_PITCH_MS * perMs);
    this.maxPitch = Math.round(MAX_PITCH_MS * perMs);
    this.window = Math.round(CORRELATION_MS * perMs);
    this.fullLevelSamples = Math.round(FULL_LEVEL_MS * perMs);
    this.fadeSamples = Math.round((SILENT_AFTER_MS - FULL_LEVEL_MS) * perMs);
    this.crossfadeSamples = Math.max(1, Math.round(CROSSFADE_MS * perMs));
  }

  /** Pass a decoded frame through. Returns it (cross-faded in place if it ends a loss burst). */
  receive(pcm: Int16Array): Int16Array {
    if (this.lostSamples > 0) {
      const n = Math.min(pcm.length, this.crossfadeSamples);
      for (let k = 0; k < n; k++) {
        const w = (k + 1) / (n + 1);
        pcm[k] = toInt16(w * (pcm[k] ?? 0) + (1 - w) * this.nextSynthetic());
      }
      this.lostSamples = 0;
      this.loop = null;
    }
    this.remember(pcm);
    return pcm;
  }

  /** Produce `samples` samples standing in for a lost packet. */
  conceal(samples: number): Int16Array {
    const count = Math.max(0, Math.floor(samples));
    const out = new Int16Array(count);
    if (this.lostSamples === 0) this.startBurst();
    for (let k = 0; k < count; k++) out[k] = toInt16(this.nextSynthetic());
    this.remember(out);
    return out;
  }

  reset(): void {
    this.history.fill(0);
    this.filled = 0;
    this.lostSamples = 0;
    this.loop = null;
    this.loopPos = 0;
    this.tailLevel = 0;
  }

  /** The next concealment sample (advances the burst). */
  private nextSynthetic(): number {
    const t = this.lostSamples++;
    const loop = this.loop;
    if (loop === null) {
      // No usable history: fade the last sample to zero.
      return t < this.crossfadeSamples ? this.tailLevel * (1 - (t + 1) / this.crossfadeSamples) : 0;
    }
    const gain =
      t < this.fullLevelSamples ? 1 : Math.max(0, 1 - (t - this.fullLevelSamples) / this.fadeSamples);
    if (gain === 0) return 0;
    const v = loop[this.loopPos] ?? 0;
    this.loopPos = this.loopPos + 1 === loop.length ? 0 : this.loopPos + 1;
    return v * gain;
  }

  private startBurst(): void {
    const h = this.history;
    const end = h.length;
    this.loopPos = 0;
    this.tailLevel = this.filled > 0 ? (h[end - 1] ?? 0) : 0;
    if (this.filled < this.window + this.maxPitch) {
      this.loop = null;
      return;
    }
    const pitch = this.findPitch();
    const ola = Math.max(1, Math.floor(pitch / 4));
    const loop = new Float32Array(pitch);
    const base = end - pitch;
    for (let k = 0; k < pitch - ola; k++) loop[k] = h[base + k] ?? 0;
    // Cross-fade the period's tail into the period before it, so loop[pitch - 1] → loop[0] is a natural step.
    for (let k = pitch - ola; k < pitch; k++) {
      const w = (k - (pitch - ola) + 1) / (ola + 1);
      loop[k] = (1 - w) * (h[base + k] ?? 0) + w * (h[base - pitch + k] ?? 0);
    }
    this.loop = loop;
  }

  /** Lag in [minPitch, maxPitch] with the highest normalised correlation over the last `window` samples. */
  private findPitch(): number {
    const h = this.history;
    const end = h.length;
    const start = end - this.window;
    let best = this.minPitch;
    let bestScore = -Infinity;
    for (let lag = this.minPitch; lag <= this.maxPitch; lag++) {
      let xy = 0;
      let yy = 0;
      for (let n = start; n < end; n++) {
        const y = h[n - lag] ?? 0;
        xy += (h[n] ?? 0) * y;
        yy += y * y;
      }
      const score = yy > 0 ? xy / Math.sqrt(yy) : 0;
      if (score > bestScore) {
        bestScore = score;
        best = lag;
      }
    }
    return best;
  }

  private remember(pcm: Int16Array): void {
    const h = this.history;
    const n = pcm.length;
    if (n >= h.length) {
      h.set(pcm.subarray(n - h.length));
      this.filled = h.length;
      return;
    }
    h.copyWithin(0, n);
    h.set(pcm, h.length - n);
    this.filled = Math.min(h.length, this.filled + n);
  }
}
