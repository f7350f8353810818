/**
 * Agent failover mid-call (docs/forwarding.md §Failover), where the call's media runs: each call's agent is
 * watched (watch.ts); when it fails the caller hears "One moment, please." and a soft ringback at once (the
 * stand-in agent), and the agent is re-dialled up to the plan's `failover.redial` times with `start.resume` (the
 * transcript so far, what the caller heard of the last turn). The first re-dial that connects takes over once the
 * prompt has played out. When none does, the call core is told (`failed`): its chain moves on (forward to people,
 * then the apology) while the stand-in keeps the caller company. Every step goes on the call's timeline.
 *
 * The plane (media-plane/local-plane.ts) owns the call; this file only asks it, through `FailoverHost`, to dial an
 * agent and to swap the one the call's media plays.
 */
import { randomUUID } from 'node:crypto';
import { standInAgent, type StartMessage } from '@patchbay/agents';
import type { Logger } from 'pino';
import { AgentConnectError, type AgentLink, type AgentSink } from '../agent/agent-link.js';
import { DeferredSink } from '../agent/deferred-sink.js';
import { InProcessLink } from '../agent/in-process-link.js';
import type { FailoverPlan } from '../call/plan.js';
import { epochMs, type MediaTimelineEvent } from '../media/timeline.js';
import { AgentWatch, type AgentFailureCause, type ResumeTranscript } from './watch.js';

/** The longest a connected re-dial waits for the stand-in's prompt to finish before it takes over. */
const PROMPT_WAIT_MS = 3_000;
/** How often the silence detector looks (a coarse timer for all calls; detection is to the second). */
const CHECK_INTERVAL_MS = 1_000;

/** What recovery asks of the media plane. */
export interface FailoverHost {
  /** Samples an agent may send before the media attaches its sink (the playout's bound). */
  readonly heldSamples: number;
  /** Dials the call's own agent (its plan's) with `start`; throws AgentConnectError when it cannot be reached. */
  dial(callId: string, start: StartMessage, sink: AgentSink): Promise<AgentLink>;
  /**
   * The call's agent becomes `link`, whose messages arrive in `sink`; the previous link is closed and its queued
   * audio dropped. Returns the previous agent's audio heard in its last turn (ms; 0 before the media started), or
   * undefined when the call is gone (the caller then closes `link`).
   */
  swap(callId: string, link: AgentLink, sink: DeferredSink): number | undefined;
  /** Every re-dial failed (or none was allowed): the call core's chain moves on. */
  failed(callId: string, cause: AgentFailureCause): void;
  timeline(callId: string, event: MediaTimelineEvent): void;
  /** The caller's error boundary for an agent's events (media-plane/guarded-sink.ts). */
  guard(callId: string, sink: AgentSink): AgentSink;
}

interface Watched {
  readonly plan: FailoverPlan;
  readonly start: StartMessage;
  readonly log: Logger;
  readonly transcript: ResumeTranscript;
  watch: AgentWatch;
  redials: number;
  /** The stand-in is on the line (a recovery is running, or the chain moved on). */
  standingIn: boolean;
}

