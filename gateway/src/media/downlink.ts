/**
 * One call's outbound direction: agent audio (or a bridged leg's) in the playout queue → encode → RTP on the call's
 * playout clock, with the agent's playout commands (marks, clear, DTMF out), hold, barge-in's cut, the catch-up after
 * clock stalls and the turn's latency. `CallMedia` owns it, feeds it the shared clock's ticks and tells it of the
 * session's changes; it knows nothing of SIP or of the caller's direction.
 */
import type { HopMetrics } from '../metrics/hop-metrics.js';
import type { NegotiatedMedia } from '../sdp/index.js';
import type { AgentControl } from './agent-control.js';
import { isQuiet, SAMPLE_RATE, samplesToMs } from './audio/frame.js';
import { fadeOut, type InterruptRequest } from './barge-in.js';
import { dtmfSenderFor, type MediaSettings, type MediaTap } from './call-media-options.js';
import type { CodecPath } from './codec-path.js';
import type { DtmfSender } from './dtmf/rfc4733.js';
import { PlayoutQueue, wholeMs, type ClearResult, type MarkOutcome, type TakeResult } from './playout-queue.js';
import { PlayoutClock, RtpStreamState } from './rtp/pacer.js';
import { rtpSize, serializeRtp, type RtpPacket } from './rtp/packet.js';
import { epochMs, roundMs, type MediaTimelineEvent } from './timeline.js';
import type { TurnTrace } from './turn-trace.js';

/** How long a continuous source's due packet may wait for its frame before the playout underruns, ms. */
const MAX_HOLD_MS = 10;
/** Most due packets held at once (the pacer's own catch-up limit). */
const MAX_HELD_TICKS = 3;
/** At most a second of stall delay is owed (a longer stall is an outage, not jitter). */
const MAX_OWED_SAMPLES = SAMPLE_RATE;
/** The barge-in fade: 10 ms at 24 kHz. */
const FADE_SAMPLES = 240;

/** What the outbound direction tells the caller's side (barge-in's speech detector). */
export interface DownlinkHooks {
  /** The agent began a talk spurt (the detector's echo guard starts from here). */
  spurtStarted(): void;
  /** Barge-in cut the agent: its last packet left at `stoppedMs`. */
  interrupted(request: InterruptRequest, stoppedMs: number): void;
  /** Audio of an interrupted turn arrived after the cut and was dropped, ms. */
  staleDropped(ms: number): void;
}

export interface DownlinkCounters {
  packetsSent: number;
  dtmfSent: number;
  stallTrimmedSamples: number;
}

export interface DownlinkOptions {
  negotiated: NegotiatedMedia;
  codec: CodecPath;
  settings: Pick<MediaSettings, 'maxPlayoutMs' | 'leadMs'>;
  /** A bridged leg from the start: its source is a person, continuous. */
  bridged: boolean;
  /** The agent's side: marks, `cleared`, `interrupted` and DTMF errors go to it. */
  agent: AgentControl;
  hops: HopMetrics;
  /** After a barge-in, the interrupted turn's late audio is dropped for this long unless the agent clears first, ms. */
  guardMs: number;
  timeline: (event: MediaTimelineEvent) => void;
  turns: TurnTrace | undefined;
  counters: DownlinkCounters;
  /** Sends one serialized RTP packet (the call's endpoint). */
  sendRtp(bytes: Uint8Array): void;
  hooks: DownlinkHooks;
}

export class Downlink {
  /** Our outbound RTP stream (RTCP's sender reports read it). */
  readonly stream: RtpStreamState;
  private readonly playout: PlayoutQueue;
  private negotiated: NegotiatedMedia;
  private codec: CodecPath;
  private dtmfOut: DtmfSender | undefined;
  private clock: PlayoutClock | undefined;
  private bridgedLeg: boolean;
  private tailPending = false;
  private interruptRequest: InterruptRequest | undefined;
  /** After an interruption: agent audio is dropped until the agent's `clear` or this time. */
  private discardUntilMs: number | undefined;
  /** Due packets held for a continuous source's late frame, and since when (performance.now()). */
  private heldTicks = 0;
  private heldSinceMs: number | undefined;
  /** When the caller's last turn ended (its last packet's arrival), until the agent's next audio goes out. */
  private turnEndedAtMs: number | undefined;
  /** Agent audio made late by clock stalls during a spurt, to be won back from its pauses. */
  private stallOwedSamples = 0;
  /** A supervisor's tap on what the caller hears (monitor/), when one listens in. */
  private tap: MediaTap | undefined;
  /** Turns answered so far (the timeline's `turn.index`). */
  private turnCount = 0;

