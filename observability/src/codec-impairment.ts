/**
 * Equipment impairment Ie and packet-loss robustness Bpl per codec, for the E-model (mos.ts).
 *
 * - G.711 (PCMU, PCMA): Ie 0; Bpl 25.1 with packet-loss concealment (ITU-T G.113 Appendix I, Table I.3, G.711 with
 *   G.711 Appendix I PLC, random loss), 4.3 without. The gateway conceals lost G.711 packets (a simplified G.711
 *   Appendix I), so 25.1 is the default.
 * - G.722: scored on the narrowband scale, not with the wideband E-model (G.107.1, Rmax 129). Reasons: one scale
 *   for every call in one MOS histogram; most callers reach us through narrowband legs; and G.113 gives no Bpl for
 *   our concealment. In narrowband terms G.722 at 64 kbit/s is at least as good as G.711, so Ie 0, and it is
 *   concealed by the same Appendix-I-style PLC, so Bpl 25.1. A G.722 call thus scores like a G.711 call with the
 *   same delay and loss: its wideband benefit is not counted.
 * - Opus: G.113 has no values. Conservative choice on the narrowband scale: Ie 0 (assumes ≥ 16 kbit/s, where Opus
 *   is at least toll quality) and Bpl 25.1 (no credit for Opus's own, better, concealment or in-band FEC).
 * - Anything else: Ie 0 and Bpl 4.3, the least robust figure above, so an unknown codec never looks better than
 *   G.711 without concealment.
 */

export interface CodecImpairment {
  ie: number;
  bpl: number;
  /** False when the codec is not in the table and the conservative fallback was used. */
  known: boolean;
}

const G711_PLC: CodecImpairment = { ie: 0, bpl: 25.1, known: true };
const G711_NO_PLC: CodecImpairment = { ie: 0, bpl: 4.3, known: true };

/** Ie and Bpl for an SDP encoding name (case-insensitive: PCMU, PCMA, G722, opus). */
export function codecImpairment(codec: string, options: { plc?: boolean } = {}): CodecImpairment {
  const plc = options.plc ?? true;
  switch (codec.trim().toLowerCase()) {
    case 'pcmu':
    case 'pcma':
    case 'g711':
    case 'g.711':
    case 'g722':
    case 'g.722':
    case 'opus':
      return plc ? G711_PLC : G711_NO_PLC;
    default:
      return { ie: 0, bpl: 4.3, known: false };
  }
}
