/**
 * Who a call's media plays and hears, changed while the call runs: agent failover's swaps (the stand-in, a re-dialled
 * agent, the apology), forwarding's hand-over (the agent leaves, the call becomes a bridged leg), and a warm
 * transfer's consultation (the caller's agent talks to the person's leg while the caller hears hold music; then
 * both legs are bridged, or the agent comes back), and a bridged call going back to its agent when its person hangs up. Mechanics only, on the plane's own calls: which calls and when is
 * the call core's (forwarding/).
 */
import { randomUUID } from 'node:crypto';
import { apologyAgent, holdAgent, StopReason, type Agent, type StartMessage, type StopReasonValue } from '@patchbay/agents';
import { AgentConnectError, type AgentLink, type AgentSink } from '../agent/agent-link.js';
import { DeferredSink } from '../agent/deferred-sink.js';
import { InProcessLink } from '../agent/in-process-link.js';
import type { AgentFailover } from '../agent-failover/recovery.js';
import type { BridgeJunction } from '../bridge/junction.js';
import type { CallPlan } from '../call/plan.js';
import { stopReasonOf } from '../call/vocabulary.js';
import type { BargeInSettings } from '../media/call-media.js';
import type { ConsultStep, TakeBackOutcome } from './plane.js';
import type { PlaneCall } from './plane-call.js';

export interface AgentMovesOptions {
  readonly calls: ReadonlyMap<string, PlaneCall>;
  readonly junction: BridgeJunction;
  readonly failover: AgentFailover;
  /** Samples an agent may send before the media attaches its sink. */
  readonly heldSamples: number;
  /** The plane's error boundary for an agent's events (media-plane/guarded-sink.ts). */
  readonly guard: (callId: string, sink: AgentSink) => AgentSink;
  /** An agent that stays listening after a warm transfer's bridge: it hears the call mixed (monitor-attach.ts). */
  readonly listen: (callId: string, link: AgentLink) => boolean;
  /** Dials the call's agent as its plan (`info.plan`) says; throws AgentConnectError when it cannot be reached. */
  readonly dial: (callId: string, start: StartMessage, sink: AgentSink) => Promise<AgentLink>;
  /** An in-process adapter agent by key (a call's plan naming `adapter`). */
  readonly adapterFor: (key: string) => Agent | undefined;
  /** Barge-in settings of an agent's call, as `plan` says. */
  readonly bargeIn: (plan: CallPlan) => BargeInSettings;
}

export class AgentMoves {
  constructor(private readonly o: AgentMovesOptions) {}

  /**
   * The call's agent becomes `link`, whose messages arrive in `sink`; the previous link is closed and what it had
   * queued for playout dropped. Returns the previous agent's audio heard in its last turn (ms; 0 before the media),
   * or undefined when the call is gone.
   */
  swap(callId: string, link: AgentLink, sink: DeferredSink): number | undefined {
    const call = this.o.calls.get(callId);
    if (call === undefined || call.endReason !== undefined) return undefined;
    const previous = call.agent;
    call.agent = link;
    call.agentSink = sink;
    previous?.close(StopReason.Error);
    if (call.media === undefined) return 0; // start() attaches the new link and sink
    const playedMs = call.media.replaceAgent(link);
    sink.attach(call.media.agent);
    return playedMs;
  }

  /** MediaPlane.fallback. */
  fallback(callId: string, to: 'bridge' | 'apology'): boolean {
    const { failover, junction, guard } = this.o;
    const call = this.o.calls.get(callId);
    if (call && !call.endReason && call.start && to === 'apology' && failover.standingIn(callId)) {
      // The agent failed mid-call and nothing else took the call: the apology replaces the stand-in.
      failover.forget(callId);
      call.fallback = true;
      const sink = new DeferredSink(this.o.heldSamples);
      this.swap(callId, new InProcessLink(apologyAgent, call.start, guard(callId, sink), call.log), sink);
      return true;
    }
    if (!call || call.endReason || call.agent || call.media || !call.agentSink || !call.start) return false;
    const sink = guard(callId, call.agentSink);
    if (to === 'bridge') {
      call.bridged = true;
      call.agent = junction.link(callId, sink);
    } else {
      call.fallback = true;
      call.agent = new InProcessLink(apologyAgent, call.start, sink, call.log);
    }
    call.log.info({ to }, 'agent unreachable: the call goes on without it');
    return true;
  }

