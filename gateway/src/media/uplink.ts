/**
 * The caller's direction of one call: RTP packets → jitter buffer (popped at the caller's real packet time, depth
 * changes only in pauses) → decode → 24 kHz frames for the agent, with RFC 4733 DTMF and caller speech detection.
 */
import type { Logger } from 'pino';
import type { CallerSpeech, InterruptRequest } from './barge-in.js';
import type { CodecPath } from './codec-path.js';
import { DtmfReceiver, type DtmfEvent } from './dtmf/rfc4733.js';
import { JitterBuffer } from './rtp/jitter-buffer.js';
import { PlayoutClock } from './rtp/pacer.js';
import type { RtpPacket } from './rtp/packet.js';
import { UplinkPtime } from './uplink-ptime.js';
import type { SpeechEvent } from './vad/index.js';

export interface UplinkOptions {
  ptimeMs: number;
  clockRate: number;
  telephoneEventPt: number | undefined;
  telephoneEventRate: number;
  jitter: { minMs: number; maxMs: number; startMs: number };
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
/** RMS below −40 dBFS. */
const QUIET_ENERGY = 328 * 328;

export class Uplink {
  private jitter: JitterBuffer;
  private readonly ptime: UplinkPtime;
  private readonly dtmf: DtmfReceiver;
  private clock: PlayoutClock | undefined;
  /** Consecutive quiet caller frames: after PAUSE_FRAMES the jitter buffer may change depth without cutting a word. */
  private quietFrames = PAUSE_FRAMES;
  private lastDtmfPacketMs = -Infinity;
  /** Caller-stream position (ms since answer) of the next packet played out. */
  positionMs = 0;

  constructor(
    private options: UplinkOptions,
    private readonly speech: CallerSpeech,
  ) {
    this.ptime = new UplinkPtime(options.ptimeMs, options.clockRate);
    this.jitter = this.newJitterBuffer();
    this.dtmf = new DtmfReceiver({ clockRate: options.telephoneEventRate });
  }

  get ptimeMs(): number {
    return this.ptime.ms;
  }

  get stats() {
    return this.jitter.stats;
  }

  start(atMs: number): void {
    this.clock = new PlayoutClock(atMs, { ptimeMs: this.ptime.ms });
  }

  /** A new codec clock or payload types after a re-INVITE. */
  reconfigure(options: UplinkOptions, nextTickMs: number): void {
    this.options = options;
    this.jitter = this.newJitterBuffer();
    if (this.clock) this.clock = new PlayoutClock(nextTickMs, { ptimeMs: this.ptime.ms });
  }

  /** A packet from the caller: DTMF events it completed, or `audio` when it went to the jitter buffer. */
  receive(packet: RtpPacket, arrivalMs: number, nextTickMs: number): DtmfEvent[] | 'audio' {
    if (packet.payloadType === this.options.telephoneEventPt) {
      this.lastDtmfPacketMs = arrivalMs;
      return this.dtmf.push({ timestamp: packet.timestamp, payload: packet.payload }, arrivalMs);
    }
    if (this.ptime.observe(packet)) {
      // The caller packetises differently from what it announced: pop at its real packet time.
      this.options.logger.info({ ptimeMs: this.ptime.ms }, 'caller packet time differs from SDP; following it');
      this.jitter = this.newJitterBuffer();
      if (this.clock) this.clock = new PlayoutClock(nextTickMs, { ptimeMs: this.ptime.ms });
    }
    this.jitter.push({ seq: packet.sequenceNumber, timestamp: packet.timestamp, payload: packet.payload, arrivalMs, marker: packet.marker, ssrc: packet.ssrc });
    return 'audio';
  }

  /** Plays out every caller packet due by `now`. */
  tick(now: number, codec: CodecPath, agentPlaying: boolean): UplinkOutput {
    const due = this.clock?.poll(now).ticks ?? 0;
    // The clock ticks every 10 ms and a caller packet is due every 20 ms or more: most ticks play nothing.
    if (due === 0) return NOTHING_DUE;
    const out: UplinkOutputBuilder = { frames: [], speech: [], arrivals: [], speechEndArrivals: [] };
    for (let i = 0; i < due; i++) {
      const packet = this.jitter.pop(now, this.quietFrames >= PAUSE_FRAMES);
      const input = packet.kind === 'audio' ? packet.payload : packet.kind === 'conceal' ? 'conceal' : 'silence';
      if (packet.kind === 'audio') out.arrivals.push(packet.arrivalMs);
      const { native, frames } = codec.decode(input, this.ptime.ms);
      for (const frame of frames) {
        this.quietFrames = isQuiet(frame) ? this.quietFrames + 1 : 0;
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
    return out;
  }

  /** DTMF presses whose end packets never came. */
  dtmfTimeouts(now: number): DtmfEvent[] {
    return this.dtmf.tick(now);
  }

  private newJitterBuffer(): JitterBuffer {
    const j = this.options.jitter;
    return new JitterBuffer({ ptimeMs: this.ptime.ms, clockRate: this.options.clockRate, minDelayMs: j.minMs, maxDelayMs: j.maxMs, startDelayMs: j.startMs });
  }
}

/** Shared and frozen: the output of a tick with no packet due. */
const NOTHING_DUE: UplinkOutput = Object.freeze({ frames: Object.freeze([]), speech: Object.freeze([]), arrivals: Object.freeze([]), speechEndArrivals: Object.freeze([]) });

function isQuiet(frame: Int16Array): boolean {
  const limit = QUIET_ENERGY * frame.length;
  let energy = 0;
  for (let i = 0; i < frame.length; i++) {
    const v = frame[i] ?? 0;
    energy += v * v;
    // The sum only grows: once past the limit the frame is loud, whatever follows.
    if (energy >= limit) return false;
  }
  return true;
}
