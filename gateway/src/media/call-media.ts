/**
 * One call's media: caller RTP → (reorder or jitter buffer) → decode → 24 kHz frames → agent, and agent audio →
 * playout queue → encode → RTP paced by the shared media clock. Carries out the agent's playout commands (marks,
 * clear, DTMF both ways; the rest of the agent's side is `AgentControl`). Holds no timers of its own: caller audio
 * goes to the agent as it arrives (`immediate` uplink) or on the clock's ticks (`adaptive`); everything else moves on
 * the ticks.
 */
import type { StopReasonValue } from '@patchbay/agents';
import type { AgentLink } from '../agent/agent-link.js';
import type { NegotiatedMedia } from '../sdp/index.js';
import { AgentControl, type AgentCommandTarget } from './agent-control.js';
import { isQuiet, SAMPLE_RATE, samplesToMs } from './audio/frame.js';
import { CodecPath } from './codec-path.js';
import type { DtmfSender } from './dtmf/rfc4733.js';
import { PlayoutQueue, wholeMs, type ClearResult, type MarkOutcome, type TakeResult } from './playout-queue.js';
import { RtcpSession } from './rtcp-session.js';
import { RtpEndpoint } from './rtp-endpoint.js';
import { SrtpPacketTransport } from './srtp-packet-transport.js';
import { UdpPacketTransport } from './udp-packet-transport.js';
import { PlayoutClock, RtpStreamState } from './rtp/pacer.js';
import { rtpSize, serializeRtp, type RtpPacket } from './rtp/packet.js';
import { Uplink, type UplinkOutput } from './uplink.js';
import { callerSpeech, dtmfSenderFor, payloadTypes, sameSrtpKeys, targetOf, uplinkOptions, type BargeInSettings, type CallMediaOptions, type MediaTap } from './call-media-options.js';
import { fadeOut, type CallerSpeech, type InterruptRequest } from './barge-in.js';
import { TurnTrace } from './turn-trace.js';
import { epochMs, roundMs, type MediaTimelineEvent } from './timeline.js';
import { Teardown } from '../teardown.js';

export type { BargeInSettings, CallMediaEvents, CallMediaOptions, MediaSettings } from './call-media-options.js';

/** How long a continuous source's due packet may wait for its frame before the playout underruns, ms. */
const MAX_HOLD_MS = 10;
/** Most due packets held at once (the pacer's own catch-up limit). */
const MAX_HELD_TICKS = 3;
/** At most a second of stall delay is owed (a longer stall is an outage, not jitter). */
const MAX_OWED_SAMPLES = SAMPLE_RATE;

export class CallMedia implements AgentCommandTarget {
  private negotiated: NegotiatedMedia;
  private codec: CodecPath;
  private stream: RtpStreamState;
  private readonly uplink: Uplink;
  private readonly playout: PlayoutQueue;
  private readonly endpoint: RtpEndpoint;
  /** The SRTP layer under the endpoint, when the session negotiated SRTP. */
  private readonly srtp: SrtpPacketTransport | undefined;
  private readonly rtcp: RtcpSession;
  private dtmfOut: DtmfSender | undefined;
  /** The agent's side: attach it to the agent link as its sink (what the agent sends goes through it). */
  readonly agent: AgentControl;
  private downClock: PlayoutClock | undefined;
  private unsubscribe: (() => void) | undefined;
  private lastRtpMs = 0;
  private tailPending = false;
  private timedOut = false;
  private closed = false;
  /** A tick or a packet's handling threw: the media does nothing more until it is closed. */
  private faulted = false;
  private speech: CallerSpeech;
  private interruptRequest: InterruptRequest | undefined;
  /** After an interruption: agent audio is dropped until the agent's `clear` or this time. */
  private discardUntilMs: number | undefined;
  /** A bridged leg, from the start or since `handOver` (CallMediaOptions `bridged`). */
  private bridged: boolean;
  /** Due packets held for a continuous source's late frame, and since when (performance.now()). */
  private heldTicks = 0;
  private heldSinceMs: number | undefined;
  /** When the caller's last turn ended (its last packet's arrival), until the agent's next audio goes out. */
  private turnEndedAtMs: number | undefined;
  /** Agent audio made late by clock stalls during a spurt, to be won back from its pauses. */
  private stallOwedSamples = 0;
  /** Per-turn timing for the call's trace; only when tracing is on. */
  private readonly turns: TurnTrace | undefined;
  /** The call's timeline (records): a handful of events per turn, never per packet. */
  private readonly timeline: (event: MediaTimelineEvent) => void;
  /** A supervisor's tap on both directions (monitor/), when one listens in. */
  private tap: MediaTap | undefined;
  /** Turns answered so far (the timeline's `turn.index`). */
  private turnCount = 0;
  readonly counters = { framesToAgent: 0, packetsSent: 0, dtmfReceived: 0, dtmfSent: 0, stallTrimmedSamples: 0 };