  constructor(private readonly options: DownlinkOptions) {
    const n = options.negotiated;
    this.negotiated = n;
    this.codec = options.codec;
    this.bridgedLeg = options.bridged;
    this.stream = new RtpStreamState({ payloadType: n.codec.payloadType, clockRate: n.codec.clockRate, ptimeMs: n.ptimeMs });
    this.playout = new PlayoutQueue({
      maxSamples: (options.settings.maxPlayoutMs * SAMPLE_RATE) / 1000,
      leadSamples: (options.settings.leadMs * SAMPLE_RATE) / 1000,
      continuous: this.bridgedLeg,
    });
    this.dtmfOut = dtmfSenderFor(n);
  }

  /** A bridged leg: its source is a person (from the start, or since `handOver`). */
  get bridged(): boolean {
    return this.bridgedLeg;
  }

  /** Agent audio is playing (or queued to play). */
  get playing(): boolean {
    return this.playout.active;
  }

  /** Starts the playout clock at `atMs` (the shared clock's next tick). */
  start(atMs: number): void {
    this.clock = new PlayoutClock(atMs, { ptimeMs: this.negotiated.ptimeMs });
  }

  /** A re-INVITE changed the session; `codec` is the new codec path when the codec or ptime changed. */
  update(n: NegotiatedMedia, codec: CodecPath | undefined, nextTickMs: number): void {
    this.negotiated = n;
    if (codec !== undefined) {
      this.codec = codec;
      this.stream.recode({ payloadType: n.codec.payloadType, clockRate: n.codec.clockRate, ptimeMs: n.ptimeMs });
      if (this.clock) this.clock = new PlayoutClock(nextTickMs, { ptimeMs: n.ptimeMs });
    }
    this.dtmfOut = dtmfSenderFor(n);
  }

  /** A live handover: what the agent had queued is dropped, and from now on the source is a person, continuous. */
  handOver(): void {
    this.bridgedLeg = true;
    this.playout.clear();
    this.playout.setContinuous();
    this.forgetTurn();
    this.codec.resetDown();
    this.stream.startTalkspurt();
    this.tailPending = false;
  }

  /** The reverse of `handOver`: an agent talks to the caller again (replaceAgent follows). */
  takeBack(): void {
    this.bridgedLeg = false;
    this.heldTicks = 0;
    this.heldSinceMs = undefined;
  }

  /**
   * Another agent takes over: what the last one had queued is dropped and its pending marks forgotten. Returns the
   * audio of its last turn the caller heard (ms). `agentIsBridge`: on a bridged leg, an agent talking to it (a warm
   * transfer's consultation) plays its bursts whole, not trimmed.
   */
  replaceAgent(agentIsBridge: boolean): number {
    const cut = this.playout.clear();
    this.playout.setContinuous(this.bridgedLeg && agentIsBridge);
    this.forgetTurn();
    return wholeMs(cut.playedSamples);
  }

  /** The caller's turn ended (its last packet's arrival): the agent's next spurt answers it. */
  turnEnded(arrivalMs: number): void {
    this.turnEndedAtMs = arrivalMs;
  }

  /** Barge-in: cut the agent at the next outbound packet (two people on a bridge talk over each other instead). */
  requestInterrupt(request: InterruptRequest): void {
    if (!this.bridgedLeg) this.interruptRequest = request;
  }

  /** A supervisor listens in (monitor/), or stops (undefined). */
  setTap(tap: MediaTap | undefined): void {
    this.tap = tap;
  }

