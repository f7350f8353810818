/** `echo`: plays the caller's audio straight back, frame by frame. The simplest end-to-end media test. */

import type { Agent, AgentContext, AgentSession } from '../agent.js';

export const echoAgent: Agent = {
  name: 'echo',
  create(ctx: AgentContext): AgentSession {
    return {
      onAudio(frame) {
        // The frame is only ours during this call, and sendAudio keeps what it is given: copy.
        if (!ctx.signal.aborted) ctx.sendAudio(frame.slice());
      },
      onMessage() {},
      close() {},
    };
  },
};
