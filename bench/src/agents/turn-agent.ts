/**
 * The bench's "turn" agent: answers every caller utterance (the gateway's `speech_stopped`) at once with a fixed
 * 600 ms tone burst, so the load generator can time end of speech → first agent audio.
 */
import type { Agent, AgentContext, AgentSession } from '@patchbay/agents';
import { answerTone } from '../load/signals.js';

const ANSWER = answerTone(600);

export const turnAgent: Agent = {
  name: 'bench-turn',
  create(ctx: AgentContext): AgentSession {
    return {
      onAudio() {},
      onMessage(msg) {
        // sendAudio keeps the array it is given: hand over a copy so the shared answer stays intact.
        if (msg.type === 'speech_stopped' && !ctx.signal.aborted) ctx.sendAudio(ANSWER.slice());
      },
      close() {},
    };
  },
};