  constructor(private readonly options: CallMediaOptions) {
    this.bridged = options.bridged === true;
    const n = options.negotiated;
    this.negotiated = n;
    this.codec = new CodecPath(n.codec.name, n.ptimeMs, options.settings.opus);
    this.stream = new RtpStreamState({ payloadType: n.codec.payloadType, clockRate: n.codec.clockRate, ptimeMs: n.ptimeMs });
    this.playout = new PlayoutQueue({
      maxSamples: (options.settings.maxPlayoutMs * SAMPLE_RATE) / 1000,
      leadSamples: (options.settings.leadMs * SAMPLE_RATE) / 1000,
      continuous: this.bridged,
    });
    this.dtmfOut = dtmfSenderFor(n);
    const trace = options.trace;
    this.turns = trace ? new TurnTrace(trace) : undefined;
    const turns = this.turns;
    this.timeline = options.timeline ?? noTimeline;
    this.agent = new AgentControl(this, {
      events: options.events,
      hops: options.hops,
      timeline: this.timeline,
      ...(turns && { onStage: (stage, ms) => turns.stage(stage, ms, performance.now()) }),
    });
    this.rtcp = new RtcpSession({
      clockRate: n.codec.clockRate,
      outbound: this.stream,
      outboundClockRate: n.codec.clockRate,
      cname: `patchbay-${options.callId.slice(0, 8)}`,
      intervalMs: options.settings.rtcpIntervalMs,
    });
    this.speech = callerSpeech(options.bargeIn, this.codec.descriptor.pcmRate);
    this.uplink = new Uplink(uplinkOptions(n, options.settings, options.logger, this.bridged), this.speech);
    const udp = new UdpPacketTransport(options.ports);
    if (n.srtp !== undefined) {
      if (options.srtp === undefined) throw new Error('SRTP negotiated but the media has no SRTP library');
      this.srtp = new SrtpPacketTransport(udp, options.srtp.createSession(n.srtp), { logger: options.logger, totals: options.srtp.totals });
    }
    this.endpoint = new RtpEndpoint(this.srtp ?? udp, targetOf(n), payloadTypes(n), {
      onRtp: (p, at) => this.receive(p, at),
      onRtcp: (bytes, at) => this.receiveRtcp(bytes, at),
    }, options.logger, options.sources);
  }

  attachAgent(link: AgentLink): void {
    this.agent.attach(link);
  }

  /**
   * A live handover (forwarding a live call): the agent has left, and from now on the call plays another leg's
   * caller (bridge/junction.ts). What the agent had queued is dropped, barge-in stops interrupting (two people talk
   * over each other), the playout treats its source as continuous, and the caller's audio goes through the
   * adaptive jitter buffer: a person hears it now (CallMediaOptions `bridged`).
   */
  handOver(link: AgentLink): void {
    this.bridged = true;
    this.uplink.useAdaptive(this.options.clock.nextTickMs());
    this.playout.clear();
    this.playout.setContinuous();
    this.interruptRequest = undefined;
    this.discardUntilMs = undefined;
    this.turnEndedAtMs = undefined;
    this.codec.resetDown();
    this.stream.startTalkspurt();
    this.tailPending = false;
    this.agent.attach(link);
  }

  /**
   * The reverse of `handOver` (forwarding's `onPersonHangup: agent`): the person hung up and an agent takes the call
   * back. The playout leaves its continuous mode, barge-in interrupts again as `bargeIn` says (detection starts now
   * if the call was bridged from its start), and the caller's audio goes through the configured jitter mode.
   */
  takeBack(link: AgentLink, bargeIn: BargeInSettings): void {
    this.bridged = false;
    if (this.speech.mode === 'off' && bargeIn.mode !== 'off') {
      this.speech.close();
      this.speech = callerSpeech(bargeIn, this.codec.descriptor.pcmRate);
      this.uplink.setSpeech(this.speech);
    }
    this.uplink.useConfigured(uplinkOptions(this.negotiated, this.options.settings, this.options.logger, false), this.options.clock.nextTickMs());
    this.heldTicks = 0;
    this.heldSinceMs = undefined;
    this.replaceAgent(link);
  }