  // ---- the agent's playout commands -------------------------------------------------------------------------

  /** Agent audio to play; returns the samples dropped because the queue was full. */
  play(pcm: Int16Array): number {
    if (this.discardUntilMs !== undefined) {
      // Audio of the interrupted turn still in flight: dropped until the agent's clear (or the guard time).
      if (performance.now() < this.discardUntilMs) {
        this.options.hooks.staleDropped(samplesToMs(pcm.length));
        return 0;
      }
      this.discardUntilMs = undefined;
    }
    return this.playout.push(pcm, performance.now());
  }

  mark(name: string): void {
    const reached = this.playout.mark(name);
    if (reached) this.sendMark(reached);
  }

  clear(turnId: string | undefined): void {
    this.discardUntilMs = undefined; // the agent has stopped the interrupted turn: what follows is new
    const result = this.playout.clear();
    this.stream.startTalkspurt();
    this.codec.resetDown();
    this.tailPending = false;
    for (const m of result.marks) this.sendMark(m);
    this.options.agent.send({ type: 'cleared', ...played(result), ...(turnId ? { turnId } : {}) });
  }

  sendDtmf(digits: string, durationMs: number): void {
    const sender = this.dtmfOut;
    const agent = this.options.agent;
    if (!sender) {
      agent.send({ type: 'error', code: 'dtmf_unsupported', message: 'the caller did not negotiate telephone-event (RFC 4733)' });
      return;
    }
    for (const d of digits) {
      if (sender.send(d, durationMs)) {
        this.options.counters.dtmfSent++;
        this.options.timeline({ type: 'dtmf', atMs: epochMs(), digit: d, direction: 'out' });
      } else agent.send({ type: 'error', code: 'dtmf_queue_full', message: `digit '${d}' not sent: DTMF queue full` });
    }
  }

  /** The call ends: marks still pending were never heard and come back `cleared` (docs/protocol.md). */
  clearMarks(): void {
    for (const m of this.playout.clear().marks) this.sendMark(m);
  }

  // ---- the clock --------------------------------------------------------------------------------------------

  /** One tick of the shared clock: the packets due on the playout clock go out. */
  tick(now: number): void {
    const down = this.clock?.poll(now);
    if (down) {
      this.stream.skip(down.skipped);
      // A stall skipped send times while agent audio was playing: that audio is now late by as much. Owe it, and
      // catch up by dropping as many quiet packets of the spurt (pauses), so stalls never add up into lasting delay.
      if (down.skipped > 0 && this.playout.active) {
        this.stallOwedSamples = Math.min(MAX_OWED_SAMPLES, this.stallOwedSamples + down.skipped * this.codec.samplesPerPacket24k);
      }
      this.sendDue(down.ticks, now);
    } else if (this.heldTicks > 0) {
      this.sendDue(0, now);
    }
  }

  /**
   * Sends the packets due. A continuous source (a bridged leg) whose next frame is not here yet holds its packet for
   * up to `MAX_HOLD_MS` instead of underrunning: after a clock stall the two legs' catch-up runs in the clock's order,
   * so this leg may be due before the other leg's frames for the same ticks are out; an underrun there would restart
   * the spurt behind a whole lead, slipping the stream 40 ms inside a word, where a held packet leaves a few ms late.
   */
  private sendDue(due: number, now: number): void {
    let ticks = due + this.heldTicks;
    this.heldTicks = 0;
    if (ticks > MAX_HELD_TICKS) {
      this.stream.skip(ticks - MAX_HELD_TICKS); // as the pacer skips what a stall made too late
      ticks = MAX_HELD_TICKS;
    }
    for (; ticks > 0; ticks--) {
      if (this.bridgedLeg && this.playout.short(this.codec.samplesPerPacket24k)) {
        this.heldSinceMs ??= now;
        if (now - this.heldSinceMs < MAX_HOLD_MS) {
          this.heldTicks = ticks;
          return;
        }
      }
      this.heldSinceMs = undefined;
      this.sendTick();
    }
  }

