/**
 * The media plane on one event loop: binds each call's ports, dials its agent before we answer (refusing the call
 * or playing an apology when it cannot be reached), starts the media engine once the codec is known, follows
 * re-INVITEs, relays SIP INFO DTMF, and closes everything with the reason the agent is told. The main thread runs
 * one when `media.workers` is 0; each media worker runs one of its own otherwise.
 */
import type { SecureContext } from 'node:tls';
import { agentSecureContext, type AgentTlsMaterial } from '../agent/agent-tls.js';
import { randomUUID } from 'node:crypto';
import { apologyAgent, AUDIO_FORMAT, StopReason, type Agent, type GatewayMessage, type StartMessage } from '@patchbay/agents';
import type { Logger } from 'pino';
import { AgentConnectError, type AgentLink, type AgentSink } from '../agent/agent-link.js';
import { AdapterSet } from '../agent/adapter-set.js';
import { buildAdapter, type AdapterAgents } from '../agent/adapters.js';
import { BridgeJunction } from '../bridge/junction.js';
import { AgentFailover } from '../agent-failover/recovery.js';
import { ResumeTranscript } from '../agent-failover/watch.js';
import type { CallPlan } from '../call/plan.js';
import { AgentMoves } from './agent-moves.js';
import { MonitorAttach } from './monitor-attach.js';
import type { PlaneCall } from './plane-call.js';
import { connectAgent, type AgentConfig } from '../agent/connect.js';
import { DeferredSink } from '../agent/deferred-sink.js';
import { InProcessLink } from '../agent/in-process-link.js';
import { stopReasonOf, type EndReason } from '../call/vocabulary.js';
import { formatPath, type Config } from '../config.js';
import { SAMPLE_RATE } from '../media/audio/frame.js';
import { CallMedia } from '../media/call-media.js';
import type { CallSrtp } from '../media/call-media-options.js';
import { epochMs } from '../media/timeline.js';
import { callQuality } from '../media/call-quality.js';
import { MediaClock } from '../media/media-clock.js';
import { PortPool, type MediaPorts } from '../media/port-pool.js';
import { PreAnswerSources } from '../media/pre-answer-sources.js';
import type { RejectedTotals } from '../media/rtp-endpoint.js';
import { noSrtpFailures } from '../media/srtp-packet-transport.js';
import { createSrtpSession, type SrtpKeys, type SrtpSession } from '../media/srtp/index.js';
import type { SileroModel } from '../media/vad/index.js';
import { HopMetrics } from '../metrics/hop-metrics.js';
import type { NegotiatedMedia } from '../sdp/index.js';
import { Teardown } from '../teardown.js';
import type { BargeInStats } from '../media/barge-in.js';
import type { CallQuality } from '../media/call-quality.js';
import { guardedSink } from './guarded-sink.js';
import { bargeInSettings } from './speech-options.js';
import type { AdapterBlock, AgentConnectReport, ConsultStep, MediaCallInfo, MediaPlane, MonitorStep, MediaPlaneEvents, MediaPlaneStats, RuntimeAdapters, RuntimeAgentTls, TakeBackOutcome } from './plane.js';

/** The part of the configuration the media plane reads (it crosses to workers as plain data); per call, the plan. */
export type MediaPlaneConfig = AgentConfig & {
  sip: Pick<Config['sip'], 'host'>;
  /** `agents.tls`'s files as read at start (agent-tls.ts); `setAgentTls` replaces them. */
  agentTls?: AgentTlsMaterial | undefined;
};

export interface LocalMediaPlaneOptions {
  config: MediaPlaneConfig;
  /** RTP ports this plane hands out (a worker gets a slice of `media.portMin`–`portMax`). */
  ports: { min: number; max: number };
  logger: Logger;
  events: MediaPlaneEvents;
  /** Loaded at start-up when any number asks for neural confirmation of barge-in. */
  silero?: SileroModel | undefined;
  /** The in-process adapters the configuration names (loaded at start-up, in this thread). */
  adapters: AdapterAgents;
  /** Time each call's turns for its trace (`events.trace`); off: no per-turn work at all. */
  trace?: boolean;
  /** Where adapters added at runtime read their secrets (`apiKeyEnv`); default none. */
  env?: Readonly<Record<string, string | undefined>>;
  /** The SRTP library for calls that negotiated SRTP; default media/srtp's (tests may pass a fake one). */
  createSrtpSession?: ((keys: SrtpKeys) => SrtpSession) | undefined;
}

