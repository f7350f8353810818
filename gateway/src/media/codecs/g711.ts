/**
 * ITU-T G.711 µ-law (PCMU) and A-law (PCMA) at 8 kHz, by lookup table.
 *
 * Decoding is one read from a 256-entry table. Encoding is one read from a table indexed by the top bits of the
 * sample: µ-law quantises a 14-bit magnitude (16,384 entries, index `x >> 2`), A-law a 13-bit one (8,192 entries,
 * index `x >> 3`), so both tables are exact, not approximations. The tables are built once at module load from
 * the reference segment formulas below (the ones in ITU-T G.711 and the classic Sun/CCITT `g711.c`).
 */

import type { AudioDecoder, AudioEncoder } from './codec.js';
import { PacketLossConcealer } from './plc.js';

export const G711_SAMPLE_RATE = 8000;

const ULAW_BIAS = 0x84; // 33 in 14-bit units, scaled to 16 bits
const ULAW_CLIP = 8159; // largest 14-bit magnitude before the bias

/** Reference µ-law expansion of one code to a 16-bit linear sample (±32124). */
export function ulawToLinear(code: number): number {
  const u = ~code & 0xff;
  const t = (((u & 0x0f) << 3) + ULAW_BIAS) << ((u & 0x70) >> 4);
  return u & 0x80 ? ULAW_BIAS - t : t - ULAW_BIAS;
}

/** Reference µ-law compression of one 16-bit linear sample (segment search; nearest level). */
export function linearToUlaw(sample: number): number {
  let v = sample >> 2;
  let mask = 0xff;
  if (v < 0) {
    v = -v;
    mask = 0x7f;
  }
  if (v > ULAW_CLIP) v = ULAW_CLIP;
  v += ULAW_BIAS >> 2;
  let seg = 0;
  while (seg < 8 && v >= 0x40 << seg) seg++; // segment ends 0x3F, 0x7F, 0xFF, …
  if (seg >= 8) return 0x7f ^ mask;
  return ((seg << 4) | ((v >> (seg + 1)) & 0x0f)) ^ mask;
}

/** Reference A-law expansion of one code to a 16-bit linear sample (±32256). */
export function alawToLinear(code: number): number {
  const a = (code ^ 0x55) & 0xff;
  let t = (a & 0x0f) << 4;
  const seg = (a & 0x70) >> 4;
  if (seg === 0) t += 8;
  else t = (t + 0x108) << (seg - 1);
  return a & 0x80 ? t : -t;
}

/** Reference A-law compression of one 16-bit linear sample (segment search; nearest level). */
export function linearToAlaw(sample: number): number {
  let v = sample >> 3;
  let mask = 0xd5;
  if (v < 0) {
    mask = 0x55;
    v = -v - 1;
  }
  let seg = 0;
  while (seg < 8 && v >= 0x20 << seg) seg++; // segment ends 0x1F, 0x3F, 0x7F, …
  if (seg >= 8) return 0x7f ^ mask;
  const mantissa = seg < 2 ? (v >> 1) & 0x0f : (v >> seg) & 0x0f;
  return ((seg << 4) | mantissa) ^ mask;
}

function buildDecodeTable(expand: (code: number) => number): Int16Array {
  const table = new Int16Array(256);
  for (let code = 0; code < 256; code++) table[code] = expand(code);
  return table;
}

/** Encode table indexed by `(sample >> shift) & (size - 1)`: the top 16 - shift bits of the sample, two's complement. */
function buildEncodeTable(compress: (sample: number) => number, shift: number): Uint8Array {
  const size = 1 << (16 - shift);
  const table = new Uint8Array(size);
  for (let i = 0; i < size; i++) {
    const top = i >= size / 2 ? i - size : i; // back to a signed value
    table[i] = compress(top << shift);
  }
  return table;
}

export const ULAW_DECODE: Int16Array = buildDecodeTable(ulawToLinear);
export const ALAW_DECODE: Int16Array = buildDecodeTable(alawToLinear);
const ULAW_ENCODE = buildEncodeTable(linearToUlaw, 2); // 16,384 entries
const ALAW_ENCODE = buildEncodeTable(linearToAlaw, 3); // 8,192 entries

type Law = 'ulaw' | 'alaw';

/** G.711 encoder: stateless apart from the interface's `reset()`, which does nothing. */
export class G711Encoder implements AudioEncoder {
  readonly sampleRate = G711_SAMPLE_RATE;
  private readonly table: Uint8Array;
  private readonly shift: number;
  private readonly mask: number;

  constructor(law: Law) {
    this.table = law === 'ulaw' ? ULAW_ENCODE : ALAW_ENCODE;
    this.shift = law === 'ulaw' ? 2 : 3;
    this.mask = this.table.length - 1;
  }

  encode(pcm: Int16Array): Uint8Array {
    const out = new Uint8Array(pcm.length);
    const { table, shift, mask } = this;
    for (let i = 0; i < pcm.length; i++) out[i] = table[((pcm[i] ?? 0) >> shift) & mask] ?? 0;
    return out;
  }

  reset(): void {
    // G.711 encoding has no state.
  }
}

/** G.711 decoder with repeat-and-fade concealment (see plc.ts). */
export class G711Decoder implements AudioDecoder {
  readonly sampleRate = G711_SAMPLE_RATE;
  private readonly table: Int16Array;
  private readonly plc = new PacketLossConcealer(G711_SAMPLE_RATE);

  constructor(law: Law) {
    this.table = law === 'ulaw' ? ULAW_DECODE : ALAW_DECODE;
  }

  decode(payload: Uint8Array): Int16Array {
    const out = new Int16Array(payload.length);
    const table = this.table;
    for (let i = 0; i < payload.length; i++) out[i] = table[payload[i] ?? 0] ?? 0;
    return this.plc.receive(out);
  }

  conceal(samples: number): Int16Array {
    return this.plc.conceal(samples);
  }

  reset(): void {
    this.plc.reset();
  }
}
