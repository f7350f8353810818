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
import { CodecPath } from './codec-path.js';
import { Downlink } from './downlink.js';
import { RtcpSession } from './rtcp-session.js';
import { RtpEndpoint } from './rtp-endpoint.js';
import { SrtpPacketTransport } from './srtp-packet-transport.js';
import { UdpPacketTransport } from './udp-packet-transport.js';
import type { RtpPacket } from './rtp/packet.js';
import { Uplink, type UplinkOutput } from './uplink.js';
import { callerSpeech, payloadTypes, sameSrtpKeys, targetOf, uplinkOptions, type BargeInSettings, type CallMediaOptions, type MediaTap } from './call-media-options.js';
import type { CallerSpeech } from './barge-in.js';
import { TurnTrace } from './turn-trace.js';
import { epochMs, type MediaTimelineEvent } from './timeline.js';
import { Teardown } from '../teardown.js';

export type { BargeInSettings, CallMediaEvents, CallMediaOptions, MediaSettings } from './call-media-options.js';

export class CallMedia implements AgentCommandTarget {
  private negotiated: NegotiatedMedia;
  private codec: CodecPath;
  private readonly uplink: Uplink;
  /** Agent (or bridged leg) audio to the caller: playout, encoding, RTP, the agent's playout commands. */
  private readonly downlink: Downlink;
  private readonly endpoint: RtpEndpoint;
  /** The SRTP layer under the endpoint, when the session negotiated SRTP. */
  private readonly srtp: SrtpPacketTransport | undefined;
  private readonly rtcp: RtcpSession;
  /** The agent's side: attach it to the agent link as its sink (what the agent sends goes through it). */
  readonly agent: AgentControl;
  private unsubscribe: (() => void) | undefined;
  private lastRtpMs = 0;
  private timedOut = false;
  private closed = false;
  /** A tick or a packet's handling threw: the media does nothing more until it is closed. */
  private faulted = false;
  private speech: CallerSpeech;
  /** Per-turn timing for the call's trace; only when tracing is on. */
  private readonly turns: TurnTrace | undefined;
  /** The call's timeline (records): a handful of events per turn, never per packet. */
  private readonly timeline: (event: MediaTimelineEvent) => void;
  /** A supervisor's tap on both directions (monitor/), when one listens in. */
  private tap: MediaTap | undefined;
  readonly counters = { framesToAgent: 0, packetsSent: 0, dtmfReceived: 0, dtmfSent: 0, stallTrimmedSamples: 0 };

  constructor(private readonly options: CallMediaOptions) {
    const bridged = options.bridged === true;
    const n = options.negotiated;
    this.negotiated = n;
    this.codec = new CodecPath(n.codec.name, n.ptimeMs, options.settings.opus);
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
    this.speech = callerSpeech(options.bargeIn, this.codec.descriptor.pcmRate);
    this.downlink = new Downlink({
      negotiated: n,
      codec: this.codec,
      settings: options.settings,
      bridged,
      agent: this.agent,
      hops: options.hops,
      guardMs: options.bargeIn.guardMs,
      timeline: this.timeline,
      turns,
      counters: this.counters,
      sendRtp: (bytes) => this.endpoint.sendRtp(bytes),
      hooks: {
        spurtStarted: () => this.speech.agentSpurtStarted(this.uplink.positionMs),
        interrupted: (request, stoppedMs) => this.speech.interrupted(request, stoppedMs),
        staleDropped: (ms) => {
          this.speech.stats.staleDroppedMs += ms;
        },
      },
    });
    this.rtcp = new RtcpSession({
      clockRate: n.codec.clockRate,
      outbound: this.downlink.stream,
      cname: `patchbay-${options.callId.slice(0, 8)}`,
      intervalMs: options.settings.rtcpIntervalMs,
    });
    this.uplink = new Uplink(uplinkOptions(n, options.settings, options.logger, bridged), this.speech);
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
    this.uplink.useAdaptive(this.options.clock.nextTickMs());
    this.downlink.handOver();
    this.agent.attach(link);
  }