export class LocalMediaPlane implements MediaPlane, RuntimeAdapters, RuntimeAgentTls {
  private readonly calls = new Map<string, PlaneCall>();
  private readonly adapters: AdapterSet;
  private readonly portPool: PortPool;
  // 2 ms ticks: calls start on one of ten phases of their 20 ms period, so each tick serves a tenth of them instead of
  // half (the single-loop queueing behind the uplink processing p99); timer wake-ups stay at 500 a second in all.
  private readonly clock: MediaClock;
  readonly hops = new HopMetrics();
  /** RTP/RTCP refused for its source, all calls since start (the endpoints add to it). */
  private readonly rejected: RejectedTotals = { packets: 0, sources: 0 };
  /** Every `wss://` dial of this thread: built once from `agents.tls` (and again by setAgentTls). */
  private agentContext: SecureContext | undefined;
  /** SRTP/SRTCP packets refused (auth, replay, malformed), all calls since start. */
  private readonly srtpFailures = noSrtpFailures();
  /** Bridged calls' links (forwarding): joined pairs relay audio and DTMF. */
  private readonly junction = new BridgeJunction();
  /** Agents watched for failure mid-call, and recovered (agent-failover/). */
  private readonly failover: AgentFailover;
  /** Who a live call's media plays and hears: failover's swaps, hand-overs, warm transfers' consultations. */
  private readonly moves: AgentMoves;
  /** Supervisors on calls (monitor/). */
  private readonly monitors: MonitorAttach;

  constructor(private readonly options: LocalMediaPlaneOptions) {
    const { logger } = options;
    this.agentContext = agentSecureContext(options.config.agentTls);
    this.adapters = new AdapterSet(options.adapters);
    this.portPool = new PortPool({ host: options.config.sip.host, portMin: options.ports.min, portMax: options.ports.max, logger });
    this.clock = new MediaClock({ tickMs: 2, onError: (err) => logger.error({ err }, 'media tick failed') });
    this.failover = new AgentFailover({
      heldSamples: (options.config.media.maxPlayoutMs * SAMPLE_RATE) / 1000, // before `this` is whole: not heldSamples()
      dial: (callId, start, sink) => this.dialAgent(callId, start, sink, true),
      swap: (callId, link, sink) => this.moves.swap(callId, link, sink),
      failed: (callId, cause) => options.events.agentFailed(callId, cause),
      timeline: (callId, event) => options.events.timeline(callId, event),
      guard: (callId, sink) => guardedSink(sink, (err) => this.fail(callId, 'agent event', err)),
    });
    this.monitors = new MonitorAttach({
      calls: this.calls,
      dial: (callId, url, start, onAudio, onClose) => {
        const log = this.calls.get(callId)?.log ?? this.options.logger;
        const sink = { onAudio, onMessage: () => {}, onClose };
        const guarded = guardedSink(sink, (err) => log.warn({ err }, 'monitor: the supervisor socket failed'));
        return connectAgent({ agent: { kind: 'url', url, protocol: 'patchbay' }, start, config: this.options.config, adapters: { agentFor: () => undefined }, logger: log, secureContext: this.agentContext }, guarded);
      },
    });
    this.moves = new AgentMoves({
      calls: this.calls,
      junction: this.junction,
      failover: this.failover,
      heldSamples: (options.config.media.maxPlayoutMs * SAMPLE_RATE) / 1000,
      guard: (callId, sink) => guardedSink(sink, (err) => this.fail(callId, 'agent event', err)),
      listen: (callId, link) => this.monitors.attachListener(callId, link),
      dial: (callId, start, sink) => this.dialAgent(callId, start, sink),
      adapterFor: (key) => this.adapters.agentFor(key),
      bargeIn: (plan) => bargeInSettings(plan, false, this.options.silero, options.config.media.interruptGuardMs),
    });
  }

