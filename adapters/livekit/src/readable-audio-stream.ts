/**
 * A remote track's audio (rtc-node's AudioStream, a web ReadableStream of AudioFrames) as our RemoteAudioStream:
 * an async iterable of PCM16 mono 24 kHz copies that `close()` ends at once, a read in progress included.
 */
import type { AudioFrame } from '@livekit/rtc-node';
import { fromAudioFrame } from './frames.js';
import type { RemoteAudioStream } from './room-like.js';

export class ReadableAudioStream implements RemoteAudioStream {
  private readonly reader: ReadableStreamDefaultReader<AudioFrame>;
  private closed = false;

  constructor(
    stream: ReadableStream<AudioFrame>,
    /** Told when cancelling the underlying stream fails. */
    private readonly onError: (err: unknown) => void,
  ) {
    this.reader = stream.getReader();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Int16Array> {
    try {
      while (!this.closed) {
        const { done, value } = await this.reader.read();
        if (done) return;
        yield fromAudioFrame(value);
      }
    } finally {
      this.close();
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    // Cancelling resolves a pending read with `done` and tells rtc-node to drop the native stream.
    this.reader.cancel().catch(this.onError);
  }
}