  /**
   * Another agent takes over (agent failover: the stand-in, a re-dialled agent, the apology; a warm transfer: the
   * caller's agent to the person's leg, hold music to the caller's). What
   * the failed one had queued is dropped and its pending marks forgotten. Returns the audio of its last turn the
   * caller heard (ms), for the next agent's `start.resume.playedMs`.
   */
  replaceAgent(link: AgentLink): number {
    const cut = this.playout.clear();
    // A bridged leg an agent talks to (a warm transfer's consultation): the agent's bursts play whole, not trimmed.
    this.playout.setContinuous(this.bridged && link.kind === 'bridge');
    this.interruptRequest = undefined;
    this.discardUntilMs = undefined;
    this.turnEndedAtMs = undefined;
    this.agent.attach(link);
    return wholeMs(cut.playedSamples);
  }

  /** Starts both directions on the shared clock (at answer). */
  start(): void {
    if (this.unsubscribe || this.closed) return;
    const at = this.options.clock.nextTickMs();
    this.uplink.start(at);
    this.downClock = new PlayoutClock(at, { ptimeMs: this.negotiated.ptimeMs });
    this.lastRtpMs = performance.now();
    this.unsubscribe = this.options.clock.subscribe((now) => this.tick(now));
  }

  /** A re-INVITE changed the session: follow the new address, direction and, if it changed, codec. */
  update(n: NegotiatedMedia): void {
    const old = this.negotiated;
    this.negotiated = n;
    // The SDP session keeps a call SRTP or plain (call/sdp-session.ts); new keys take effect at once.
    if (this.srtp !== undefined && n.srtp !== undefined && !sameSrtpKeys(old.srtp, n.srtp) && this.options.srtp !== undefined) {
      this.srtp.rekey(this.options.srtp.createSession(n.srtp));
    }
    this.endpoint.retarget(targetOf(n), payloadTypes(n));
    if (old.codec.name !== n.codec.name || old.codec.payloadType !== n.codec.payloadType || old.ptimeMs !== n.ptimeMs) {
      this.codec.close();
      this.codec = new CodecPath(n.codec.name, n.ptimeMs, this.options.settings.opus);
      this.stream = new RtpStreamState({
        payloadType: n.codec.payloadType,
        clockRate: n.codec.clockRate,
        ptimeMs: n.ptimeMs,
        ssrc: this.stream.ssrc,
        initialSequence: this.stream.sequenceNumber,
        initialTimestamp: this.stream.timestamp,
      });
      this.uplink.reconfigure(uplinkOptions(n, this.options.settings, this.options.logger, this.bridged), this.options.clock.nextTickMs());
      if (this.downClock) this.downClock = new PlayoutClock(this.options.clock.nextTickMs(), { ptimeMs: n.ptimeMs });
    }
    this.dtmfOut = dtmfSenderFor(n);
    this.lastRtpMs = performance.now();
    this.timedOut = false;
  }

  /** DTMF that came by SIP INFO. */
  dtmfFromInfo(digit: string, durationMs: number): void {
    this.counters.dtmfReceived++;
    this.timeline({ type: 'dtmf', atMs: epochMs(), digit, direction: 'in' });
    this.agent.send({ type: 'dtmf', digit, durationMs, source: 'sip-info' });
  }

  get stats() {
    return {
      rtp: this.endpoint.stats,
      jitter: this.uplink.stats,
      rtcpJitterMs: this.rtcp.jitterMs,
      lost: this.rtcp.lost,
      expected: this.rtcp.expected,
      remote: this.rtcp.remote,
      uplinkPtimeMs: this.uplink.ptimeMs,
      codec: this.negotiated.codec.name,
      srtp: this.srtp === undefined ? undefined : { suite: this.srtp.suite, failures: { ...this.srtp.failures } },
      bargeIn: this.speech.stats,
      ...this.counters,
      playoutOverflowSamples: this.agent.overflowSamples,
    };
  }

  // ---- the agent's playout commands (AgentCommandTarget, called by AgentControl) -------------------------------