  async open(info: MediaCallInfo): Promise<{ rtpPort: number }> {
    if (this.calls.has(info.callId)) throw new Error(`media for call ${info.callId} is already open`);
    const ports = await this.portPool.allocate();
    const log = this.options.logger.child({ callId: info.callId, layer: 'media' });
    const planned = info.plan.agent;
    const adapter = planned.kind === 'adapter' ? this.adapters.agentFor(planned.key ?? planned.pattern) : undefined;
    this.calls.set(info.callId, { info, ports, early: new PreAnswerSources(ports), log, adapter, agent: undefined, fallback: false, bridged: info.plan.agent.kind === 'bridge', start: undefined, agentSink: undefined, media: undefined, startedMs: 0, endReason: undefined, transcript: new ResumeTranscript() });
    return { rtpPort: ports.rtpPort };
  }

  async connect(callId: string): Promise<AgentConnectReport | undefined> {
    const call = this.calls.get(callId);
    if (!call || call.endReason) return undefined;
    const { config } = this.options;
    const { log } = call;
    const { plan } = call.info;
    const start: StartMessage = {
      type: 'start',
      version: 1,
      callId,
      streamId: randomUUID(),
      from: plan.from,
      to: plan.to,
      direction: plan.direction,
      parameters: { ...plan.parameters },
      audio: AUDIO_FORMAT,
    };
    const sink = new DeferredSink(this.heldSamples());
    call.agentSink = sink;
    call.start = start;
    const began = performance.now();
    const report = (outcome: AgentConnectReport['outcome'], failure?: AgentConnectError): AgentConnectReport => ({
      startMs: performance.timeOrigin + began,
      endMs: performance.timeOrigin + performance.now(),
      outcome,
      ...(failure === undefined ? {} : { failure: { code: failure.code, message: failure.message, ...(failure.tlsCode === undefined ? {} : { tlsCode: failure.tlsCode }) } }),
    });
    let result: AgentConnectReport;
    try {
      // What the agent's link delivers is handled inside its socket's (or its in-process session's) events: a throw
      // there ends this call, never the process.
      const guarded = guardedSink(sink, (err) => this.fail(callId, 'agent event', err));
      if (plan.agent.kind === 'bridge') {
        call.agent = this.junction.link(callId, guarded);
      } else {
        const watched = this.failover.watch(callId, plan.failover, start, log, guarded, call.transcript);
        call.agent = watched.link(await this.dialAgent(callId, start, watched.sink));
      }
      log.info({ agent: call.agent.kind, connectMs: Math.round(performance.now() - began) }, 'agent connected');
      result = report('connected');
    } catch (err) {
      if (!(err instanceof AgentConnectError)) throw err;
      this.failover.forget(callId); // the apology agent (or nobody) takes the call: nothing to fail over from
      log.warn({ code: err.code, ...(err.tlsCode === undefined ? {} : { tlsCode: err.tlsCode }), reason: err.message, policy: plan.onAgentFailure }, err.code === 'AGENT_TLS' ? `agent TLS failed (${err.tlsCode ?? 'handshake'}): not verified, not used` : 'agent unreachable');
      if (plan.onAgentFailure === 'reject') return report('unreachable', err); // the call core refuses the call
      result = report('fallback', err);
      call.fallback = true;
      call.agent = new InProcessLink(apologyAgent, start, sink, log);
    }
    if (call.endReason) call.agent.close(stopReasonOf(call.endReason)); // the call ended while we dialled
    return result;
  }

  async fallback(callId: string, to: 'bridge' | 'apology'): Promise<boolean> {
    return this.moves.fallback(callId, to);
  }

  async handOver(callId: string): Promise<boolean> {
    return this.moves.handOver(callId);
  }

  async takeBack(callId: string, plan: CallPlan): Promise<TakeBackOutcome> {
    return this.moves.takeBack(callId, plan);
  }

  async consult(callId: string, step: ConsultStep): Promise<boolean> {
    return this.moves.consult(callId, step);
  }

  async monitor(callId: string, step: MonitorStep): Promise<boolean> {
    return this.monitors.step(callId, step);
  }

  async join(a: string, b: string): Promise<boolean> {
    const joined = this.junction.join(a, b);
    if (!joined) this.options.logger.warn({ callId: a, peer: b }, 'bridge: the two legs could not be joined (one has no open bridge link)');
    return joined;
  }

