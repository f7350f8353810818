/**
 * One phone call bridged into a LiveKit room. The caller is a participant publishing a microphone track fed with
 * the gateway's frames as they are (PCM16 mono 24 kHz); the agent participant's audio goes back to the caller
 * through the AgentAudioGate (talk spurts only; an interrupted turn held back until the agent yields). The room
 * itself is behind RoomLike, so everything here runs against a fake in tests.
 *
 * Life cycle: `start()` joins the room in the background (token, connect, publish); caller audio waits in the
 * bounded CaptureQueue meanwhile. The call ends from our side with `hangup` when the agent participant leaves, the
 * room goes away, joining fails, or no agent shows up in time. `close()` (or the call's signal) leaves the room and
 * releases everything; it is idempotent and never throws.
 */
import type { AdapterLogger } from '@patchbay/adapter-kit';
import { DTMF_DIGITS, SAMPLES_PER_MS, type AgentContext, type AgentSession, type GatewayMessage } from '@patchbay/agents';
import { AgentAudioGate, type AgentAudioGateOptions } from './agent-audio-gate.js';
import { CaptureQueue } from './capture-queue.js';
import { dtmfCode } from './dtmf-code.js';
import { LiveKitHangupReason, type LiveKitHangupReasonValue } from './errors.js';
import type { RemoteAudioStream, RemoteAudioTrack, RoomFactory, RoomLike } from './room-like.js';

export interface SessionConfig {
  url: string;
  /** Mints this call's join token (async: signing). */
  token: () => Promise<string>;
  /** Play only this participant's audio; otherwise the first remote participant whose audio track arrives. */
  agentIdentity?: string;
  /** Hang up when no agent audio track has arrived this long after the start; 0 waits forever. */
  agentTimeoutMs: number;
  gate: AgentAudioGateOptions;
  /** Caller frames allowed to wait for capture before the oldest is dropped. */
  captureQueueFrames: number;
}

/** Caller frames (20 ms each) that may wait for the AudioSource: a few, since waiting audio is latency. */
export const DEFAULT_CAPTURE_QUEUE_FRAMES = 5;

export class LiveKitSession implements AgentSession {
  private readonly room: RoomLike;
  private readonly queue: CaptureQueue;
  private readonly gate: AgentAudioGate;
  private readonly log: Readonly<Record<string, unknown>>;
  private closed = false;
  private hungUp = false;
  private connected = false;
  /** Identity of the participant whose audio we play, once known. */
  private agent: string | undefined;
  private playing: RemoteAudioStream | undefined;
  private agentTimer: ReturnType<typeof setTimeout> | undefined;
  private released: Promise<void> = Promise.resolve();
  private readonly onAbort = (): void => this.close();

  constructor(
    private readonly ctx: AgentContext,
    private readonly config: SessionConfig,
    roomFactory: RoomFactory,
    private readonly logger: AdapterLogger,
  ) {
    this.log = { callId: ctx.start.callId };
    this.gate = new AgentAudioGate(config.gate);
    this.queue = new CaptureQueue(config.captureQueueFrames, (err) =>
      this.logger.warn({ ...this.log, err: errorText(err) }, 'livekit: capturing caller audio failed (further failures counted)'),
    );
    this.room = roomFactory({
      audioTrack: (track) => this.onAudioTrack(track),
      participantLeft: (identity) => this.onParticipantLeft(identity),
      dtmf: (digit, identity) => this.onRoomDtmf(digit, identity),
      disconnected: (reason) => this.onDisconnected(reason),
    });
  }

  /** Joins the room in the background. Called once, right after construction. */
  start(): void {
    if (this.ctx.signal.aborted) {
      this.close();
      return;
    }
    this.ctx.signal.addEventListener('abort', this.onAbort, { once: true });
    if (this.config.agentTimeoutMs > 0) {
      this.agentTimer = setTimeout(() => this.onAgentTimeout(), this.config.agentTimeoutMs);
    }
    this.join().catch((err: unknown) => this.onJoinFailed(err));
  }

  /** Settles once `close()` has left the room and released everything (for tests and orderly shutdown). */
  get whenReleased(): Promise<void> {
    return this.released;
  }

  onAudio(frame: Int16Array): void {
    if (this.closed) return;
    // The gateway may reuse the buffer; the copy also owns its buffer, as rtc-node's AudioFrame needs.
    this.queue.push(frame.slice());
  }

