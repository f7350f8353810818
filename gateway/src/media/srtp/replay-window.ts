/**
 * The receiver's replay list for one SSRC (RFC 3711 §3.3.2): the highest index authenticated so far and a window
 * of the `size` indices below it, one flag each. `check` is asked before authenticating (cheap refusal of replays
 * and of packets too old to judge); `accept` records an index only after the packet authenticated, so a forged
 * packet can never move the window or mark an index as seen.
 *
 * Indices are the 48-bit SRTP packet index (ROC·2^16 + SEQ) or the 31-bit SRTCP index: both exact in a double.
 */

export class ReplayWindow {
  private highest = -1;
  private readonly seen: Uint8Array;

  constructor(readonly size: number) {
    this.seen = new Uint8Array(size);
  }

  /** True if `index` is new: above the highest, or inside the window and not seen yet. */
  check(index: number): boolean {
    if (index > this.highest) return true;
    if (this.highest - index >= this.size) return false;
    return this.seen[index % this.size] === 0;
  }

  /** Records an authenticated `index` (call only after `check` said true and the tag verified). */
  accept(index: number): void {
    const size = this.size;
    if (index > this.highest) {
      const step = this.highest < 0 ? size : index - this.highest;
      if (step >= size) this.seen.fill(0);
      else for (let i = this.highest + 1; i < index; i++) this.seen[i % size] = 0;
      this.highest = index;
    }
    this.seen[index % size] = 1;
  }

  /** The highest authenticated index, -1 before the first. */
  get highestIndex(): number {
    return this.highest;
  }
}
