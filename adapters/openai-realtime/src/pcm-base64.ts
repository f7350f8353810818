/**
 * PCM16 LE ↔ base64, the Realtime API's audio encoding (`input_audio_buffer.append.audio`,
 * `response.output_audio.delta.delta`). Both rates are 24 kHz, the gateway's own: no resampling, the samples pass
 * unchanged. Pure and synchronous.
 */
import { pcm16FromBytes, pcm16ToBytes } from '@patchbay/agents';

/** Base64 of `pcm` as PCM16 little-endian (copies; the caller may reuse `pcm`). */
export function pcmToBase64(pcm: Int16Array): string {
  return pcm16ToBytes(pcm).toString('base64');
}

/**
 * Decodes a stream of base64 audio deltas into whole samples. A delta that ends in the middle of a sample keeps its
 * odd byte for the next delta of the same stream (`reset()` between items).
 */
export class Base64PcmDecoder {
  private carry: number | undefined;

  /** The samples in `delta` (a new array the caller may hand over), after any byte carried from the last one. */
  decode(delta: string): Int16Array {
    let bytes: Uint8Array = Buffer.from(delta, 'base64');
    if (this.carry !== undefined) {
      const joined = new Uint8Array(bytes.length + 1);
      joined[0] = this.carry;
      joined.set(bytes, 1);
      bytes = joined;
      this.carry = undefined;
    }
    if (bytes.length % 2 === 1) this.carry = bytes[bytes.length - 1];
    return pcm16FromBytes(bytes);
  }

  reset(): void {
    this.carry = undefined;
  }
}
