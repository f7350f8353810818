/**
 * `apology`: what a caller hears when their number's agent cannot be reached (`agents.onFailure: apology`): a short
 * spoken apology (and its text as a `transcript` line), then a hang-up once the mark after it comes back `played`. Never dead air, never a silent drop.
 */
import type { Agent, AgentContext, AgentSession } from '../agent.js';
import { transcriptMessage } from '../protocol/transcript.js';
import { loadDemoPrompts, promptText } from './prompts.js';

const DONE = 'apology-done';

export const apologyAgent: Agent = {
  name: 'apology',
  create(ctx: AgentContext): AgentSession {
    const line = transcriptMessage('agent', promptText([['apology']]), true);
    if (line !== undefined) ctx.send(line);
    ctx.sendAudio(loadDemoPrompts().apology.slice());
    ctx.send({ type: 'mark', name: DONE });
    return {
      onAudio() {},
      onMessage(msg) {
        if (msg.type === 'mark' && msg.name === DONE && !ctx.signal.aborted) ctx.send({ type: 'hangup', reason: 'agent_unavailable' });
      },
      close() {},
    };
  },
};
