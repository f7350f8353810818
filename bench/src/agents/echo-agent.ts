/**
 * The bench's echo agent: plays the caller's audio straight back, frame by frame, and behaves as a real agent does on
 * a barge-in. Echo numbers keep the default `bargeIn: gateway`, so the caller's speech onset interrupts the echo's
 * own playback (the echo of the pause before it): the gateway fades it, sends `interrupted` and drops the agent's
 * audio until the agent acknowledges with `clear` (or for `media.interruptGuardMs`). This agent sends `clear` at once
 * and keeps echoing, so the rest of the utterance and the pause after it (where the caller's round-trip marker is)
 * come back; only the frames in flight between the interruption and the `clear` are lost. With `bargeIn: off` it is
 * the built-in echo.
 */
import type { Agent, AgentContext, AgentSession } from '@patchbay/agents';

export const benchEchoAgent: Agent = {
  name: 'bench-echo',
  create(ctx: AgentContext): AgentSession {
    let interruptions = 0;
    return {
      onAudio(frame) {
        // The frame is only ours during this call, and sendAudio keeps what it is given: copy.
        if (!ctx.signal.aborted) ctx.sendAudio(frame.slice());
      },
      onMessage(msg) {
        if (msg.type === 'interrupted' && !ctx.signal.aborted) ctx.send({ type: 'clear', turnId: `echo-${++interruptions}` });
      },
      close() {},
    };
  },
};