  play(pcm: Int16Array): number {
    if (this.discardUntilMs !== undefined) {
      // Audio of the interrupted turn still in flight: dropped until the agent's clear (or the guard time).
      if (performance.now() < this.discardUntilMs) {
        this.speech.stats.staleDroppedMs += samplesToMs(pcm.length);
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
    this.agent.send({ type: 'cleared', ...played(result), ...(turnId ? { turnId } : {}) });
  }

  sendDtmf(digits: string, durationMs: number): void {
    const sender = this.dtmfOut;
    if (!sender) {
      this.agent.send({ type: 'error', code: 'dtmf_unsupported', message: 'the caller did not negotiate telephone-event (RFC 4733)' });
      return;
    }
    for (const d of digits) {
      if (sender.send(d, durationMs)) {
        this.counters.dtmfSent++;
        this.timeline({ type: 'dtmf', atMs: epochMs(), digit: d, direction: 'out' });
      } else this.agent.send({ type: 'error', code: 'dtmf_queue_full', message: `digit '${d}' not sent: DTMF queue full` });
    }
  }

  // ---- the clock --------------------------------------------------------------------------------------------

  /**
   * One clock tick, and the boundary for everything a tick does (decoding, encoding, the RTP and RTCP sends, whose
   * `dgram.send` throws synchronously on a bad port or a closed socket): a throw stops this call's media and asks
   * for its end, instead of reaching the shared clock (or, from a socket handler, the process).
   */
  private tick(now: number): void {
    if (this.closed || this.faulted) return;
    try {
      this.advance(now);
    } catch (err) {
      this.fault('clock tick', err);
    }
  }

  private advance(now: number): void {
    this.deliverUplink(this.uplink.tick(now, this.codec, this.playout.active), now);
    const down = this.downClock?.poll(now);
    if (down) {
      this.stream.skip(down.skipped);
      // A stall skipped send times while agent audio was playing: that audio is now late by as much. Owe it, and
      // catch up by dropping as many quiet packets of the spurt (pauses), so stalls never add up into lasting delay.
      if (down.skipped > 0 && this.playout.active) {
        this.stallOwedSamples = Math.min(MAX_OWED_SAMPLES, this.stallOwedSamples + down.skipped * this.codec.samplesPerPacket24k);
      }
      this.downlinkTicks(down.ticks, now);
    } else if (this.heldTicks > 0) {
      this.downlinkTicks(0, now);
    }
    for (const e of this.uplink.dtmfTimeouts(now)) this.deliverDtmf(e.digit, e.durationMs);
    const report = this.rtcp.poll(now);
    if (report) this.endpoint.sendRtcp(report);
    this.checkRtpTimeout(now);
  }

  /**
   * Sends the packets due. A continuous source (a bridged leg) whose next frame is not here yet holds its packet for
   * up to `MAX_HOLD_MS` instead of underrunning: after a clock stall the two legs' catch-up runs in the clock's order,
   * so this leg may be due before the other leg's frames for the same ticks are out; an underrun there would restart
   * the spurt behind a whole lead, slipping the stream 40 ms inside a word, where a held packet leaves a few ms late.
   */
  private downlinkTicks(due: number, now: number): void {
    let ticks = due + this.heldTicks;
    this.heldTicks = 0;
    if (ticks > MAX_HELD_TICKS) {
      this.stream.skip(ticks - MAX_HELD_TICKS); // as the pacer skips what a stall made too late
      ticks = MAX_HELD_TICKS;
    }
    for (; ticks > 0; ticks--) {
      if (this.bridged && this.playout.short(this.codec.samplesPerPacket24k)) {
        this.heldSinceMs ??= now;
        if (now - this.heldSinceMs < MAX_HOLD_MS) {
          this.heldTicks = ticks;
          return;
        }
      }
      this.heldSinceMs = undefined;
      this.downlinkTick();
    }
  }

  /**
   * Caller audio the uplink released, from a tick or (immediate mode) straight from the packet that brought it:
   * frames to the agent, the uplink hop (`beganMs`: when its processing began), speech events, the turn's end, and a
   * barge-in request, acted on at the next outbound packet.
   */
  private deliverUplink(out: UplinkOutput, beganMs: number): void {
    if (out.frames.length > 0) {
      const decoded = this.turns ? performance.now() : 0;
      const tap = this.tap;
      for (const frame of out.frames) this.agent.sendAudio(tap === undefined ? frame : tap.uplink(frame));
      this.counters.framesToAgent += out.frames.length;
      const sent = performance.now();
      const hops = this.options.hops;
      hops.uplinkProcessingMs.record(sent - beganMs);
      for (const arrival of out.arrivals) hops.uplinkMs.record(sent - arrival);
      this.turns?.uplink(out.arrivals, beganMs, decoded, sent);
    }
    const ended = out.speechEndArrivals.at(-1);
    if (ended !== undefined) {
      this.turnEndedAtMs = ended;
      this.turns?.speechEnded(ended);
    }
    for (const e of out.speech) this.agent.send(e);
    if (out.interrupt && !this.bridged) this.interruptRequest = out.interrupt;
  }

  private downlinkTick(): void {
    const dir = this.negotiated.direction;
    if (dir === 'recvonly' || dir === 'inactive') {
      // On hold: send nothing, keep the clock running. A bridged leg's other side talks on, and what it says is due
      // now or never: it is dropped, as a person on hold misses it, so the caller resumes live and not behind a
      // backlog. (An agent's audio waits for the resume instead: it is a turn the caller has not heard yet.)
      if (this.bridged) this.playout.take(this.codec.samplesPerPacket24k);
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
      const taken = performance.now();
      const next = this.tapped(this.takePlayout());
      if (next) {
        if (next.spurtStart) {
          this.stream.startTalkspurt();
          this.speech.agentSpurtStarted(this.uplink.positionMs);
        }
        const payload = this.codec.encode(next.samples);
        const encoded = next.spurtStart && this.turns?.awaitingAnswer ? performance.now() : 0;
        this.sendPayload(payload, true);
        this.recordDownlink(taken, encoded, next.chunkArrivals, next.spurtStart);
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
    this.stream.endTick();
  }

  /** A tap (a supervisor) hears the packet, and may add to it (barge): a packet of its own when nothing plays. */
  private tapped(next: TakeResult | undefined): TakeResult | undefined {
    const tap = this.tap;
    if (tap === undefined) return next;
    const samples = tap.downlink(next?.samples, this.codec.samplesPerPacket24k);
    if (samples === undefined || samples === next?.samples) return next;
    return next === undefined ? { samples, spurtStart: false, marks: [], chunkArrivals: [] } : { ...next, samples };
  }

  /** A supervisor listens in (monitor/), or stops (undefined). */
  setTap(tap: MediaTap | undefined): void {
    this.tap = tap;
  }

  /** The next agent packet, skipping quiet ones while a stall's delay is owed. */
  private takePlayout(): TakeResult | undefined {
    const count = this.codec.samplesPerPacket24k;
    let next = this.playout.take(count);
    while (next && !next.spurtStart && this.stallOwedSamples > 0 && isQuiet(next.samples)) {
      for (const m of next.marks) this.sendMark(m);
      this.stallOwedSamples -= count;
      this.counters.stallTrimmedSamples += count;
      next = this.playout.take(count);
    }
    if (!this.playout.active) this.stallOwedSamples = 0; // the spurt is over: nothing is late any more
    return next;
  }

  private recordDownlink(takenMs: number, encodedMs: number, chunkArrivals: number[], spurtStart: boolean): void {
    const sent = performance.now();
    const hops = this.options.hops;
    hops.downlinkProcessingMs.record(sent - takenMs);
    for (const arrival of chunkArrivals) if (arrival > 0) hops.downlinkMs.record(sent - arrival);
    if (spurtStart && this.turnEndedAtMs !== undefined) {
      const latencyMs = sent - this.turnEndedAtMs;
      hops.turnMs.record(latencyMs);
      this.timeline({ type: 'turn', atMs: epochMs(sent), index: ++this.turnCount, latencyMs: roundMs(latencyMs) });
      this.turnEndedAtMs = undefined;
      const received = chunkArrivals.find((a) => a > 0) ?? takenMs;
      this.turns?.answered({ receivedMs: received, takenMs, encodedMs: encodedMs || sent, sentMs: sent });
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
    this.agent.send({ type: 'interrupted', ...cut, marks: result.marks.map((m) => m.name) });
    const stoppedMs = performance.now();
    this.speech.interrupted(request, stoppedMs);
    this.options.hops.bargeInMs.record(stoppedMs - request.onsetArrivalMs);
    this.timeline({ type: 'barge-in', atMs: epochMs(stoppedMs), playedMs: cut.playedMs, reactionMs: roundMs(stoppedMs - request.onsetArrivalMs) });
    this.turns?.bargeIn(request.onsetArrivalMs, stoppedMs);
    this.discardUntilMs = performance.now() + this.options.bargeIn.guardMs;
  }

  // ---- helpers ----------------------------------------------------------------------------------------------

  /** A caller RTP packet from the endpoint's socket handler: a throw ends this call, never the process. */
  private receive(packet: RtpPacket, arrivalMs: number): void {
    if (this.closed || this.faulted) return;
    try {
      this.receivePacket(packet, arrivalMs);
    } catch (err) {
      this.fault('RTP packet', err);
    }
  }

  private receiveRtcp(bytes: Uint8Array, arrivalMs: number): void {
    if (this.closed || this.faulted) return;
    try {
      this.rtcp.onRtcp(bytes, arrivalMs);
    } catch (err) {
      this.fault('RTCP packet', err);
    }
  }

  /** The first fault stops the media (ticks and packets are ignored from now on) and asks for the call's end. */
  private fault(source: string, err: unknown): void {
    if (this.faulted) return;
    this.faulted = true;
    try {
      this.options.logger.error({ err, source }, 'call media failed; ending the call');
    } finally {
      this.options.events.onFault?.(err);
    }
  }

  private receivePacket(packet: RtpPacket, arrivalMs: number): void {
    const began = performance.now();
    this.lastRtpMs = arrivalMs;
    const result = this.uplink.receive(packet, arrivalMs, this.options.clock.nextTickMs(), this.codec, this.playout.active);
    if (result.kind === 'dtmf') {
      for (const e of result.events) this.deliverDtmf(e.digit, e.durationMs);
      return;
    }
    this.deliverUplink(result.out, began);
    this.rtcp.onRtp(packet, arrivalMs);
  }

  private deliverDtmf(digit: string, durationMs: number): void {
    this.counters.dtmfReceived++;
    this.timeline({ type: 'dtmf', atMs: epochMs(), digit, direction: 'in' });
    this.agent.send({ type: 'dtmf', digit, durationMs, source: 'rfc4733' });
  }

  private sendMark(m: MarkOutcome): void {
    this.timeline({ type: 'mark', atMs: epochMs(), name: m.name, played: m.status === 'played' });
    this.agent.send({ type: 'mark', name: m.name, status: m.status, playedMs: wholeMs(m.playedSamples) });
  }

  private sendPayload(payload: Uint8Array, speech: boolean): void {
    const h = this.stream.packet({ speech, payloadBytes: payload.length });
    this.send({ payloadType: h.payloadType, marker: h.marker, sequenceNumber: h.sequenceNumber, timestamp: h.timestamp, ssrc: h.ssrc, csrcs: NO_CSRCS, payload });
  }

  private send(packet: RtpPacket): void {
    this.counters.packetsSent++;
    // A fresh buffer per packet (dgram may still hold the last one), but cut from Node's pool: a small
    // `new Uint8Array` gets its own off-heap backing store, which costs more than the packet is worth.
    this.endpoint.sendRtp(serializeRtp(packet, Buffer.allocUnsafe(rtpSize(packet))));
  }

  private checkRtpTimeout(now: number): void {
    const limit = this.options.settings.rtpTimeoutMs;
    const dir = this.negotiated.direction;
    if (limit === 0 || this.timedOut || dir === 'sendonly' || dir === 'inactive') return;
    if (now - this.lastRtpMs > limit) {
      this.timedOut = true;
      this.options.events.onRtpTimeout();
    }
  }

  /**
   * Stops media, sends RTCP BYE, closes the agent link with `reason`. Idempotent, and total: every step runs
   * whatever an earlier one throws (an RTCP BYE to a port `dgram.send` refuses, an agent link that throws), then
   * a TeardownError names the steps that failed.
   */
  close(reason: StopReasonValue): void {
    if (this.closed) return;
    const teardown = new Teardown();
    teardown.step('summary', () => this.options.logger.info({ reason, ...this.stats }, 'call media summary'));
    // Marks still pending were never heard: they come back `cleared` before `stop` (docs/protocol.md).
    teardown.step('marks', () => {
      for (const m of this.playout.clear().marks) this.sendMark(m);
    });
    this.closed = true;
    const subscribed = this.unsubscribe !== undefined;
    teardown.step('clock', () => this.unsubscribe?.());
    if (subscribed) teardown.step('rtcp-bye', () => this.endpoint.sendRtcp(this.rtcp.bye(performance.now(), reason)));
    teardown.step('endpoint', () => this.endpoint.close());
    teardown.step('agent', () => this.agent.close(reason));
    teardown.step('codec', () => this.codec.close());
    teardown.step('speech', () => this.speech.close());
    teardown.finish();
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

const noTimeline = (): void => undefined;
const NO_CSRCS: number[] = []; // our packets carry no CSRCs; serializeRtp only reads this
/** The barge-in fade: 10 ms at 24 kHz. */
const FADE_SAMPLES = 240;