  async addAdapter(key: string, spec: AdapterBlock): Promise<void> {
    const built = await buildAdapter(spec, ['agent'], this.options.env ?? {}, this.options.logger);
    if (built.issues.length > 0) throw new Error(`adapter '${spec.adapter}' (${key}) cannot be built: ${built.issues.map((i) => `${formatPath(i.path)}: ${i.message}`).join('; ')}`);
    if (built.agent) this.adapters.add(key, built.agent);
  }

  removeAdapter(key: string): void {
    this.adapters.remove(key);
  }

  setAgentTls(material: AgentTlsMaterial | undefined): void {
    this.agentContext = agentSecureContext(material);
  }

  /** `atMs`: when the answer went out (epochNowMs), if stamped elsewhere (the main thread, for a worker's calls). */
  answered(callId: string, atMs?: number): void {
    this.calls.get(callId)?.early.answered(atMs);
  }

  start(callId: string, negotiated: NegotiatedMedia): void {
    const call = this.calls.get(callId);
    if (!call || call.media || call.endReason) return;
    const { config } = this.options;
    call.early.stop(); // in this tick the endpoint takes the sockets over
    const { plan } = call.info;
    const speech = plan.speech;
    const media = new CallMedia({
      callId,
      hops: this.hops,
      bargeIn: bargeInSettings(plan, call.bridged, this.options.silero, config.media.interruptGuardMs),
      ports: call.ports,
      sources: { policy: config.media.latch, signallingAddress: call.info.signallingAddress, preAnswer: call.early, totals: this.rejected },
      negotiated,
      srtp: this.srtpFor(),
      clock: this.clock,
      settings: config.media,
      bridged: call.bridged,
      logger: call.log,
      events: {
        // The apology hangs up a call its agent never took: not the agent's hangup. A consulting agent talks on the
        // person's leg (`consultOf`): what it asks is about the caller's call; if it leaves, the person takes the caller.
        onHangupRequest: () => this.options.events.hangup(call.consultOf ?? callId, call.fallback ? 'agent-unavailable' : 'agent-hangup'),
        onTransferRequest: (target) => this.options.events.transfer(call.consultOf ?? callId, target),
        onWarmTransfer: (msg) => this.options.events.warmTransfer(call.consultOf ?? callId, msg),
        onAgentGone: (reason) => (call.consultOf !== undefined ? this.options.events.warmTransfer(call.consultOf, { type: 'agent_left', reason }) : this.options.events.hangup(callId, 'agent-gone')),
        onRtpTimeout: () => this.options.events.hangup(callId, 'rtp-timeout'),
        onFault: () => this.options.events.hangup(callId, 'error'),
      },
      trace: this.options.trace ? (event) => this.options.events.trace(callId, event) : undefined,
      timeline: (event) => this.options.events.timeline(callId, event),
    });
    call.media = media;
    call.startedMs = performance.now();
    if (call.agent) media.attachAgent(call.agent);
    call.agentSink?.attach(media.agent);
    media.start();
  }

  update(callId: string, negotiated: NegotiatedMedia): void {
    const call = this.calls.get(callId);
    if (!call) return;
    if (call.media) call.media.update(negotiated);
    else this.start(callId, negotiated);
  }

  dtmf(callId: string, digit: string, durationMs: number): void {
    this.calls.get(callId)?.media?.dtmfFromInfo(digit, durationMs);
  }

  sendDtmf(callId: string, digits: string, durationMs: number): void {
    this.calls.get(callId)?.media?.sendDtmf(digits, durationMs);
  }

  tellAgent(callId: string, msg: GatewayMessage): void {
    const call = this.calls.get(callId);
    // Consulting: the agent is on the person's leg; listening after a warm transfer: it is the call's monitor link.
    const agent = call?.consult?.agent ?? (call?.monitor?.agent === true ? call.monitor.link : undefined) ?? call?.agent;
    if (agent === undefined) return;
    if (msg.type === 'error') this.options.events.timeline(callId, { type: 'agent-error', atMs: epochMs(), code: msg.code });
    agent.send(msg);
  }

