/** G.711 µ-law for test peers: written here, independently of the gateway's codec, so tests can catch its bugs. */

const ULAW_BIAS = 0x84;
const ULAW_CLIP = 32_635;

/** µ-law byte → linear sample (ITU-T G.711), as a 256-entry table. */
export const ULAW_DECODE: Int16Array = (() => {
  const table = new Int16Array(256);
  for (let byte = 0; byte < 256; byte++) {
    const u = ~byte & 0xff;
    const exponent = (u >> 4) & 0x07;
    const magnitude = ((((u & 0x0f) << 3) + ULAW_BIAS) << exponent) - ULAW_BIAS;
    table[byte] = (u & 0x80) !== 0 ? -magnitude : magnitude;
  }
  return table;
})();

/** Segment (exponent) of a biased magnitude's top byte: the classic 256-entry `exp_lut`. */
const ULAW_EXPONENT: Uint8Array = (() => {
  const table = new Uint8Array(256);
  for (let i = 1; i < 256; i++) table[i] = 31 - Math.clz32(i);
  return table;
})();

/** Linear sample → µ-law byte (ITU-T G.711). 0 encodes as 0xFF, which decodes to exactly 0. */
export function ulawEncode(sample: number): number {
  let s = Math.max(-32_768, Math.min(32_767, Math.round(sample)));
  const sign = s < 0 ? 0x80 : 0;
  if (s < 0) s = -s;
  s = Math.min(s, ULAW_CLIP) + ULAW_BIAS;
  const exponent = ULAW_EXPONENT[(s >> 7) & 0xff] ?? 0;
  const mantissa = (s >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

export function ulawDecodeBytes(bytes: Uint8Array): Int16Array {
  const out = new Int16Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = ULAW_DECODE[bytes[i] ?? 0xff] ?? 0;
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Types
