import { AudioFrame } from '@livekit/rtc-node';
import { describe, expect, it } from 'vitest';
import { ReadableAudioStream } from './readable-audio-stream.js';
import { settle } from './test-support/fake-room.js';

/** A web ReadableStream of AudioFrames, as rtc-node's AudioStream is, fed by hand. */
function frameStream() {
  let controller!: ReadableStreamDefaultController<AudioFrame>;
  let cancelled = false;
  const stream = new ReadableStream<AudioFrame>({
    start(c) {
      controller = c;
    },
    cancel() {
      cancelled = true;
    },
  });
  const frame = (value: number, rate = 24000) => new AudioFrame(new Int16Array(480).fill(value), rate, 1, 480);
  return { stream, controller, frame, cancelled: () => cancelled };
}

async function collect(stream: AsyncIterable<Int16Array>): Promise<number[]> {
  const firsts: number[] = [];
  for await (const pcm of stream) firsts.push(pcm[0] ?? NaN);
  return firsts;
}

describe('ReadableAudioStream', () => {
  it('yields copies of the frames in order and ends with the stream', async () => {
    const s = frameStream();
    const audio = new ReadableAudioStream(s.stream, () => {});
    const original = s.frame(1);
    s.controller.enqueue(original);
    s.controller.enqueue(s.frame(2));
    s.controller.close();
    const pcm: Int16Array[] = [];
    for await (const p of audio) pcm.push(p);
    expect(pcm.map((p) => p[0])).toEqual([1, 2]);
    expect(pcm[0]).not.toBe(original.data);
  });

  it('ends a read in progress on close, and cancels the stream underneath', async () => {
    const s = frameStream();
    const audio = new ReadableAudioStream(s.stream, () => {});
    const reading = collect(audio);
    s.controller.enqueue(s.frame(5));
    await settle();
    audio.close();
    audio.close();
    expect(await reading).toEqual([5]);
    expect(s.cancelled()).toBe(true);
  });

  it('cancels the stream underneath when the reader stops early', async () => {
    const s = frameStream();
    const audio = new ReadableAudioStream(s.stream, () => {});
    s.controller.enqueue(s.frame(1));
    s.controller.enqueue(s.frame(2));
    for await (const pcm of audio) {
      expect(pcm[0]).toBe(1);
      break;
    }
    await settle();
    expect(s.cancelled()).toBe(true);
  });

  it('fails on a frame that is not 24 kHz mono', async () => {
    const s = frameStream();
    const audio = new ReadableAudioStream(s.stream, () => {});
    s.controller.enqueue(s.frame(1, 48000));
    await expect(collect(audio)).rejects.toMatchObject({ code: 'LIVEKIT_BAD_FRAME' });
    await settle();
    expect(s.cancelled()).toBe(true);
  });
});
