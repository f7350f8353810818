/**
 * Supervisors on live calls (docs/monitor.md): `POST /v1/calls/{id}/monitor` puts one on a call, in `listen`,
 * `whisper` or `barge` mode, as a phone rung through an outbound trunk (a SIP leg of its own, placed next to the
 * call's media) or as a WebSocket dialled like an agent; `PATCH` switches the mode, `DELETE` takes it off. The media
 * side is monitor/mixer.ts behind `MediaPlane.monitor`. Over the call core's seams only: the outbound side's bridge
 * legs, lifecycle events, a way to end a call.
 */
import type { Logger } from 'pino';
import type { Call } from '../call/call.js';
import { CallControlError, CallControlErrorCode, type PlaceCallRequest } from '../call/control.js';
import type { CallEvents } from '../call/events.js';
import type { BridgeLeg } from '../call/outbound.js';
import type { CallSummary } from '../call/registry.js';
import type { EndReason } from '../call/vocabulary.js';
import type { Config } from '../config.js';
import type { MediaPlane } from '../media-plane/plane.js';
import type { MonitorMode } from './mixer.js';

/** How long a supervisor's phone rings before the monitor is given up. */
export const MONITOR_RING_TIMEOUT_MS = 30_000;

/** Why a monitor request was refused at once (`detail` of its error): a contract, documented in docs/api.md. */
export const MONITOR_REFUSALS = {
  /** The call already has a supervisor (one at a time). */
  Active: 'MONITOR_ACTIVE',
  /** The call has no supervisor to change or take off. */
  None: 'MONITOR_NONE',
  /** The supervisor's WebSocket could not be reached. */
  Unreachable: 'MONITOR_UNREACHABLE',
} as const;

/** What `POST /v1/calls/{id}/monitor` asks for, once validated: a phone through a trunk, or a WebSocket. */
export type MonitorRequest =
  | { readonly mode: MonitorMode; readonly to: string; readonly trunk: string; readonly agentStream?: boolean }
  | { readonly mode: MonitorMode; readonly url: string; readonly agentStream?: boolean };

/** The monitor of a call, as the API shows it. */
export interface MonitorState {
  readonly mode: MonitorMode;
  /** `ringing` until the supervisor's phone answers; `on` once they hear the call. */
  readonly state: 'ringing' | 'on';
  /** The supervisor's leg (a phone), or null (a WebSocket). */
  readonly callId: string | null;
}

export interface MonitorsOptions {
  readonly config: Pick<Config, 'trunks'>;
  readonly events: CallEvents;
  readonly placeCall: (request: PlaceCallRequest, leg: BridgeLeg) => Promise<CallSummary>;
  readonly media: Pick<MediaPlane, 'monitor'>;
  readonly end: (callId: string, reason: EndReason) => void;
  readonly logger: Logger;
}

interface Monitor {
  readonly call: Call;
  mode: MonitorMode;
  state: 'ringing' | 'on';
  readonly legId: string | undefined;
  readonly to: string;
  readonly agentStream?: boolean;
}

export class Monitors {
  /** By the monitored call's id. */
  private readonly active = new Map<string, Monitor>();
  /** Supervisor legs, to the monitored call's id. */
  private readonly legs = new Map<string, string>();

  constructor(private readonly o: MonitorsOptions) {
    o.events.on('answered', (e) => this.legAnswered(e.call.id));
    o.events.on('ended', (e) => this.ended(e.call));
  }

  state(callId: string): MonitorState | undefined {
    const m = this.active.get(callId);
    return m === undefined ? undefined : { mode: m.mode, state: m.state, callId: m.legId ?? null };
  }