  /** MediaPlane.handOver. */
  handOver(callId: string): boolean {
    const call = this.o.calls.get(callId);
    if (!call || call.endReason || !call.media || call.bridged || !call.agentSink || call.consult) return false;
    this.o.failover.forget(callId); // a bridge's "agent" is a person: never failed over
    call.agent?.close(StopReason.Transferred);
    call.bridged = true;
    call.fallback = false;
    call.agent = this.o.junction.link(callId, this.o.guard(callId, call.agentSink));
    call.media.handOver(call.agent);
    call.log.info('the agent left: the call is handed over to a bridge');
    return true;
  }

  /**
   * MediaPlane.takeBack: the bridged call's agent is dialled from `plan` with `start.resume{cause: 'person-hangup'}`
   * (the conversation so far), then its junction link closes (the person has gone; closing only unpairs) and the
   * agent becomes the call's, watched for failover and barge-in on as the plan says. An agent that cannot be reached
   * gives the caller the apology when the plan says `onAgentFailure: apology`. `none` when the call is gone or not a
   * started bridged leg, or the agent is unreachable and the plan refuses.
   */
  async takeBack(callId: string, plan: CallPlan): Promise<TakeBackOutcome> {
    const { calls, failover } = this.o;
    const call = calls.get(callId);
    if (!call?.media || call.endReason || !call.bridged || !call.start || call.consult || call.consultOf || call.monitorOf) return 'none';
    call.info = { ...call.info, plan };
    if (plan.agent.kind === 'adapter') call.adapter = this.o.adapterFor(plan.agent.key ?? plan.agent.pattern);
    const start: StartMessage = { ...call.start, streamId: randomUUID(), resume: { attempt: 1, cause: 'person-hangup', transcript: call.transcript.all, playedMs: 0 } };
    const sink = new DeferredSink(this.o.heldSamples);
    const watched = failover.watch(callId, plan.failover, start, call.log, this.o.guard(callId, sink), call.transcript);
    let link: AgentLink;
    let outcome: TakeBackOutcome = 'agent';
    try {
      link = watched.link(await this.o.dial(callId, start, watched.sink));
    } catch (err) {
      failover.forget(callId);
      if (!(err instanceof AgentConnectError)) throw err;
      call.log.warn({ code: err.code, reason: err.message, policy: plan.onAgentFailure }, 'the person hung up and the agent could not be reached to take the caller back');
      if (plan.onAgentFailure !== 'apology') return 'none';
      link = new InProcessLink(apologyAgent, call.start, this.o.guard(callId, sink), call.log);
      outcome = 'apology';
    }
    if (!call.media || call.endReason || !call.bridged || calls.get(callId) !== call) {
      failover.forget(callId);
      link.close(call.endReason === undefined ? StopReason.Error : stopReasonOf(call.endReason));
      return 'none';
    }
    const bridge = call.agent;
    call.bridged = false;
    call.fallback = outcome === 'apology'; // its hang-up ends the call agent-unavailable
    call.agent = link;
    call.agentSink = sink;
    bridge?.close(StopReason.Transferred);
    call.media.takeBack(link, this.o.bargeIn(plan));
    sink.attach(call.media.agent);
    call.log.info({ outcome }, 'the person hung up: the call is back with its agent (or the apology)');
    return outcome;
  }

  /** MediaPlane.consult. */
  consult(callId: string, step: ConsultStep): boolean {
    switch (step.kind) {
      case 'start':
        return this.startConsult(callId, step.leg);
      case 'end':
        return this.endConsult(callId);
      case 'complete':
        return this.completeConsult(callId, step.listen === true);
    }
  }

