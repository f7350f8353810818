/**
 * PCM16 little-endian bytes ↔ `Int16Array`, independent of the host's byte order and of the alignment of the input
 * (Node's pooled Buffers often start at odd offsets, where an `Int16Array` view is impossible). Both copy.
 */

import { endianness } from 'node:os';

const LITTLE_ENDIAN_HOST = endianness() === 'LE';

/** Decodes `bytes` (even length) of PCM16 LE into a new `Int16Array`. */
export function pcm16FromBytes(bytes: Uint8Array): Int16Array {
  const samples = new Int16Array(bytes.byteLength >> 1);
  if (LITTLE_ENDIAN_HOST) {
    new Uint8Array(samples.buffer).set(bytes.subarray(0, samples.length * 2));
  } else {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < samples.length; i++) samples[i] = view.getInt16(i * 2, true);
  }
  return samples;
}

/** Encodes samples as PCM16 LE into a new Buffer (safe to hand to a socket while the caller reuses `pcm`). */
export function pcm16ToBytes(pcm: Int16Array): Buffer {
  const out = Buffer.allocUnsafe(pcm.length * 2);
  if (LITTLE_ENDIAN_HOST) {
    out.set(new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength));
  } else {
    for (let i = 0; i < pcm.length; i++) out.writeInt16LE(pcm[i] ?? 0, i * 2);
  }
  return out;
}