  private sendTick(): void {
    const dir = this.negotiated.direction;
    if (dir === 'recvonly' || dir === 'inactive') {
      // On hold: send nothing, keep the clock running. A bridged leg's other side talks on, and what it says is due
      // now or never: it is dropped, as a person on hold misses it, so the caller resumes live and not behind a
      // backlog. (An agent's audio waits for the resume instead: it is a turn the caller has not heard yet.)
      if (this.bridgedLeg) this.playout.take(this.codec.samplesPerPacket24k);
      this.stream.endTick();
      return;
    }
    if (this.interruptRequest) {
      this.interrupt(this.interruptRequest);
      this.interruptRequest = undefined;
      this.stream.endTick();
      return;
    }
    const events = this.dtmfOut?.tick(this.stream.timestamp) ?? [];
    const te = this.negotiated.telephoneEvent;
    if (events.length > 0 && te) {
      for (const e of events) {
        const header = this.stream.packet({ payloadType: te.payloadType, timestamp: e.timestamp, marker: e.marker, speech: false, payloadBytes: e.payload.length });
        this.send({ ...header, csrcs: [], payload: e.payload });
      }
    } else {
      this.sendAudio();
    }
    this.stream.endTick();
  }

  /** The tick's audio packet: the agent's next 20 ms, the end of its last spurt, or silence. */
  private sendAudio(): void {
    const taken = performance.now();
    const next = this.tapped(this.takePlayout());
    if (next) {
      if (next.spurtStart) {
        this.stream.startTalkspurt();
        this.options.hooks.spurtStarted();
      }
      const payload = this.codec.encode(next.samples);
      const encoded = next.spurtStart && this.options.turns?.awaitingAnswer ? performance.now() : 0;
      this.sendPayload(payload, true);
      this.recordSent(taken, encoded, next.chunkArrivals, next.spurtStart);
      this.tailPending = true;
      for (const m of next.marks) this.sendMark(m);
    } else if (this.tailPending) {
      // The resampler still holds the end of the last spurt: push silence through it once so nothing is cut.
      this.tailPending = false;
      this.sendPayload(this.codec.encode(new Int16Array(this.codec.samplesPerPacket24k)), true);
    } else {
      this.sendPayload(this.codec.encodeSilence(), false);
    }
  }

  /** A tap (a supervisor) hears the packet, and may add to it (barge): a packet of its own when nothing plays. */
  private tapped(next: TakeResult | undefined): TakeResult | undefined {
    const tap = this.tap;
    if (tap === undefined) return next;
    const samples = tap.downlink(next?.samples, this.codec.samplesPerPacket24k);
    if (samples === undefined || samples === next?.samples) return next;
    return next === undefined ? { samples, spurtStart: false, marks: [], chunkArrivals: [] } : { ...next, samples };
  }

  /** The next agent packet, skipping quiet ones while a stall's delay is owed. */
  private takePlayout(): TakeResult | undefined {
    const count = this.codec.samplesPerPacket24k;
    let next = this.playout.take(count);
    while (next && !next.spurtStart && this.stallOwedSamples > 0 && isQuiet(next.samples)) {
      for (const m of next.marks) this.sendMark(m);
      this.stallOwedSamples -= count;
      this.options.counters.stallTrimmedSamples += count;
      next = this.playout.take(count);
    }
    if (!this.playout.active) this.stallOwedSamples = 0; // the spurt is over: nothing is late any more
    return next;
  }

  /** The downlink hops of a sent packet and, when it starts the answer to the caller's turn, the turn's latency. */
  private recordSent(takenMs: number, encodedMs: number, chunkArrivals: number[], spurtStart: boolean): void {
    const sent = performance.now();
    const hops = this.options.hops;
    hops.downlinkProcessingMs.record(sent - takenMs);
    for (const arrival of chunkArrivals) if (arrival > 0) hops.downlinkMs.record(sent - arrival);
    if (spurtStart && this.turnEndedAtMs !== undefined) {
      const latencyMs = sent - this.turnEndedAtMs;
      hops.turnMs.record(latencyMs);
      this.options.timeline({ type: 'turn', atMs: epochMs(sent), index: ++this.turnCount, latencyMs: roundMs(latencyMs) });
      this.turnEndedAtMs = undefined;
      const received = chunkArrivals.find((a) => a > 0) ?? takenMs;
      this.options.turns?.answered({ receivedMs: received, takenMs, encodedMs: encodedMs || sent, sentMs: sent });
    }
  }

