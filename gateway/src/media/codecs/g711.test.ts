import { describe, expect, it } from 'vitest';

import { createDecoder, createEncoder } from './codec.js';
import { ALAW_DECODE, ULAW_DECODE, linearToAlaw, linearToUlaw } from './g711.js';

/** ITU-T G.711 µ-law expansion written from the segment formula: ±(((2m + 33) << e) - 33), in 14-bit units × 4. */
function ituUlaw(code: number): number {
  const u = ~code & 0xff;
  const e = (u >> 4) & 7;
  const m = u & 0x0f;
  const magnitude = (((2 * m + 33) << e) - 33) * 4;
  return u & 0x80 ? 0 - magnitude : magnitude;
}

/** ITU-T G.711 A-law expansion: e = 0: 2m + 1, else (2m + 33) << (e - 1), in 13-bit units × 8; even bits inverted. */
function ituAlaw(code: number): number {
  const a = code ^ 0x55;
  const e = (a >> 4) & 7;
  const m = a & 0x0f;
  const magnitude = (e === 0 ? 2 * m + 1 : (2 * m + 33) << (e - 1)) * 8;
  return a & 0x80 ? magnitude : 0 - magnitude;
}

const LAWS = [
  { name: 'PCMU', table: ULAW_DECODE, reference: ituUlaw, compress: linearToUlaw, truncation: 4 },
  { name: 'PCMA', table: ALAW_DECODE, reference: ituAlaw, compress: linearToAlaw, truncation: 8 },
] as const;

describe.each(LAWS)('G.711 $name', ({ name, table, reference, compress, truncation }) => {
  it('decodes all 256 codes exactly as the G.711 formula', () => {
    for (let code = 0; code < 256; code++) expect(table[code], `code ${code}`).toBe(reference(code));
  });

  it('round-trips every code through encode(decode(code))', () => {
    const enc = createEncoder(name);
    const dec = createDecoder(name);
    const codes = Uint8Array.from({ length: 256 }, (_, i) => i);
    const back = enc.encode(dec.decode(codes));
    for (let code = 0; code < 256; code++) {
      // µ-law has two zeros (0x7F = −0 and 0xFF = +0); −0 decodes to 0 and re-encodes as +0.
      const expected = name === 'PCMU' && code === 0x7f ? 0xff : code;
      expect(back[code], `code ${code}`).toBe(expected);
    }
  });

  it('encodes every 16-bit sample like the reference encoder, monotonically, within half a step', () => {
    const enc = createEncoder(name);
    const all = Int16Array.from({ length: 65_536 }, (_, i) => i - 32_768);
    const codes = enc.encode(all);
    const maxLevel = reference(name === 'PCMU' ? 0x80 : 0xaa);
    let previous = -Infinity;
    for (let i = 0; i < all.length; i++) {
      const x = all[i] ?? 0;
      const code = codes[i] ?? -1;
      if (code !== compress(x)) expect.fail(`${name}: table encodes ${x} as ${code}, reference as ${compress(x)}`);
      const level = reference(code);
      if (level < previous) expect.fail(`${name}: not monotonic at ${x}`);
      previous = level;
      // Step of the code's segment in 16-bit units; the 16-bit input is floored to 14 (µ) / 13 (A) bits first.
      const e = ((name === 'PCMU' ? ~code : code ^ 0x55) >> 4) & 7;
      const step = name === 'PCMU' ? 8 << e : e === 0 ? 16 : 8 << e;
      if (Math.abs(x) <= maxLevel && Math.abs(x - level) > step / 2 + truncation) {
        expect.fail(`${name}: ${x} → ${level}, more than half a step (${step}) away`);
      }
    }
    expect(Math.abs(maxLevel)).toBe(name === 'PCMU' ? 32_124 : 32_256);
  });

  it('decodes a payload to one sample per byte at 8 kHz and conceals with the requested length', () => {
    const dec = createDecoder(name);
    expect(dec.sampleRate).toBe(8000);
    expect(dec.decode(new Uint8Array(160)).length).toBe(160);
    expect(dec.decode(new Uint8Array(0)).length).toBe(0);
    expect(dec.conceal(160).length).toBe(160);
  });
});
