/**
 * The SRTP packet index from a 16-bit sequence number (RFC 3711 §3.3.1 and Appendix A): the rollover counter (ROC)
 * is guessed as ROC-1, ROC or ROC+1 from how far the sequence number is from the highest one seen (s_l), so a
 * packet from just before a wrap, or the first ones after it, get the right 48-bit index.
 */

const HALF = 32768;

/** The guessed ROC `v` for `seq` given the stream's `roc` and highest sequence `highestSeq` (may be `roc - 1`). */
export function guessRoc(roc: number, highestSeq: number, seq: number): number {
  if (highestSeq < HALF) return seq - highestSeq > HALF ? roc - 1 : roc;
  return highestSeq - HALF > seq ? roc + 1 : roc;
}

/** Per-SSRC rollover state: the ROC and the highest sequence number, advanced by `advance` after acceptance. */
export class RolloverCounter {
  constructor(
    public roc: number,
    public highestSeq: number,
  ) {}

  /** Records an accepted packet whose ROC was guessed as `v` (RFC 3711 §3.3.1: update ROC and s_l). */
  advance(v: number, seq: number): void {
    if (v > this.roc) {
      this.roc = v >>> 0;
      this.highestSeq = seq;
    } else if (v === this.roc && seq > this.highestSeq) {
      this.highestSeq = seq;
    }
  }
}