  /**
   * Barge-in: the caller spoke over the agent. This packet carries the agent's next 20 ms faded to silence (no
   * click), everything queued behind it is dropped, pending marks come back `cleared`, and the agent learns exactly
   * how much it said: `playedMs` counts every packet that left, this one included.
   */
  private interrupt(request: InterruptRequest): void {
    const next = this.playout.take(this.codec.samplesPerPacket24k);
    if (next) {
      const faded = next.samples.slice(); // `samples` may be a view of the agent's chunk: fade a copy
      fadeOut(faded, FADE_SAMPLES);
      this.sendPayload(this.codec.encode(faded), true);
      for (const m of next.marks) this.sendMark(m);
    }
    const result = this.playout.clear();
    this.codec.resetDown();
    this.stream.startTalkspurt();
    this.tailPending = false;
    for (const m of result.marks) this.sendMark(m);
    const cut = played(result);
    this.options.agent.send({ type: 'interrupted', ...cut, marks: result.marks.map((m) => m.name) });
    const stoppedMs = performance.now();
    this.options.hooks.interrupted(request, stoppedMs);
    this.options.hops.bargeInMs.record(stoppedMs - request.onsetArrivalMs);
    this.options.timeline({ type: 'barge-in', atMs: epochMs(stoppedMs), playedMs: cut.playedMs, reactionMs: roundMs(stoppedMs - request.onsetArrivalMs) });
    this.options.turns?.bargeIn(request.onsetArrivalMs, stoppedMs);
    this.discardUntilMs = performance.now() + this.options.guardMs;
  }

  /** A turn's pending interruption, its late audio and its answer timing no longer apply. */
  private forgetTurn(): void {
    this.interruptRequest = undefined;
    this.discardUntilMs = undefined;
    this.turnEndedAtMs = undefined;
  }

  private sendMark(m: MarkOutcome): void {
    this.options.timeline({ type: 'mark', atMs: epochMs(), name: m.name, played: m.status === 'played' });
    this.options.agent.send({ type: 'mark', name: m.name, status: m.status, playedMs: wholeMs(m.playedSamples) });
  }

  private sendPayload(payload: Uint8Array, speech: boolean): void {
    const h = this.stream.packet({ speech, payloadBytes: payload.length });
    this.send({ payloadType: h.payloadType, marker: h.marker, sequenceNumber: h.sequenceNumber, timestamp: h.timestamp, ssrc: h.ssrc, csrcs: NO_CSRCS, payload });
  }

  private send(packet: RtpPacket): void {
    this.options.counters.packetsSent++;
    // A fresh buffer per packet (dgram may still hold the last one), but cut from Node's pool: a small
    // `new Uint8Array` gets its own off-heap backing store, which costs more than the packet is worth.
    this.options.sendRtp(serializeRtp(packet, Buffer.allocUnsafe(rtpSize(packet))));
  }
}

/**
 * What a clear (the agent's, or barge-in's) reports of the cut turn, in whole ms (`floor(samples / 24)`, each field
 * on its own): the turn's played and dropped audio, and the position inside the item that was playing.
 */
function played(result: ClearResult): { playedMs: number; droppedMs: number; itemPlayedMs: number; afterMark?: string } {
  const counts = { playedMs: wholeMs(result.playedSamples), droppedMs: wholeMs(result.droppedSamples), itemPlayedMs: wholeMs(result.itemPlayedSamples) };
  return result.afterMark === undefined ? counts : { ...counts, afterMark: result.afterMark };
}

const NO_CSRCS: number[] = []; // our packets carry no CSRCs; serializeRtp only reads this
