/**
 * The caller's direction of one call: RTP packets → decode → 24 kHz frames for the agent, with RFC 4733 DTMF and
 * caller speech detection. Two orderings (`media.jitter.mode`):
 * - `immediate` (default): each packet that is next in sequence is decoded and handed on inside `receive()`; a
 *   reorder buffer holds packets ahead of a missing one briefly, and `tick()` only conceals losses and fills slots
 *   the caller left empty. For agents, which listen but do not play: no deliberate delay.
 * - `adaptive`: a jitter buffer popped at the caller's real packet time on `tick()`, depth changing only in pauses:
 *   smooth audio at the cost of its delay.
 */
import type { Logger } from 'pino';
import { isQuiet } from './audio/frame.js';
import type { CallerSpeech, InterruptRequest } from './barge-in.js';
import type { CodecPath } from './codec-path.js';
import { DtmfReceiver, type DtmfEvent } from './dtmf/rfc4733.js';
import { JitterBuffer, type JitterOutput, type JitterStats } from './rtp/jitter-buffer.js';
import { PlayoutClock } from './rtp/pacer.js';
import type { RtpPacket } from './rtp/packet.js';
import { ReorderBuffer, type ReorderStats } from './rtp/reorder-buffer.js';
import { UplinkPtime } from './uplink-ptime.js';
import type { SpeechEvent } from './vad/index.js';

export type UplinkMode = 'immediate' | 'adaptive';

export interface JitterSettings {
  mode: UplinkMode;
  /** Bounds of the adaptive jitter buffer (unused in `immediate` mode). */
  minMs: number;
  maxMs: number;
  startMs: number;
}

export interface UplinkOptions {
  ptimeMs: number;
  clockRate: number;
  telephoneEventPt: number | undefined;
  telephoneEventRate: number;
  jitter: JitterSettings;
  logger: Logger;
}

export interface UplinkOutput {
  /** 24 kHz frames for the agent, in order. */
  readonly frames: readonly Int16Array[];
  readonly speech: readonly SpeechEvent[];
  readonly interrupt?: InterruptRequest;
  /** Arrival times of the RTP packets these frames came from (for the uplink hop). */
  readonly arrivals: readonly number[];
  /** Arrival of the caller's last packet before each `speech_stopped` in `speech`, in order (for turn latency). */
  readonly speechEndArrivals: readonly number[];
}

/** The output of one tick while it is being built. */
interface UplinkOutputBuilder {
  frames: Int16Array[];
  speech: SpeechEvent[];
  interrupt?: InterruptRequest;
  arrivals: number[];
  speechEndArrivals: number[];
}

/** A pause, not the closure of a stop consonant: 60 ms of quiet frames. */
const PAUSE_FRAMES = 3;

/** What became of a caller packet. */
export type UplinkReceived =
  | { readonly kind: 'dtmf'; readonly events: DtmfEvent[] }
  /** Audio: `out` is what it released at once (immediate mode), nothing in adaptive mode (it waits for a tick). */
  | { readonly kind: 'audio'; readonly out: UplinkOutput };

/** How packets are put in order: a jitter buffer on the clock, or the latency-first reorder buffer. */
type Ordering = { readonly mode: 'adaptive'; readonly buffer: JitterBuffer } | { readonly mode: 'immediate'; readonly buffer: ReorderBuffer };

export class Uplink {
  private ordering: Ordering;
  private readonly ptime: UplinkPtime;
  private readonly dtmf: DtmfReceiver;
  /** Adaptive mode: pops the jitter buffer at the caller's packet time. */
  private clock: PlayoutClock | undefined;
  /** Consecutive quiet caller frames: after PAUSE_FRAMES the jitter buffer may change depth without cutting a word. */
  private quietFrames = PAUSE_FRAMES;
  private lastDtmfPacketMs = -Infinity;
  /** Caller-stream position (ms since answer) of the next packet played out. */
  positionMs = 0;

