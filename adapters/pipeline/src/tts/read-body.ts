/** Reads an HTTP response body (a web ReadableStream) as PCM16 chunks; cancels it if the reader stops early. */
import { Pcm16Reader } from '../pcm.js';

export async function* pcmFromBody(body: ReadableStream<Uint8Array>, options: { skipWavHeader?: boolean } = {}): AsyncGenerator<Int16Array, void, undefined> {
  const pcm = new Pcm16Reader(options);
  const reader = body.getReader();
  let done = false;
  try {
    for (;;) {
      const chunk = await reader.read();
      if (chunk.done) {
        done = true;
        return;
      }
      const samples = pcm.push(chunk.value);
      if (samples.length > 0) yield samples;
    }
  } finally {
    // Stopped early (an interruption, an error downstream): close the connection rather than drain it.
    if (!done) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}