  async start(call: Call, request: MonitorRequest): Promise<MonitorState> {
    if (this.active.has(call.id)) throw new CallControlError(CallControlErrorCode.MonitorRefused, 'the call already has a supervisor', MONITOR_REFUSALS.Active);
    const log = this.o.logger.child({ callId: call.id, layer: 'monitor' });
    if ('url' in request) {
      const placeholder: Monitor = { call, mode: request.mode, state: 'ringing', legId: undefined, to: 'websocket' };
      this.active.set(call.id, placeholder);
      const on = await this.o.media.monitor(call.id, { kind: 'start', mode: request.mode, url: request.url, agentStream: request.agentStream === true }).catch(() => false);
      if (!on || this.active.get(call.id) !== placeholder) {
        if (this.active.get(call.id) === placeholder) this.active.delete(call.id);
        throw new CallControlError(CallControlErrorCode.MonitorRefused, 'the supervisor socket could not be reached', MONITOR_REFUSALS.Unreachable);
      }
      placeholder.state = 'on';
      this.record(call, 'on', placeholder);
      log.info({ mode: request.mode }, 'monitor: a supervisor socket listens in');
      return this.stateOf(placeholder);
    }
    const trunk = this.o.config.trunks.find((t) => t.name === request.trunk);
    if (trunk?.outbound === undefined) throw new CallControlError(CallControlErrorCode.TrunkUnknown, `no trunk '${request.trunk}' with an outbound side`);
    // The outbound side checks the trunk's allow-list and limits, and refuses with their codes.
    const leg = await this.o.placeCall(
      { to: request.to, from: call.plan.from, trunk: trunk.name, agent: undefined, ringTimeoutMs: MONITOR_RING_TIMEOUT_MS },
      { peer: call.id, pattern: call.plan.pattern },
    );
    const monitor: Monitor = { call, mode: request.mode, state: 'ringing', legId: leg.id, to: request.to, agentStream: request.agentStream === true };
    if (leg.endReason !== null || call.state === 'ended') {
      this.o.end(leg.id, 'peer-hangup');
      throw new CallControlError(CallControlErrorCode.MonitorRefused, 'the supervisor could not be called', MONITOR_REFUSALS.Unreachable);
    }
    this.active.set(call.id, monitor);
    this.legs.set(leg.id, call.id);
    this.record(call, 'ringing', monitor);
    log.info({ mode: request.mode, leg: leg.id }, 'monitor: ringing the supervisor');
    return this.stateOf(monitor);
  }

  async setMode(call: Call, mode: MonitorMode): Promise<MonitorState> {
    const m = this.active.get(call.id);
    if (m === undefined) throw new CallControlError(CallControlErrorCode.MonitorRefused, 'the call has no supervisor', MONITOR_REFUSALS.None);
    m.mode = mode;
    if (m.state === 'on') await this.o.media.monitor(call.id, { kind: 'mode', mode });
    this.record(call, 'mode', m);
    return this.stateOf(m);
  }

  async stop(call: Call): Promise<void> {
    const m = this.active.get(call.id);
    if (m === undefined) throw new CallControlError(CallControlErrorCode.MonitorRefused, 'the call has no supervisor', MONITOR_REFUSALS.None);
    this.active.delete(call.id);
    await this.o.media.monitor(call.id, { kind: 'stop' });
    if (m.legId !== undefined) {
      this.legs.delete(m.legId);
      this.o.end(m.legId, 'peer-hangup');
    }
    this.record(call, 'off', m);
  }

  /** The supervisor's phone answered: the call's media starts feeding it (in the mode asked for, or switched to since). */
  private legAnswered(legId: string): void {
    const callId = this.legs.get(legId);
    const m = callId === undefined ? undefined : this.active.get(callId);
    if (callId === undefined || m === undefined) return;
    void this.o.media.monitor(callId, { kind: 'start', mode: m.mode, leg: legId, agentStream: m.agentStream === true }).then(
      (on) => {
        if (this.active.get(callId) !== m) return;
        if (!on) return this.o.end(legId, 'peer-hangup');
        m.state = 'on';
        this.record(m.call, 'on', m);
      },
      (err: unknown) => {
        this.o.logger.error({ err, callId, leg: legId }, 'monitor: attaching the supervisor failed');
        this.o.end(legId, 'peer-hangup');
      },
    );
  }

  private ended(call: Call): void {
    const own = this.active.get(call.id);
    if (own !== undefined) {
      // The monitored call ended: the supervisor's phone hangs up with it.
      this.active.delete(call.id);
      if (own.legId !== undefined) {
        this.legs.delete(own.legId);
        this.o.end(own.legId, 'peer-hangup');
      }
      return;
    }
    const callId = this.legs.get(call.id);
    if (callId === undefined) return;
    // The supervisor hung up (or never answered): the call goes on without them (the plane took the tap off).
    this.legs.delete(call.id);
    const m = this.active.get(callId);
    if (m === undefined || m.legId !== call.id) return;
    this.active.delete(callId);
    this.record(m.call, 'off', m);
  }

  private stateOf(m: Monitor): MonitorState {
    return { mode: m.mode, state: m.state, callId: m.legId ?? null };
  }

  private record(call: Call, step: 'ringing' | 'on' | 'mode' | 'off', m: Monitor): void {
    this.o.events.emit({ type: 'monitored', call, step, mode: m.mode, to: m.to, legId: m.legId });
  }
}
