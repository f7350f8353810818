/**
 * A caller's audio loop, encoded ONCE for every call of a run (synchronous; `await loadResampler()` first): the
 * load generator then sends precomputed payloads and never runs an encoder per packet (an Opus encode costs about
 * 100–200 µs, a whole core at 100 calls).
 *
 * The loop is made at 8 kHz. For G.722 (16 kHz) and Opus (24 kHz in the gateway) it is upsampled with the gateway's
 * resampler, and the resampler's delay taken back (the loop is periodic, so the delayed copy is cut one delay later):
 * a marker at sample 0 of packet 0 at 8 kHz is at sample 0 of packet 0 at the codec's rate. What remains is the
 * codec's own delay (Opus lookahead, G.722 QMF), which a real caller's phone has too.
 *
 * G.722 (ADPCM) and Opus keep state from packet to packet, so a loop encoded once from a fresh encoder would not join
 * up: packet 0 would be coded as if the call had just started. The loop is encoded `WARM_LOOPS + 1` times in a row
 * and the last pass kept, so packet 0 is coded after the loop's own end, as the far end's decoder hears it. (The
 * state never repeats exactly, but closely enough: the echo loop's first 60 ms after the seam decode from G.722 at
 * 27 dB SNR this way, 13 dB from a cold pass; Opus hides the seam either way.)
 */
import { createEncoder, createResampler } from '@patchbay/gateway';
import { codecProfile, type CodecName } from './codec-profile.js';
import { CALLER_RATE, SAMPLES_PER_PACKET } from './signals.js';

export interface PayloadLoop {
  /** One payload per packet of the loop: views into one buffer, shared by every call (never written). */
  readonly payloads: readonly Uint8Array[];
  readonly packets: number;
}

/** Passes of the loop through the encoder before the one kept. */
const WARM_LOOPS = 2;

/** The loop at the codec's PCM rate, aligned with the 8 kHz one (the resampler's delay removed). */
export function loopAtRate(pcm8k: Int16Array, rate: number): Int16Array {
  if (rate === CALLER_RATE) return pcm8k;
  // Pinned to speex (the engine every earlier run used), so the caller's signal, and the bench figures measured
  // on it, do not move when the gateway's default engine changes. (Through Opus the marker's correlation swings
  // 0.75–0.97 from one encoder pass to the next with either engine; the polyphase loop failed the 0.95 check.)
  const resampler = createResampler(CALLER_RATE, rate, { engine: 'speex' });
  try {
    const threeLoops = new Int16Array(3 * pcm8k.length);
    for (let k = 0; k < 3; k++) threeLoops.set(pcm8k, k * pcm8k.length);
    const up = resampler.process(threeLoops);
    const length = (pcm8k.length * rate) / CALLER_RATE;
    // The second loop, one filter delay later: the first only fills the filter.
    const delay = Math.round(resampler.delaySamples);
    return up.slice(length + delay, 2 * length + delay);
  } finally {
    resampler.close();
  }
}

/** `pcm8k` (a whole number of 20 ms packets) encoded as `codec`, one payload per packet, joined up as a loop. */
export function encodeLoop(pcm8k: Int16Array, codec: CodecName): PayloadLoop {
  if (pcm8k.length === 0 || pcm8k.length % SAMPLES_PER_PACKET !== 0) {
    throw new RangeError(`a caller loop is a whole number of ${SAMPLES_PER_PACKET}-sample packets, got ${pcm8k.length} samples`);
  }
  const { pcmRate, frameSamples } = codecProfile(codec);
  const pcm = loopAtRate(pcm8k, pcmRate);
  const packets = pcm8k.length / SAMPLES_PER_PACKET;
  const encoder = createEncoder(codec);
  let kept: Uint8Array[] = [];
  for (let pass = 0; pass <= WARM_LOOPS; pass++) {
    // Copies: an encoder may hand back a view of a buffer it reuses.
    kept = [];
    for (let p = 0; p < packets; p++) kept.push(encoder.encode(pcm.subarray(p * frameSamples, (p + 1) * frameSamples)).slice());
  }
  const store = new Uint8Array(kept.reduce((n, payload) => n + payload.length, 0));
  const payloads: Uint8Array[] = [];
  let at = 0;
  for (const payload of kept) {
    store.set(payload, at);
    payloads.push(store.subarray(at, at + payload.length));
    at += payload.length;
  }
  return { payloads, packets };
}
