/**
 * The one audio format inside the gateway: PCM16 mono at 24 kHz in 20 ms frames (480 samples). Codecs and rate
 * conversion happen only at the edges (RTP side; an agent that needs another rate).
 */
export const SAMPLE_RATE = 24_000;
export const FRAME_MS = 20;
export const FRAME_SAMPLES = (SAMPLE_RATE * FRAME_MS) / 1000; // 480
export const FRAME_BYTES = FRAME_SAMPLES * 2; // 960

/** Milliseconds of audio in `samples` samples at the internal rate. */
export function samplesToMs(samples: number): number {
  return (samples * 1000) / SAMPLE_RATE;
}

/** A frame of internal-format audio: always FRAME_SAMPLES samples of PCM16 at SAMPLE_RATE. */
export type Frame = Int16Array;

/** RMS below −40 dBFS. */
const QUIET_ENERGY = 328 * 328;

/** True when `frame` is below −40 dBFS RMS: a pause, or the quiet tail of a word. */
export function isQuiet(frame: Int16Array): boolean {
  const limit = QUIET_ENERGY * frame.length;
  let energy = 0;
  for (let i = 0; i < frame.length; i++) {
    const v = frame[i] ?? 0;
    energy += v * v;
    // The sum only grows: once past the limit the frame is loud, whatever follows.
    if (energy >= limit) return false;
  }
  return true;
}
