/**
 * Attaching a supervisor to a call's media (docs/monitor.md): a SIP leg of its own (placed by the call core, answered,
 * an unjoined bridged leg here) or a WebSocket dialled like an agent. Either way the call's media runs through a
 * CallMonitor tap: the supervisor gets the mix, and what it says goes where its mode says. Mechanics only.
 */
import { AUDIO_FORMAT, StopReason, type StartMessage } from '@patchbay/agents';
import { randomUUID } from 'node:crypto';
import type { AgentLink } from '../agent/agent-link.js';
import { AgentConnectError } from '../agent/agent-link.js';
import { CallMonitor } from '../monitor/mixer.js';
import type { MonitorStep } from './plane.js';
import type { PlaneCall } from './plane-call.js';

export interface MonitorAttachOptions {
  readonly calls: ReadonlyMap<string, PlaneCall>;
  /** Dials a supervisor's WebSocket like a `patchbay` agent; throws AgentConnectError when it cannot be reached. */
  readonly dial: (callId: string, url: string, start: StartMessage, onAudio: (pcm: Int16Array) => void, onClose: () => void) => Promise<AgentLink>;
}

export class MonitorAttach {
  constructor(private readonly o: MonitorAttachOptions) {}

  async step(callId: string, step: MonitorStep): Promise<boolean> {
    const call = this.o.calls.get(callId);
    if (call?.media === undefined || call.endReason !== undefined) return false;
    switch (step.kind) {
      case 'mode':
        if (call.monitor === undefined) return false;
        call.monitor.mixer.mode = step.mode;
        call.log.info({ mode: step.mode }, 'monitor: mode changed');
        return true;
      case 'stop':
        if (call.monitor === undefined) return false;
        this.detach(call, StopReason.AgentHangup);
        return true;
      case 'start':
        if (call.monitor !== undefined) return false;
        return 'leg' in step
          ? this.attachLeg(call, callId, step.leg, step.mode, step.agentStream === true)
          : this.attachSocket(call, callId, step.url, step.mode, step.agentStream === true);
    }
  }

  /** The supervisor's SIP leg hears the mix; its caller audio (the supervisor's voice) feeds the mixer. */
  private attachLeg(call: PlaneCall, callId: string, legId: string, mode: CallMonitor['mode'], agentStream: boolean): boolean {
    const leg = this.o.calls.get(legId);
    const media = call.media;
    if (media === undefined || leg === undefined || leg.endReason !== undefined || !leg.bridged || leg.monitorOf !== undefined || leg.consultOf !== undefined) return false;
    const sink = leg.agentSink;
    if (sink === undefined) return false;
    const mixer = new CallMonitor(mode, (pcm) => sink.onAudio(pcm), agentStream ? streamTo(call) : undefined);
    // The leg's own bridge link is never joined: the supervisor link replaces it (at once, or when its media starts).
    const link = supervisorLink((frame) => mixer.fromSupervisor(frame));
    leg.agent?.close(StopReason.Transferred);
    leg.agent = link;
    leg.media?.replaceAgent(link);
    leg.monitorOf = callId;
    call.monitor = { leg: legId, link: undefined, mixer };
    media.setTap(mixer);
    call.log.info({ mode, leg: legId }, 'monitor: a supervisor listens in (SIP)');
    return true;
  }

  private async attachSocket(call: PlaneCall, callId: string, url: string, mode: CallMonitor['mode'], agentStream: boolean): Promise<boolean> {
    const plan = call.info.plan;
    const start: StartMessage = {
      type: 'start', version: 1, callId, streamId: randomUUID(), from: plan.from, to: plan.to, direction: plan.direction,
      parameters: { monitor: mode }, audio: AUDIO_FORMAT,
    };
    let mixer: CallMonitor | undefined;
    let link: AgentLink;
    try {
      link = await this.o.dial(callId, url, start, (pcm) => mixer?.fromSupervisor(pcm), () => {
        if (call.monitor?.link === link) this.detach(call, StopReason.AgentClosed);
      });
    } catch (err) {
      if (!(err instanceof AgentConnectError)) throw err;
      call.log.warn({ code: err.code }, 'monitor: the supervisor socket cannot be reached');
      return false;
    }
    if (call.media === undefined || call.endReason !== undefined || call.monitor !== undefined) {
      link.close(StopReason.CallerHangup);
      return false;
    }
    const ready = new CallMonitor(mode, (pcm) => link.sendAudio(pcm), agentStream ? streamTo(call) : undefined);
    mixer = ready;
    call.monitor = { leg: undefined, link, mixer: ready };
    call.media.setTap(ready);
    call.log.info({ mode }, 'monitor: a supervisor listens in (WebSocket)');
    return true;
  }

  /**
   * An agent that stays after a warm transfer's `bridge{listen: true}`: it hears the call mixed, like a supervisor in
   * `listen` (so the call can have no other supervisor); closed with the call.
   */
  attachListener(callId: string, link: AgentLink): boolean {
    const call = this.o.calls.get(callId);
    if (call?.media === undefined || call.endReason !== undefined || call.monitor !== undefined) return false;
    const mixer = new CallMonitor('listen', (pcm) => link.sendAudio(pcm));
    call.monitor = { leg: undefined, link, mixer, agent: true };
    call.media.setTap(mixer);
    call.log.info('warm transfer: the agent stays listening to the bridged call');
    return true;
  }

  /** The tap comes off; a supervisor socket is closed (a SIP leg is the call core's to end). */
  detach(call: PlaneCall, stop: Parameters<AgentLink['close']>[0]): void {
    const monitor = call.monitor;
    if (monitor === undefined) return;
    call.monitor = undefined;
    call.media?.setTap(undefined);
    monitor.link?.close(stop);
    const leg = monitor.leg === undefined ? undefined : this.o.calls.get(monitor.leg);
    if (leg !== undefined) leg.monitorOf = undefined;
  }

  /** A call closes: a supervisor on it comes off; a supervisor's leg closing takes its tap off the call. */
  beforeClose(call: PlaneCall, stop: Parameters<AgentLink['close']>[0]): void {
    this.detach(call, stop);
    if (call.monitorOf !== undefined) {
      const watched = this.o.calls.get(call.monitorOf);
      if (watched !== undefined) this.detach(watched, stop);
    }
  }
}

/** The supervisor's voice as the AI agent's own `supervisor_audio` stream; a bridged call's person gets it mixed. */
function streamTo(call: PlaneCall): (pcm: Int16Array) => boolean {
  return (pcm) => {
    if (call.bridged || call.agent === undefined) return false;
    call.agent.send({ type: 'supervisor_audio', audio: Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength).toString('base64') });
    return true;
  };
}

/** The supervisor's leg's "agent": its caller audio (the supervisor's voice) goes to the mixer; nothing else. */
function supervisorLink(onVoice: (frame: Int16Array) => void): AgentLink {
  return {
    kind: 'bridge',
    sendAudio: onVoice,
    send: () => {},
    close: () => {},
    stats: { uplinkDroppedFrames: 0, badMessages: 0 },
    queuedFrames: 0,
  };
}
