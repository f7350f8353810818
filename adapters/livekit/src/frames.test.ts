import { AudioFrame, AudioSource, LocalAudioTrack } from '@livekit/rtc-node';
import { describe, expect, it } from 'vitest';
import { LiveKitAdapterError } from './errors.js';
import { fromAudioFrame, toAudioFrame } from './frames.js';
import { frameOf } from './test-support/fake-context.js';

function ramp(samples: number, from = 0): Int16Array {
  return Int16Array.from({ length: samples }, (_, i) => from + i);
}

describe('toAudioFrame', () => {
  it('wraps a frame that owns its buffer as mono 24 kHz without copying', () => {
    const pcm = ramp(480);
    const frame = toAudioFrame(pcm);
    expect(frame.data).toBe(pcm);
    expect([frame.sampleRate, frame.channels, frame.samplesPerChannel]).toEqual([24000, 1, 480]);
  });

  it('copies a view into a larger buffer, since the native side reads the whole buffer from byte 0', () => {
    const shared = ramp(960);
    const view = shared.subarray(480);
    const frame = toAudioFrame(view);
    expect(frame.data).not.toBe(view);
    expect(frame.data.byteOffset).toBe(0);
    expect(frame.data.buffer.byteLength).toBe(960);
    expect(Array.from(frame.data)).toEqual(Array.from(view));
  });
});

describe('fromAudioFrame', () => {
  it('copies the samples of a mono 24 kHz frame', () => {
    const frame = new AudioFrame(ramp(480, 7), 24000, 1, 480);
    const pcm = fromAudioFrame(frame);
    expect(pcm).not.toBe(frame.data);
    frame.data.fill(0);
    expect(pcm[0]).toBe(7);
    expect(pcm.length).toBe(480);
  });

  it('keeps only the samples the frame claims', () => {
    expect(fromAudioFrame(new AudioFrame(ramp(960), 24000, 1, 480)).length).toBe(480);
  });

  it('refuses other rates, stereo, and frames shorter than they claim, with LIVEKIT_BAD_FRAME', () => {
    for (const frame of [
      new AudioFrame(ramp(960), 48000, 1, 960),
      new AudioFrame(ramp(960), 24000, 2, 480),
      new AudioFrame(ramp(100), 24000, 1, 480),
    ]) {
      expect(() => fromAudioFrame(frame)).toThrow(LiveKitAdapterError);
      try {
        fromAudioFrame(frame);
      } catch (err) {
        expect((err as LiveKitAdapterError).code).toBe('LIVEKIT_BAD_FRAME');
      }
    }
  });
});

describe('our frames in a real (native) AudioSource, without a server', () => {
  it('captures caller frames, and a track can be made of the source', async () => {
    // The native queue (100 ms) holds the five frames without waiting for real-time playout.
    const source = new AudioSource(24000, 1, 100);
    const track = LocalAudioTrack.createAudioTrack('caller', source);
    try {
      for (let i = 0; i < 4; i++) await source.captureFrame(toAudioFrame(frameOf(i * 1000)));
      await source.captureFrame(toAudioFrame(ramp(960).subarray(480)));
      expect(source.queuedDuration).toBeGreaterThan(0);
    } finally {
      await track.close(true);
    }
    expect(source.closed).toBe(true);
    await expect(source.captureFrame(toAudioFrame(frameOf(1)))).rejects.toThrow('AudioSource is closed');
  });

  it('rejects a frame at another rate than the source', async () => {
    const source = new AudioSource(24000, 1, 100);
    try {
      await expect(source.captureFrame(new AudioFrame(new Int16Array(960), 48000, 1, 960))).rejects.toThrow();
    } finally {
      await source.close();
    }
  });
});