  onMessage(msg: GatewayMessage): void {
    if (this.closed) return;
    switch (msg.type) {
      case 'dtmf':
        this.sendDtmf(msg.digit);
        return;
      case 'interrupted':
        if (this.gate.interrupted()) this.ctx.send({ type: 'clear' });
        this.logger.debug({ ...this.log, playedMs: msg.playedMs, droppedMs: msg.droppedMs, holding: this.gate.isHolding }, 'livekit: caller barged in');
        return;
      case 'error':
        this.logger.warn({ ...this.log, code: msg.code, droppedMs: msg.droppedMs }, `livekit: gateway reported ${msg.message}`);
        return;
      case 'start':
      case 'mark':
      case 'cleared':
      case 'speech_started':
      case 'speech_stopped':
      case 'stop':
      case 'consult': // a LiveKit agent starts no warm transfer through the gateway
      case 'supervisor_audio': // nor hears a supervisor apart from the caller
        // The LiveKit agent runs its own turn detection on the audio it hears; marks are never sent.
        return;
      default: {
        const unknown: never = msg;
        this.logger.debug({ ...this.log, type: (unknown as { type: string }).type }, 'livekit: ignoring an unknown gateway message');
      }
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.ctx.signal.removeEventListener('abort', this.onAbort);
    if (this.agentTimer) clearTimeout(this.agentTimer);
    this.agentTimer = undefined;
    this.queue.close();
    this.playing?.close();
    this.playing = undefined;
    let leaving: Promise<void>;
    try {
      leaving = this.room.disconnect();
    } catch (err) {
      leaving = Promise.reject(err);
    }
    this.released = leaving.catch((err: unknown) => {
      this.logger.warn({ ...this.log, err: errorText(err) }, 'livekit: leaving the room failed');
    });
    const gate = this.gate.stats;
    this.logger.info(
      {
        ...this.log,
        agent: this.agent,
        callerFramesCaptured: this.queue.stats.captured,
        callerFramesDropped: this.queue.stats.dropped,
        callerFramesFailed: this.queue.stats.failed,
        agentForwardedMs: samplesToMs(gate.forwardedSamples),
        agentHeldMs: samplesToMs(gate.heldSamples),
        interruptions: gate.interruptions,
      },
      'livekit: call bridged',
    );
  }

  private async join(): Promise<void> {
    const token = await this.config.token();
    if (this.closed) return;
    await this.room.connect(this.config.url, token);
    if (this.closed) return; // the room releases itself: close() called disconnect()
    this.connected = true;
    const sink = await this.room.publishAudio();
    if (this.closed) return;
    this.queue.attach((pcm) => sink.capture(pcm));
    this.logger.debug(this.log, 'livekit: joined the room, caller track published');
  }

  private onJoinFailed(err: unknown): void {
    if (this.closed) {
      this.logger.debug({ ...this.log, err: errorText(err) }, 'livekit: joining stopped by the end of the call');
      return;
    }
    this.logger.error({ ...this.log, err: errorText(err), code: errorCode(err) }, 'livekit: cannot join the room');
    this.hangup(LiveKitHangupReason.ConnectFailed);
  }

  private onAudioTrack(track: RemoteAudioTrack): void {
    if (this.closed) return;
    const wanted = this.config.agentIdentity ?? this.agent ?? track.participantIdentity;
    if (track.participantIdentity !== wanted) {
      this.logger.debug({ ...this.log, participant: track.participantIdentity }, 'livekit: ignoring audio of a participant that is not the agent');
      return;
    }
    this.agent = track.participantIdentity;
    if (this.agentTimer) clearTimeout(this.agentTimer);
    this.agentTimer = undefined;
    // A new track from the agent replaces the old one (it republished).
    const previous = this.playing;
    const stream = track.open();
    this.playing = stream;
    previous?.close();
    this.logger.debug({ ...this.log, participant: track.participantIdentity, trackSid: track.trackSid }, 'livekit: playing the agent');
    this.play(stream).catch((err: unknown) => {
      if (!this.closed) this.logger.warn({ ...this.log, err: errorText(err), code: errorCode(err) }, 'livekit: agent audio stream failed');
    });
  }

  private async play(stream: RemoteAudioStream): Promise<void> {
    try {
      for await (const pcm of stream) {
        if (this.closed || this.playing !== stream) break;
        const decision = this.gate.push(pcm);
        if (decision.clear) this.ctx.send({ type: 'clear' });
        if (decision.forward) this.ctx.sendAudio(pcm);
      }
    } finally {
      if (this.playing === stream) {
        this.playing = undefined;
        // The agent's track ended in the middle of a held-back turn: end the gateway's dropping too.
        if (this.gate.reset() && !this.closed) this.ctx.send({ type: 'clear' });
      }
    }
  }

  private onParticipantLeft(identity: string): void {
    if (this.closed) return;
    if (identity !== (this.config.agentIdentity ?? this.agent)) return;
    this.logger.info({ ...this.log, participant: identity }, 'livekit: the agent left the room');
    this.hangup(LiveKitHangupReason.AgentLeft);
  }

  private onDisconnected(reason: string): void {
    if (this.closed) return;
    this.logger.info({ ...this.log, reason }, 'livekit: disconnected from the room');
    this.hangup(LiveKitHangupReason.RoomDisconnected);
  }

  private onRoomDtmf(digit: string, identity: string): void {
    if (this.closed) return;
    if (identity !== (this.config.agentIdentity ?? this.agent)) return;
    const normalised = digit.toUpperCase();
    if (normalised.length !== 1 || !DTMF_DIGITS.includes(normalised)) {
      this.logger.warn({ ...this.log, participant: identity }, 'livekit: ignoring an invalid DTMF digit from the agent');
      return;
    }
    this.ctx.send({ type: 'dtmf', digits: normalised });
  }

  private onAgentTimeout(): void {
    this.agentTimer = undefined;
    if (this.closed || this.agent !== undefined) return;
    this.logger.warn({ ...this.log, agentTimeoutMs: this.config.agentTimeoutMs }, 'livekit: no agent audio arrived in time');
    this.hangup(LiveKitHangupReason.AgentTimeout);
  }

  private sendDtmf(digit: string): void {
    const code = dtmfCode(digit);
    if (code === undefined) return;
    if (!this.connected) {
      this.logger.debug(this.log, 'livekit: DTMF before the room was joined, dropped');
      return;
    }
    this.room.publishDtmf(code, digit).catch((err: unknown) => {
      if (!this.closed) this.logger.warn({ ...this.log, err: errorText(err) }, 'livekit: sending DTMF failed');
    });
  }

  private hangup(reason: LiveKitHangupReasonValue): void {
    if (this.closed || this.hungUp) return;
    this.hungUp = true;
    this.ctx.send({ type: 'hangup', reason });
  }
}

function samplesToMs(samples: number): number {
  return Math.round(samples / SAMPLES_PER_MS);
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function errorCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string') return err.code;
  return undefined;
}