export class AgentFailover {
  private readonly calls = new Map<string, Watched>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly host: FailoverHost) {}

  /**
   * Watches a call's agent (its first, or one that took it back from a person), when its plan has failover (a bridge
   * does not): `sink` and `link` wrap what the plane would use; final transcript lines go to `transcript`, the call's
   * own. Without failover both come back as they were.
   */
  watch(callId: string, plan: FailoverPlan, start: StartMessage, log: Logger, sink: AgentSink, transcript: ResumeTranscript): { sink: AgentSink; link: (link: AgentLink) => AgentLink } {
    if (plan.redial === 0 && plan.earlyHangupMs === 0 && plan.silenceMs === 0) {
      // No failover: nothing is detected or recovered (every failure passes through), only the transcript is kept.
      return { sink: new AgentWatch(plan, transcript, () => false).sink(sink), link: (l) => l };
    }
    const watch = new AgentWatch(plan, transcript, (cause) => this.failed(callId, cause));
    this.calls.set(callId, { plan, start, log, transcript, watch, redials: 0, standingIn: false });
    this.startTimer();
    return { sink: watch.sink(sink), link: (l) => watch.link(l) };
  }

  /** The stand-in has the call (its agent failed): the call core may replace it (apology, a person). */
  standingIn(callId: string): boolean {
    return this.calls.get(callId)?.standingIn === true;
  }

  forget(callId: string): void {
    this.calls.delete(callId);
    if (this.calls.size === 0 && this.timer !== undefined) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private startTimer(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => {
      for (const call of this.calls.values()) if (!call.standingIn) call.watch.check();
    }, CHECK_INTERVAL_MS);
    this.timer.unref();
  }

  /**
   * An agent failed: recover the call; a fault while recovering moves the chain on rather than leaving the stand-in.
   * False when the call is not watched (any more): the failure is then the call's own to handle.
   */
  private failed(callId: string, cause: AgentFailureCause): boolean {
    if (!this.calls.has(callId)) return false;
    this.recover(callId, cause).catch((err: unknown) => {
      const call = this.calls.get(callId);
      call?.log.error({ err, cause }, 'agent failover: recovering failed; the chain moves on');
      if (call !== undefined) this.host.failed(callId, cause);
    });
    return true;
  }

  private async recover(callId: string, cause: AgentFailureCause): Promise<void> {
    const call = this.calls.get(callId);
    if (call === undefined || call.standingIn) return;
    call.standingIn = true;
    const { host } = this;
    call.log.warn({ cause, redials: call.redials, allowed: call.plan.redial }, 'agent failed mid-call: the caller hears a prompt while it is re-dialled');
    host.timeline(callId, { type: 'agent-failed', atMs: epochMs(), cause, attempt: call.redials });
    let promptDone!: () => void;
    const prompt = new Promise<void>((resolve) => (promptDone = resolve));
    const standInSink = new DeferredSink(host.heldSamples);
    const standIn = new InProcessLink(standInAgent(() => promptDone()), call.start, host.guard(callId, standInSink), call.log);
    const playedMs = host.swap(callId, standIn, standInSink);
    if (playedMs === undefined) return standIn.close('caller_hangup');
    while (call.redials < call.plan.redial) {
      call.redials++;
      const attempt = call.redials;
      const start: StartMessage = {
        ...call.start,
        streamId: randomUUID(),
        resume: { attempt, cause, transcript: call.transcript.all, playedMs },
      };
      const began = performance.now();
      const sink = new DeferredSink(host.heldSamples);
      const watch = new AgentWatch(call.plan, call.transcript, (c) => this.failed(callId, c));
      let link: AgentLink;
      try {
        link = await host.dial(callId, start, watch.sink(host.guard(callId, sink)));
      } catch (err) {
        if (!(err instanceof AgentConnectError)) throw err;
        host.timeline(callId, { type: 'agent-redial', atMs: epochMs(), attempt, outcome: 'failed', code: err.code, connectMs: Math.round(performance.now() - began) });
        continue;
      }
      host.timeline(callId, { type: 'agent-redial', atMs: epochMs(), attempt, outcome: 'connected', connectMs: Math.round(performance.now() - began) });
      await Promise.race([prompt, delay(PROMPT_WAIT_MS)]);
      if (this.calls.get(callId) !== call) return link.close('caller_hangup');
      if (watch.failed !== undefined) {
        // The re-dialled agent failed too before it took over: its own step, and the next re-dial (if any).
        host.timeline(callId, { type: 'agent-failed', atMs: epochMs(), cause: watch.failed, attempt });
        link.close('error');
        continue;
      }
      call.watch = watch;
      call.standingIn = false;
      if (host.swap(callId, watch.link(link), sink) === undefined) link.close('caller_hangup');
      call.log.info({ attempt }, 'agent re-dialled: it takes the call over');
      return;
    }
    if (this.calls.get(callId) === call) host.failed(callId, cause);
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
