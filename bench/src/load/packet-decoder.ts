/**
 * One call's receive-side decoding at the load generator (synchronous; `await loadResampler()` first), with the
 * gateway's own decoders: a received payload → its peak (at the codec's rate) and, for calls that look for markers,
 * its audio at 8 kHz in a buffer reused for every packet.
 *
 * - G.711: a 256-entry table taken from the gateway's decoder once, so a packet costs lookups only.
 * - G.722 (16 kHz) and Opus (24 kHz): the gateway's stateful decoder, then, only when 8 kHz audio is wanted, the
 *   gateway's resampler down to 8 kHz. Its filter delay is `delayMs`, which the marker tracker takes back.
 */
import { createDecoder, createResampler, type AudioDecoder, type Resampler } from '@patchbay/gateway';
import type { CodecName } from './codec-profile.js';
import { CALLER_RATE, SAMPLES_PER_PACKET } from './signals.js';

/**
 * Quality of the 8 kHz downsampler: speex 4 holds the G.712 band (to 3,400 Hz, the markers go to 3,000) flat within
 * 0.02 dB for 24 → 8 kHz (the gateway's own default for that pair) and 16 → 8 kHz, with a 4 ms delay.
 */
const DOWN_QUALITY = 4;

const tables = new Map<CodecName, Int16Array>();

/** The gateway's G.711 decoding of every byte value. */
function g711Table(codec: 'PCMU' | 'PCMA'): Int16Array {
  let table = tables.get(codec);
  if (table === undefined) {
    table = createDecoder(codec).decode(Uint8Array.from({ length: 256 }, (_, i) => i));
    tables.set(codec, table);
  }
  return table;
}

type Path =
  | { readonly kind: 'table'; readonly table: Int16Array }
  | { readonly kind: 'decoder'; readonly decoder: AudioDecoder; readonly down: Resampler | undefined };

export class PacketDecoder {
  /** The last packet's audio at 8 kHz (zeros past a short packet); kept up to date when created with `pcm8k: true`. */
  readonly pcm8k = new Int16Array(SAMPLES_PER_PACKET);
  /** Delay of the 8 kHz conversion, ms (0 for G.711): subtract from the time a sound is heard in `pcm8k`. */
  readonly delayMs: number;
  private readonly path: Path;

  /** `pcm8k`: whether `decode()` fills `pcm8k` (echo calls) or only measures the peak (turn and barge-in calls). */
  constructor(codec: CodecName, options: { readonly pcm8k: boolean }) {
    if (codec === 'PCMU' || codec === 'PCMA') {
      this.path = { kind: 'table', table: g711Table(codec) };
      this.delayMs = 0;
      return;
    }
    const decoder = createDecoder(codec);
    const down = options.pcm8k ? createResampler(decoder.sampleRate, CALLER_RATE, { quality: DOWN_QUALITY }) : undefined;
    this.path = { kind: 'decoder', decoder, down };
    this.delayMs = down === undefined ? 0 : (down.delaySamples / CALLER_RATE) * 1000;
  }

  /** The payload `packet[offset, end)`: returns its peak absolute sample, fills `pcm8k` if asked to. */
  decode(packet: Uint8Array, offset: number): number {
    const path = this.path;
    if (path.kind === 'table') return this.lookUp(path.table, packet, offset);
    const native = path.decoder.decode(packet.subarray(offset));
    let peak = 0;
    for (let i = 0; i < native.length; i++) {
      const v = native[i] ?? 0;
      const a = v < 0 ? -v : v;
      if (a > peak) peak = a;
    }
    if (path.down !== undefined) {
      const pcm = path.down.process(native);
      const n = Math.min(pcm.length, SAMPLES_PER_PACKET);
      this.pcm8k.set(pcm.subarray(0, n));
      this.pcm8k.fill(0, n);
    }
    return peak;
  }

  close(): void {
    if (this.path.kind === 'decoder') this.path.down?.close();
  }

  private lookUp(table: Int16Array, packet: Uint8Array, offset: number): number {
    const out = this.pcm8k;
    const n = Math.min(packet.length - offset, SAMPLES_PER_PACKET);
    let peak = 0;
    for (let i = 0; i < n; i++) {
      const v = table[packet[offset + i] ?? 0] ?? 0;
      out[i] = v;
      const a = v < 0 ? -v : v;
      if (a > peak) peak = a;
    }
    out.fill(0, Math.max(0, n));
    return peak;
  }
}