  constructor(
    private options: UplinkOptions,
    private speech: CallerSpeech,
  ) {
    this.ptime = new UplinkPtime(options.ptimeMs, options.clockRate);
    this.ordering = this.newOrdering();
    this.dtmf = new DtmfReceiver({ clockRate: options.telephoneEventRate });
  }

  get ptimeMs(): number {
    return this.ptime.ms;
  }

  get stats(): JitterStats | ReorderStats {
    return this.ordering.buffer.stats;
  }

  start(atMs: number): void {
    if (this.ordering.mode === 'adaptive') this.clock = new PlayoutClock(atMs, { ptimeMs: this.ptime.ms });
  }

  /**
   * From now on, order the caller's packets through the adaptive jitter buffer (a live call handed over to a bridge:
   * its audio is played to a person now, not listened to by an agent). Packets the reorder buffer held are dropped.
   */
  useAdaptive(nextTickMs: number): void {
    if (this.ordering.mode === 'adaptive') return;
    this.options = { ...this.options, jitter: { ...this.options.jitter, mode: 'adaptive' } };
    this.ordering = this.newOrdering();
    this.clock = new PlayoutClock(nextTickMs, { ptimeMs: this.ptime.ms });
  }

  /** Caller speech detection changes (a bridged leg back with an agent: CallMedia.takeBack). */
  setSpeech(speech: CallerSpeech): void {
    this.speech = speech;
  }

  /** Back to the configured ordering (`media.jitter.mode`) after a bridge: an agent listens again. */
  useConfigured(options: UplinkOptions, nextTickMs: number): void {
    if (this.ordering.mode === options.jitter.mode) return;
    this.reconfigure(options, nextTickMs);
  }

  /** A new codec clock or payload types after a re-INVITE. */
  reconfigure(options: UplinkOptions, nextTickMs: number): void {
    this.options = options;
    this.ordering = this.newOrdering();
    if (this.clock) this.clock = new PlayoutClock(nextTickMs, { ptimeMs: this.ptime.ms });
  }

  /**
   * A packet from the caller: the DTMF events it completed, or audio. In immediate mode the audio it releases is
   * decoded and returned at once (`codec`, `agentPlaying` as for `tick()`); in adaptive mode it waits for the tick.
   */
  receive(packet: RtpPacket, arrivalMs: number, nextTickMs: number, codec: CodecPath, agentPlaying: boolean): UplinkReceived {
    const ordering = this.ordering;
    if (packet.payloadType === this.options.telephoneEventPt) {
      this.lastDtmfPacketMs = arrivalMs;
      // A telephone event takes a sequence number of the caller's stream: the audio after it is not a gap.
      if (ordering.mode === 'immediate') ordering.buffer.skip({ seq: packet.sequenceNumber, ssrc: packet.ssrc, arrivalMs });
      return { kind: 'dtmf', events: this.dtmf.push({ timestamp: packet.timestamp, payload: packet.payload }, arrivalMs) };
    }
    if (this.ptime.observe(packet)) {
      // The caller packetises differently from what it announced: follow its real packet time.
      this.options.logger.info({ ptimeMs: this.ptime.ms }, 'caller packet time differs from SDP; following it');
      if (ordering.mode === 'immediate') {
        ordering.buffer.ptimeMs = this.ptime.ms;
      } else {
        this.ordering = this.newOrdering();
        if (this.clock) this.clock = new PlayoutClock(nextTickMs, { ptimeMs: this.ptime.ms });
      }
    }
    const jitterPacket = { seq: packet.sequenceNumber, timestamp: packet.timestamp, payload: packet.payload, arrivalMs, marker: packet.marker, ssrc: packet.ssrc };
    if (this.ordering.mode === 'adaptive') {
      this.ordering.buffer.push(jitterPacket);
      return QUEUED;
    }
    const released = this.ordering.buffer.push(jitterPacket);
    return { kind: 'audio', out: released.length === 0 ? NOTHING_DUE : this.play(released, arrivalMs, codec, agentPlaying) };
  }

