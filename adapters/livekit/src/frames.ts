/**
 * Our audio (PCM16 mono 24 kHz Int16Array) to and from rtc-node's AudioFrame. rtc-node hands the native side the
 * whole `frame.data.buffer`, not the view: a frame must own its buffer from byte 0, or the native side reads the
 * wrong samples. `toAudioFrame` guarantees that (copying only when needed); `fromAudioFrame` always copies, since
 * the result is handed over to the gateway, which keeps it.
 */
import { AudioFrame } from '@livekit/rtc-node';
import { LiveKitAdapterError, LiveKitErrorCode } from './errors.js';

/** The gateway's audio format, which is also the rate we publish and subscribe at. */
export const SAMPLE_RATE = 24000;
export const CHANNELS = 1;

function ownsBuffer(pcm: Int16Array): boolean {
  return pcm.byteOffset === 0 && pcm.byteLength === pcm.buffer.byteLength;
}

/** A mono 24 kHz AudioFrame of `pcm`; shares `pcm` when it owns its whole buffer, else copies it. */
export function toAudioFrame(pcm: Int16Array): AudioFrame {
  const data = ownsBuffer(pcm) ? pcm : pcm.slice();
  return new AudioFrame(data, SAMPLE_RATE, CHANNELS, data.length);
}

/** A copy of a frame's samples; throws LIVEKIT_BAD_FRAME unless it is mono 24 kHz with the samples it claims. */
export function fromAudioFrame(frame: AudioFrame): Int16Array {
  if (frame.sampleRate !== SAMPLE_RATE || frame.channels !== CHANNELS) {
    throw new LiveKitAdapterError(
      LiveKitErrorCode.BadFrame,
      `expected ${SAMPLE_RATE} Hz mono, got ${frame.sampleRate} Hz with ${frame.channels} channels`,
    );
  }
  if (frame.data.length < frame.samplesPerChannel) {
    throw new LiveKitAdapterError(LiveKitErrorCode.BadFrame, `frame claims ${frame.samplesPerChannel} samples but holds ${frame.data.length}`);
  }
  return frame.data.slice(0, frame.samplesPerChannel);
}
