/**
 * Turns a stream of bytes of PCM16 little-endian (an HTTP body, cut anywhere) into whole samples. A chunk may end in
 * the middle of a sample: the odd byte waits for the next chunk. With `skipWavHeader`, a RIFF/WAVE header at the start
 * of the stream is dropped (a TTS service that wraps linear16 in WAV despite being asked for raw audio).
 */

/** Largest WAV header we look through for the `data` chunk before giving up and treating the bytes as audio. */
const MAX_HEADER_BYTES = 4_096;

export class Pcm16Reader {
  private carry: number | undefined;
  /** Bytes held while deciding whether the stream starts with a WAV header. */
  private head: Uint8Array | undefined;
  private started = false;
  /** Samples returned so far. */
  samples = 0;

  constructor(private readonly options: { skipWavHeader?: boolean } = {}) {}

  /** The whole samples `bytes` completes (a fresh array the caller owns; empty when none). */
  push(bytes: Uint8Array): Int16Array {
    let input = bytes;
    if (!this.started && this.options.skipWavHeader === true) {
      const joined = this.head === undefined ? bytes : concat(this.head, bytes);
      const body = wavBody(joined);
      if (body === 'need-more') {
        this.head = joined;
        return EMPTY;
      }
      this.head = undefined;
      input = body;
    }
    this.started = true;
    return this.decode(input);
  }

  /** Bytes held back (an odd byte, or an unfinished header) that no sample came of. */
  get pendingBytes(): number {
    return (this.carry === undefined ? 0 : 1) + (this.head?.length ?? 0);
  }

  private decode(bytes: Uint8Array): Int16Array {
    const total = bytes.length + (this.carry === undefined ? 0 : 1);
    const count = total >> 1;
    const out = new Int16Array(count);
    let offset = 0;
    let i = 0;
    if (this.carry !== undefined && count > 0) {
      out[i++] = toInt16(this.carry | ((bytes[0] ?? 0) << 8));
      offset = 1;
      this.carry = undefined;
    }
    for (; i < count; i++, offset += 2) out[i] = toInt16((bytes[offset] ?? 0) | ((bytes[offset + 1] ?? 0) << 8));
    if (offset < bytes.length) this.carry = bytes[offset];
    this.samples += count;
    return out;
  }
}

const EMPTY = new Int16Array(0);

function toInt16(u16: number): number {
  return u16 >= 0x8000 ? u16 - 0x10000 : u16;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** The audio after a WAV header, the bytes unchanged when they do not start one, or 'need-more'. */
function wavBody(bytes: Uint8Array): Uint8Array | 'need-more' {
  if (bytes.length < 12) return isPrefixOf(bytes, RIFF) ? 'need-more' : bytes;
  if (!isPrefixOf(bytes.subarray(0, 4), RIFF) || !isPrefixOf(bytes.subarray(8, 12), WAVE)) return bytes;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 12;
  while (offset + 8 <= bytes.length) {
    const id = String.fromCharCode(...bytes.subarray(offset, offset + 4));
    if (id === 'data') return bytes.subarray(offset + 8);
    offset += 8 + view.getUint32(offset + 4, true);
    if (offset > MAX_HEADER_BYTES) return bytes.subarray(Math.min(offset, bytes.length));
  }
  return bytes.length > MAX_HEADER_BYTES ? bytes.subarray(bytes.length) : 'need-more';
}

const RIFF = new Uint8Array([0x52, 0x49, 0x46, 0x46]);
const WAVE = new Uint8Array([0x57, 0x41, 0x56, 0x45]);

function isPrefixOf(bytes: Uint8Array, of: Uint8Array): boolean {
  for (let i = 0; i < bytes.length && i < of.length; i++) if (bytes[i] !== of[i]) return false;
  return true;
}