  /** The clock's tick: plays out every caller packet due by `now` (adaptive), or conceals and fills (immediate). */
  tick(now: number, codec: CodecPath, agentPlaying: boolean): UplinkOutput {
    const ordering = this.ordering;
    if (ordering.mode === 'immediate') {
      const released = ordering.buffer.poll(now);
      return released.length === 0 ? NOTHING_DUE : this.play(released, now, codec, agentPlaying);
    }
    const due = this.clock?.poll(now).ticks ?? 0;
    // The clock ticks every few ms and a caller packet is due every 20 ms or more: most ticks play nothing.
    if (due === 0) return NOTHING_DUE;
    const out = newBuilder();
    for (let i = 0; i < due; i++) this.playOne(out, ordering.buffer.pop(now, this.quietFrames >= PAUSE_FRAMES), now, codec, agentPlaying);
    return out;
  }

  /** DTMF presses whose end packets never came. */
  dtmfTimeouts(now: number): DtmfEvent[] {
    return this.dtmf.tick(now);
  }

  private play(packets: readonly JitterOutput[], now: number, codec: CodecPath, agentPlaying: boolean): UplinkOutput {
    const out = newBuilder();
    for (const packet of packets) this.playOne(out, packet, now, codec, agentPlaying);
    return out;
  }

  /** One packet (or concealment, or silence) of the caller's stream: decoded, heard by speech detection, framed. */
  private playOne(out: UplinkOutputBuilder, packet: JitterOutput, now: number, codec: CodecPath, agentPlaying: boolean): void {
    const input = packet.kind === 'audio' ? packet.payload : packet.kind === 'conceal' ? 'conceal' : 'silence';
    if (packet.kind === 'audio') out.arrivals.push(packet.arrivalMs);
    const { native, frames } = codec.decode(input, this.ptime.ms);
    // Only the jitter buffer needs to know whether the caller is quiet (to change depth in a pause).
    const trackQuiet = this.ordering.mode === 'adaptive';
    for (const frame of frames) {
      if (trackQuiet) this.quietFrames = isQuiet(frame) ? this.quietFrames + 1 : 0;
      out.frames.push(frame);
    }
    const heard = this.speech.push(native, this.positionMs, packet.kind === 'audio' ? packet.arrivalMs : now, {
      dtmf: now - this.lastDtmfPacketMs < 100,
      agentPlaying,
    });
    this.positionMs += this.ptime.ms;
    out.speech.push(...heard.events);
    for (const e of heard.events) if (e.type === 'speech_stopped') out.speechEndArrivals.push(this.speech.arrivalOf(e.atMs - 20) ?? now);
    if (heard.interrupt) out.interrupt = heard.interrupt;
  }

  private newOrdering(): Ordering {
    const j = this.options.jitter;
    if (j.mode === 'immediate') return { mode: 'immediate', buffer: new ReorderBuffer({ ptimeMs: this.ptime.ms }) };
    const buffer = new JitterBuffer({ ptimeMs: this.ptime.ms, clockRate: this.options.clockRate, minDelayMs: j.minMs, maxDelayMs: j.maxMs, startDelayMs: j.startMs });
    return { mode: 'adaptive', buffer };
  }
}

function newBuilder(): UplinkOutputBuilder {
  return { frames: [], speech: [], arrivals: [], speechEndArrivals: [] };
}

/** Shared and frozen: the output of a tick with no packet due. */
const NOTHING_DUE: UplinkOutput = Object.freeze({ frames: Object.freeze([]), speech: Object.freeze([]), arrivals: Object.freeze([]), speechEndArrivals: Object.freeze([]) });
/** Shared and frozen: an audio packet that went into the jitter buffer to wait for its tick. */
const QUEUED: UplinkReceived = Object.freeze({ kind: 'audio', out: NOTHING_DUE });
