/**
 * Counter-mode keystream for the next packets of a stream, made in one AES-ECB call. A packet's keystream depends
 * only on its SSRC and index (RFC 3711 §4.1.1; RFC 7714 §8.1), and a stream's indices are consecutive when we send
 * and mostly in order when we receive: so on a miss the keystream of packets `index .. index+K-1` (N counter blocks
 * each) is encrypted in one `update` call, and the next K−1 packets are served from it. Every call into
 * node:crypto is a JS→C++ crossing plus an allocation (≈ 4.6 µs for one packet's 11 blocks on the reference VM);
 * one batch costs about the same as one packet did.
 *
 * Correctness: a hit is an exact (SSRC, index) match inside a batch made for that SSRC, and a batch belongs to one
 * key (one instance per transform direction, made with its session keys; a re-key makes a new transform). Memory
 * is bounded: two batches of K·N·16 bytes (two SSRCs in one direction, e.g. after an SSRC change or alongside a
 * second stream). What does not fit — more than N blocks, an index behind the batch (a late packet), a jump
 * forward, a third SSRC — gets `-1` and the caller encrypts that packet alone. A new batch is made only for the
 * stream's next packets (index within 2K past the batch start), for a slot not yet used, or after two consecutive
 * misses of one stream (it jumped): a stream of scattered indices (reordering, or forged packets a receiver has
 * not authenticated yet) costs at most one batch per two packets and usually none.
 */
export type EncryptBlocks = (counters: Uint8Array) => Uint8Array;
/** Writes the `blocks` counter blocks of packet (ssrc, index) at `dst[at..]`. */
export type WriteCounters = (dst: Uint8Array, at: number, ssrc: number, index: number, blocks: number) => void;

interface Slot {
  ssrc: number;
  base: number;
  stream: Uint8Array | undefined;
  used: number;
}

const BLOCK = 16;

export class KeystreamBatch {
  /** The keystream a successful `lookup` points into (valid until the next `lookup`). */
  stream: Uint8Array = new Uint8Array(0);
  private readonly slots: Slot[] = [
    { ssrc: 0, base: 0, stream: undefined, used: 0 },
    { ssrc: 0, base: 0, stream: undefined, used: 0 },
  ];
  private readonly counters: Uint8Array;
  private tick = 0;
  private missSsrc = -1;
  private missIndex = -1;

  constructor(
    private readonly encrypt: EncryptBlocks,
    private readonly writeCounters: WriteCounters,
    /** Counter blocks kept per packet. */
    readonly blocksPerPacket: number,
    /** Packets per batch. */
    readonly packets: number,
  ) {
    this.counters = new Uint8Array(blocksPerPacket * packets * BLOCK);
  }

  /**
   * The offset in `this.stream` of the keystream for packet (ssrc, index), `blocks` ≤ `blocksPerPacket` blocks,
   * or -1: the caller makes this packet's keystream itself.
   */
  lookup(ssrc: number, index: number, blocks: number): number {
    if (blocks > this.blocksPerPacket) return -1;
    const tick = ++this.tick;
    const K = this.packets;
    let own: Slot | undefined;
    for (const slot of this.slots) {
      if (slot.stream === undefined || slot.ssrc !== ssrc) continue;
      const d = index - slot.base;
      if (d >= 0 && d < K) {
        slot.used = tick;
        this.stream = slot.stream;
        return d * this.blocksPerPacket * BLOCK;
      }
      own = slot;
    }
    const jumped = this.missSsrc === ssrc && this.missIndex === index - 1;
    let target: Slot | undefined;
    if (own !== undefined) {
      const d = index - own.base;
      if ((d >= K && d < 2 * K) || jumped) target = own;
    } else {
      const [a, b] = this.slots;
      if (a !== undefined && b !== undefined) {
        if (a.stream === undefined) target = a;
        else if (b.stream === undefined) target = b;
        else if (jumped) target = a.used <= b.used ? a : b;
      }
    }
    if (target === undefined) {
      this.missSsrc = ssrc;
      this.missIndex = index;
      return -1;
    }
    this.missSsrc = -1;
    const per = this.blocksPerPacket * BLOCK;
    for (let p = 0; p < K; p++) this.writeCounters(this.counters, p * per, ssrc, index + p, this.blocksPerPacket);
    target.ssrc = ssrc;
    target.base = index;
    target.stream = this.encrypt(this.counters);
    target.used = tick;
    this.stream = target.stream;
    return 0;
  }
}