  /**
   * The reverse of `handOver` (forwarding's `onPersonHangup: agent`): the person hung up and an agent takes the call
   * back. The playout leaves its continuous mode, barge-in interrupts again as `bargeIn` says (detection starts now
   * if the call was bridged from its start), and the caller's audio goes through the configured jitter mode.
   */
  takeBack(link: AgentLink, bargeIn: BargeInSettings): void {
    this.downlink.takeBack();
    if (this.speech.mode === 'off' && bargeIn.mode !== 'off') {
      this.speech.close();
      this.speech = callerSpeech(bargeIn, this.codec.descriptor.pcmRate);
      this.uplink.setSpeech(this.speech);
    }
    this.uplink.useConfigured(uplinkOptions(this.negotiated, this.options.settings, this.options.logger, false), this.options.clock.nextTickMs());
    this.replaceAgent(link);
  }

  /**
   * Another agent takes over (agent failover: the stand-in, a re-dialled agent, the apology; a warm transfer: the
   * caller's agent to the person's leg, hold music to the caller's). What the failed one had queued is dropped and
   * its pending marks forgotten. Returns the audio of its last turn the caller heard (ms), for the next agent's
   * `start.resume.playedMs`.
   */
  replaceAgent(link: AgentLink): number {
    const playedMs = this.downlink.replaceAgent(link.kind === 'bridge');
    this.agent.attach(link);
    return playedMs;
  }

  /** Starts both directions on the shared clock (at answer). */
  start(): void {
    if (this.unsubscribe || this.closed) return;
    const at = this.options.clock.nextTickMs();
    this.uplink.start(at);
    this.downlink.start(at);
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
    const recoded = old.codec.name !== n.codec.name || old.codec.payloadType !== n.codec.payloadType || old.ptimeMs !== n.ptimeMs;
    if (recoded) {
      this.codec.close();
      this.codec = new CodecPath(n.codec.name, n.ptimeMs, this.options.settings.opus);
      this.uplink.reconfigure(uplinkOptions(n, this.options.settings, this.options.logger, this.downlink.bridged), this.options.clock.nextTickMs());
      this.rtcp.setInboundClockRate(n.codec.clockRate);
    }
    this.downlink.update(n, recoded ? this.codec : undefined, this.options.clock.nextTickMs());
    this.lastRtpMs = performance.now();
    this.timedOut = false;
  }

  /** DTMF that came by SIP INFO. */
  dtmfFromInfo(digit: string, durationMs: number): void {
    this.counters.dtmfReceived++;
    this.timeline({ type: 'dtmf', atMs: epochMs(), digit, direction: 'in' });
    this.agent.send({ type: 'dtmf', digit, durationMs, source: 'sip-info' });
  }

  /** A supervisor listens in (monitor/), or stops (undefined): it hears, and may speak into, both directions. */
  setTap(tap: MediaTap | undefined): void {
    this.tap = tap;
    this.downlink.setTap(tap);
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

  // ---- the agent's playout commands (AgentCommandTarget, called by AgentControl): the downlink's ------------

  play(pcm: Int16Array): number {
    return this.downlink.play(pcm);
  }

  mark(name: string): void {
    this.downlink.mark(name);
  }

  clear(turnId: string | undefined): void {
    this.downlink.clear(turnId);
  }

  sendDtmf(digits: string, durationMs: number): void {
    this.downlink.sendDtmf(digits, durationMs);
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
    this.deliverUplink(this.uplink.tick(now, this.codec, this.downlink.playing), now);
    this.downlink.tick(now);
    for (const e of this.uplink.dtmfTimeouts(now)) this.deliverDtmf(e.digit, e.durationMs);
    const report = this.rtcp.poll(now);
    if (report) this.endpoint.sendRtcp(report);
    this.checkRtpTimeout(now);
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
      this.downlink.turnEnded(ended);
      this.turns?.speechEnded(ended);
    }
    for (const e of out.speech) this.agent.send(e);
    if (out.interrupt) this.downlink.requestInterrupt(out.interrupt);
  }

  // ---- the caller's packets ---------------------------------------------------------------------------------

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
    const result = this.uplink.receive(packet, arrivalMs, this.options.clock.nextTickMs(), this.codec, this.downlink.playing);
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
    teardown.step('marks', () => this.downlink.clearMarks());
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

const noTimeline = (): void => undefined;