  /**
   * Total, like the call's end that drives it: the media (RTP endpoint, clock, codecs), the agent link, the `ended`
   * report and the ports each go whatever an earlier step throws; then a TeardownError names what failed.
   */
  close(callId: string, reason: EndReason): void {
    const call = this.calls.get(callId);
    if (!call || call.endReason) return;
    const stop = stopReasonOf(reason);
    call.endReason = reason;
    this.calls.delete(callId);
    this.failover.forget(callId);
    const media = call.media;
    const teardown = new Teardown();
    let bargeIn: BargeInStats = NO_BARGE_IN;
    let quality: CallQuality | undefined;
    try {
      // A consultation or a supervisor this call is part of comes off first (the other call goes on).
      teardown.step('consult', () => this.moves.beforeClose(call, stop));
      teardown.step('monitor', () => this.monitors.beforeClose(call, stop));
      if (media) {
        teardown.step('quality', () => {
          const stats = media.stats;
          bargeIn = stats.bargeIn;
          quality = callQuality(stats, {
            durationMs: performance.now() - call.startedMs,
            uplinkDroppedFrames: call.agent?.stats.uplinkDroppedFrames ?? 0,
            leadMs: this.options.config.media.leadMs,
            uplinkProcessingMs: this.hops.uplinkProcessingMs.mean,
            downlinkProcessingMs: this.hops.downlinkProcessingMs.mean,
          });
        });
        teardown.step('media', () => media.close(stop));
      }
      // The media closes the agent link; closing it here too (idempotent) covers media that never started or failed.
      teardown.step('agent', () => call.agent?.close(stop));
    } finally {
      teardown.step('ended', () => this.options.events.ended(callId, call.info.plan.pattern, bargeIn, quality));
      teardown.step('ports', () => call.ports.close());
    }
    teardown.finish();
  }

  /** Dials the call's own agent (its plan's) at connect; agent failover's re-dials go to its standby when it has one. */
  private dialAgent(callId: string, start: StartMessage, sink: AgentSink, redial = false): Promise<AgentLink> {
    const call = this.calls.get(callId);
    if (call === undefined) return Promise.reject(new AgentConnectError('AGENT_UNREACHABLE', 'the call has ended'));
    const adapters: AdapterAgents = { agentFor: () => call.adapter };
    const plan = call.info.plan;
    return connectAgent({ agent: (redial ? plan.failover.standby : undefined) ?? plan.agent, start, config: this.options.config, adapters, logger: call.log, secureContext: this.agentContext }, sink);
  }

  private heldSamples(): number {
    return (this.options.config.media.maxPlayoutMs * SAMPLE_RATE) / 1000;
  }

  private srtpFor(): CallSrtp {
    return { createSession: this.options.createSrtpSession ?? ((keys) => createSrtpSession(keys)), totals: this.srtpFailures };
  }

  /** Something of this call's threw where nothing else would catch it: the call ends (reason error), others go on. */
  private fail(callId: string, source: string, err: unknown): void {
    const call = this.calls.get(callId);
    (call?.log ?? this.options.logger).error({ err, callId, source }, 'call failed; ending it');
    if (call !== undefined && call.endReason === undefined) this.options.events.hangup(callId, 'error');
  }

  async stats(newWindow: boolean): Promise<MediaPlaneStats> {
    let agentQueuedFrames = 0;
    for (const call of this.calls.values()) agentQueuedFrames += call.agent?.queuedFrames ?? 0;
    const out: MediaPlaneStats = {
      hops: this.hops.state(),
      clockLateTicks: this.clock.lateTicks,
      clockStalls: this.clock.stalls,
      portsInUse: this.portPool.allocated,
      activeCalls: this.calls.size,
      agentQueuedFrames,
      rtpRejectedPackets: this.rejected.packets,
      rtpRejectedSources: this.rejected.sources,
      srtpFailures: { ...this.srtpFailures },
    };
    if (newWindow) this.hops.resetPeaks();
    return out;
  }

  async shutdown(): Promise<void> {
    for (const callId of [...this.calls.keys()]) {
      try {
        this.close(callId, 'shutdown');
      } catch (err) {
        this.options.logger.error({ err, callId }, 'closing call media at shutdown failed (the rest was released)');
      }
    }
    this.clock.close();
  }
}

/** The barge-in outcome of a call whose media never started. */
const NO_BARGE_IN = Object.freeze({ onsets: 0, confirmedByConfirmer: 0, rejectedByConfirmer: 0, interruptions: 0, falseBargeIns: 0, reactionMs: [], staleDroppedMs: 0 });
