/**
 * What one call's media tells the call's record, as plain data (it crosses from media workers): each turn's latency,
 * each interruption with what the caller heard, marks reached, DTMF both ways, the agent's transcript lines, stage
 * reports and errors sent to the agent. A handful per turn, never per packet. Times are epoch ms (valid across
 * threads). The call core puts them on the lifecycle stream as `media-timeline`; records/builder.ts keeps them.
 */
import type { AgentStage } from '@patchbay/agents';

export type MediaTimelineEvent =
  /** The caller stopped speaking (last packet's arrival) → the agent's first audio of the answer on RTP. */
  | { readonly type: 'turn'; readonly atMs: number; readonly index: number; readonly latencyMs: number }
  /** The caller interrupted the agent: `playedMs` of the interrupted audio was heard; onset → audio stopped. */
  | { readonly type: 'barge-in'; readonly atMs: number; readonly playedMs: number; readonly reactionMs: number }
  /** A mark the agent asked for was reached (`played`) or cleared. */
  | { readonly type: 'mark'; readonly atMs: number; readonly name: string; readonly played: boolean }
  | { readonly type: 'dtmf'; readonly atMs: number; readonly digit: string; readonly direction: 'in' | 'out' }
  /** The agent's `transcript` message. */
  | { readonly type: 'transcript'; readonly atMs: number; readonly role: 'caller' | 'agent'; readonly text: string; readonly final: boolean }
  /** The agent's `stage` report. */
  | { readonly type: 'stage'; readonly atMs: number; readonly stage: AgentStage; readonly ms: number }
  /** The call's agent failed mid-call (agent-failover/: `cause` from AGENT_FAILURE_CAUSES); `attempt`: re-dials made before. */
  | { readonly type: 'agent-failed'; readonly atMs: number; readonly cause: string; readonly attempt: number }
  /** Agent failover re-dialled the agent: connected (it takes over after the prompt) or failed (AgentConnectError code). */
  | { readonly type: 'agent-redial'; readonly atMs: number; readonly attempt: number; readonly outcome: 'connected' | 'failed'; readonly code?: string; readonly connectMs: number }
  /** An `error` the gateway sent the agent (its stable code). */
  | { readonly type: 'agent-error'; readonly atMs: number; readonly code: string };

export type MediaTimelineType = MediaTimelineEvent['type'];

/** Epoch ms now (`performance.now()` on the epoch: comparable across threads), the timeline's `atMs`. */
export function epochMs(perfMs: number = performance.now()): number {
  return performance.timeOrigin + perfMs;
}

/** A duration as the timeline carries it: ms to 0.1 ms. */
export function roundMs(ms: number): number {
  return Math.round(ms * 10) / 10;
}
