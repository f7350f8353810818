/** Keeps a cycle of audio queued (hold music, ringback) for an in-process agent, until stopped or aborted. */
import type { AgentContext } from '../agent.js';

/**
 * Sends `cycle()` now and again every `periodMs` (the cycle's length): one cycle is always queued ahead, so the
 * playout never runs dry and never holds more than two. Returns the stop.
 */
export function loopAudio(ctx: AgentContext, cycle: () => Int16Array, periodMs: number): () => void {
  let timer: NodeJS.Timeout | undefined;
  const play = (): void => {
    if (ctx.signal.aborted) return;
    ctx.sendAudio(cycle().slice());
    timer = setTimeout(play, periodMs);
    timer.unref();
  };
  play();
  return () => {
    if (timer !== undefined) clearTimeout(timer);
  };
}
