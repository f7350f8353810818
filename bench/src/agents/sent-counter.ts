/**
 * Counts the audio an agent sends (pure wrapper, no I/O): every `sendAudio` adds its samples to the agent's total,
 * so the ramp can compare what the callers received with what the agents sent, by count, over a window
 * (`GET <countsUrl>` before and after, diffed). 24 kHz PCM: 480 samples are one 20 ms frame.
 */
import type { Agent, AgentContext } from '@patchbay/agents';

export const SAMPLES_PER_FRAME_24K = 480;

/** Samples sent so far by each counted agent, by name. */
export type SentCounts = Record<string, number>;

/** `agent`, with every sample it sends added to `counts[name]`. */
export function countingAgent(name: string, agent: Agent, counts: SentCounts): Agent {
  counts[name] = 0;
  return {
    name: agent.name,
    create(ctx: AgentContext) {
      const counted: AgentContext = {
        start: ctx.start,
        signal: ctx.signal,
        send: (msg) => ctx.send(msg),
        sendAudio(pcm: Int16Array) {
          if (!ctx.signal.aborted) counts[name] = (counts[name] ?? 0) + pcm.length;
          ctx.sendAudio(pcm);
        },
      };
      return agent.create(counted);
    },
  };
}
