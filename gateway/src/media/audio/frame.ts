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