  /**
   * The caller's agent goes to the person's leg (its audio plays there, the person's audio goes to it) and the caller
   * hears hold music. Both calls must be here with their media running; the person's is an unjoined bridged leg.
   */
  private startConsult(callId: string, legId: string): boolean {
    const { calls, guard } = this.o;
    const call = calls.get(callId);
    const leg = calls.get(legId);
    if (!call?.media || !leg?.media || call.endReason || leg.endReason || call.bridged || call.consult || leg.consultOf) return false;
    if (!call.agent || !call.agentSink || !call.start || !leg.bridged) return false;
    this.o.failover.forget(callId); // the agent is no longer failed over once it consults (docs/forwarding.md)
    call.consult = { leg: legId, agent: call.agent, agentSink: call.agentSink };
    const holdSink = new DeferredSink(this.o.heldSamples);
    call.agent = new InProcessLink(holdAgent, call.start, guard(callId, holdSink), call.log);
    call.agentSink = holdSink;
    call.media.replaceAgent(call.agent);
    holdSink.attach(call.media.agent);
    leg.consultOf = callId;
    leg.media.replaceAgent(call.consult.agent);
    call.consult.agentSink.attach(leg.media.agent);
    call.log.info({ leg: legId }, 'warm transfer: the agent consults the person; the caller is on hold');
    return true;
  }

  /** The agent comes back to the caller (the consultation was cancelled, or the person's leg ended). */
  private endConsult(callId: string): boolean {
    const call = this.o.calls.get(callId);
    const consult = call?.consult;
    if (call === undefined || consult === undefined) return false;
    call.consult = undefined;
    this.release(consult.leg);
    const hold = call.agent;
    call.agent = consult.agent;
    call.agentSink = consult.agentSink;
    hold?.close(StopReason.Transferred);
    if (call.media !== undefined) {
      call.media.replaceAgent(consult.agent);
      consult.agentSink.attach(call.media.agent);
    }
    call.log.info('warm transfer: the agent is back with the caller');
    return true;
  }

  /**
   * The agent leaves (`stop{reason: 'transferred'}`), or stays listening (`listen`); both legs are bridged legs,
   * ready to be joined.
   */
  private completeConsult(callId: string, listen: boolean): boolean {
    const call = this.o.calls.get(callId);
    const consult = call?.consult;
    if (call === undefined || consult === undefined || !this.o.calls.get(consult.leg)?.media) return false;
    call.consult = undefined;
    this.release(consult.leg);
    if (!listen) consult.agent.close(StopReason.Transferred);
    else consult.agentSink.attach(SILENT); // what a listening agent says goes nowhere
    if (!this.handOver(callId)) return false; // closes the hold music; the caller's leg becomes a bridged leg
    if (listen && !this.o.listen(callId, consult.agent)) consult.agent.close(StopReason.Transferred);
    return true;
  }

  /** The person's leg plays its own bridge link again (not yet joined: silence until it is). */
  private release(legId: string): void {
    const leg = this.o.calls.get(legId);
    if (leg === undefined) return;
    leg.consultOf = undefined;
    if (leg.media !== undefined && leg.agent !== undefined) leg.media.replaceAgent(leg.agent);
  }

  /** A call closes: a consultation it is part of ends first (the person's leg gone: the agent back to the caller). */
  beforeClose(call: PlaneCall, stop: StopReasonValue): void {
    if (call.consultOf !== undefined) this.endConsult(call.consultOf);
    const consult = call.consult;
    if (consult !== undefined) {
      call.consult = undefined;
      this.release(consult.leg);
      consult.agent.close(stop);
    }
  }
}

/** Where a listening agent's own output goes: nowhere. */
const SILENT: AgentSink = { onAudio: () => {}, onMessage: () => {}, onClose: () => {} };
