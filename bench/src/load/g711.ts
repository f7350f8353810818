/** G.711 µ-law for the load generator (independent of the gateway's codec): tables, so a packet costs lookups only. */

const ULAW_BIAS = 0x84;
const ULAW_CLIP = 32_635;

/** µ-law byte → linear sample. */
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

/** Linear sample → µ-law byte (ITU-T G.711). */
export function ulawEncode(sample: number): number {
  let s = Math.max(-32_768, Math.min(32_767, Math.round(sample)));
  const sign = s < 0 ? 0x80 : 0;
  if (s < 0) s = -s;
  s = Math.min(s, ULAW_CLIP) + ULAW_BIAS;
  const exponent = 31 - Math.clz32((s >> 7) & 0xff || 1);
  const mantissa = (s >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

export function ulawEncodeAll(pcm: Int16Array): Uint8Array {
  const out = new Uint8Array(pcm.length);
  for (let i = 0; i < pcm.length; i++) out[i] = ulawEncode(pcm[i] ?? 0);
  return out;
}

/** Decode `bytes` into `out` (reused by the caller); returns the peak absolute sample. */
export function ulawDecodeInto(bytes: Uint8Array, out: Int16Array): number {
  let peak = 0;
  const n = Math.min(bytes.length, out.length);
  for (let i = 0; i < n; i++) {
    const v = ULAW_DECODE[bytes[i] ?? 0xff] ?? 0;
    out[i] = v;
    const a = v < 0 ? -v : v;
    if (a > peak) peak = a;
  }
  return peak;
}
