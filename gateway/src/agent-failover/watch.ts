/**
 * Agent failover's eyes (docs/forwarding.md §Failover): one call's agent link, watched from both sides. What the
 * agent sends passes through `sink`; what it is sent passes through `link`. A failure is reported once, and what
 * made it (the error hang-up, the dropped socket) is swallowed: the call is not ended, the plane recovers it
 * (re-dial with `start.resume`, then the call core's chain). Nothing here knows of SIP or of the media engine.
 */
import type { AgentMessage, GatewayMessage, ResumeCause, StopReasonValue } from '@patchbay/agents';
import type { AgentLink, AgentLinkStats, AgentSink } from '../agent/agent-link.js';

/** Why an agent was given up mid-call. A contract: timeline `agent-failed.cause`, `start.resume.cause`, docs/forwarding.md. */
export const AGENT_FAILURE_CAUSES = {
  /** Its socket closed without a clean close (1006: the connection was lost; 1001, 1011, 1012: its server failed). */
  'agent-dropped': 'the agent\'s socket closed abnormally',
  /** It hung up saying it failed (`hangup{reason: 'agent_error' | 'error'}`: an adapter whose provider failed), or an in-process agent threw. */
  'agent-error': 'the agent reported an error and hung up',
  /** It hung up or closed within `earlyHangupS` of connecting without having sent any audio. */
  'early-hangup': 'the agent hung up at once without speaking',
  /** The caller stopped speaking and the agent sent no audio and no message for `silenceS`. */
  'agent-silent': 'the agent went silent while the caller waited',
} as const satisfies Record<Exclude<ResumeCause, 'person-hangup'>, string>;
export type AgentFailureCause = keyof typeof AGENT_FAILURE_CAUSES;

/** `hangup.reason`s that say the agent failed, whenever they come. */
const FAILURE_HANGUPS: ReadonlySet<string> = new Set(['agent_error', 'error']);

export interface WatchPolicy {
  /** 0: off. */
  readonly earlyHangupMs: number;
  /** 0: off. */
  readonly silenceMs: number;
}

/** The call's conversation so far, across every agent it had: carried to a re-dialled agent in `start.resume`. */
export class ResumeTranscript {
  static readonly MAX_LINES = 50;
  /** Each line's text is cut to this, so a `start` with 50 lines stays well inside the protocol's 64 KiB. */
  static readonly MAX_CHARS = 1000;
  private readonly lines: { role: 'caller' | 'agent'; text: string }[] = [];

  add(role: 'caller' | 'agent', text: string): void {
    this.lines.push({ role, text: text.slice(0, ResumeTranscript.MAX_CHARS) });
    if (this.lines.length > ResumeTranscript.MAX_LINES) this.lines.shift();
  }

  get all(): { role: 'caller' | 'agent'; text: string }[] {
    return this.lines.map((l) => ({ ...l }));
  }
}

export class AgentWatch {
  private readonly since: number;
  private spoke = false;
  private lastActivityMs: number;
  /** When the caller last stopped speaking, until the agent's next audio. */
  private waitingSinceMs: number | undefined;
  private failedWith: AgentFailureCause | undefined;

  constructor(
    private readonly policy: WatchPolicy,
    private readonly transcript: ResumeTranscript,
    /**
     * Told of a failure; true when it is taken care of (the call is recovered: what made it is swallowed), false when
     * nobody watches the call any more (a consulting agent, the apology's call): it then reaches `sink` as it came.
     */
    private readonly onFailure: (cause: AgentFailureCause) => boolean,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.since = now();
    this.lastActivityMs = this.since;
  }

  get failed(): AgentFailureCause | undefined {
    return this.failedWith;
  }

  /** What the agent sends, watched on its way to `sink`. */
  sink(sink: AgentSink): AgentSink {
    return {
      onAudio: (pcm: Int16Array): void => {
        if (this.failedWith !== undefined) return;
        if (pcm.length > 0) {
          this.spoke = true;
          this.waitingSinceMs = undefined;
        }
        this.lastActivityMs = this.now();
        sink.onAudio(pcm);
      },
      onMessage: (msg: AgentMessage): void => {
        if (this.failedWith !== undefined) return;
        this.lastActivityMs = this.now();
        if (msg.type === 'transcript' && msg.final) this.transcript.add(msg.role, msg.text);
        if (msg.type === 'hangup') {
          const cause = FAILURE_HANGUPS.has(msg.reason ?? '') ? 'agent-error' : this.early() ? 'early-hangup' : undefined;
          if (cause !== undefined && this.fail(cause)) return;
        }
        sink.onMessage(msg);
      },
      onClose: (reason: string): void => {
        if (this.failedWith !== undefined) return;
        const cause = reason === 'agent_error' ? 'agent-error' : reason !== 'agent_closed' ? 'agent-dropped' : this.early() ? 'early-hangup' : undefined;
        if (cause !== undefined && this.fail(cause)) return;
        sink.onClose(reason);
      },
    };
  }

  /** What the agent is sent, watched on its way to `link`. */
  link(link: AgentLink): AgentLink {
    return {
      kind: link.kind,
      sendAudio: (frame: Int16Array): void => link.sendAudio(frame),
      send: (msg: GatewayMessage): void => {
        if (msg.type === 'speech_stopped') this.waitingSinceMs = this.now();
        link.send(msg);
      },
      close: (reason: StopReasonValue): void => link.close(reason),
      get stats(): AgentLinkStats {
        return link.stats;
      },
      get queuedFrames(): number {
        return link.queuedFrames;
      },
    };
  }

  /** The silence detector, run on a coarse timer (the plane's, once a second). */
  check(): void {
    if (this.failedWith !== undefined || this.policy.silenceMs <= 0 || this.waitingSinceMs === undefined) return;
    const quietSince = Math.max(this.waitingSinceMs, this.lastActivityMs);
    if (this.now() - quietSince >= this.policy.silenceMs) this.fail('agent-silent');
  }

  private early(): boolean {
    return this.policy.earlyHangupMs > 0 && !this.spoke && this.now() - this.since < this.policy.earlyHangupMs;
  }

  /** True when the failure is taken care of (see `onFailure`); then nothing more passes. */
  private fail(cause: AgentFailureCause): boolean {
    if (!this.onFailure(cause)) return false;
    this.failedWith = cause;
    return true;
  }

}
