/**
 * An agent sink whose every call is a boundary: the agent link delivers audio, messages and its close from inside
 * a WebSocket's events or an in-process agent's timers, where a throw would reach the process. Here it goes to
 * `onError` (the plane ends that call with reason `error`) and the link's event handler returns normally.
 */
import type { AgentMessage } from '@patchbay/agents';
import type { AgentSink } from '../agent/agent-link.js';

export function guardedSink(sink: AgentSink, onError: (err: unknown) => void): AgentSink {
  return {
    onAudio(pcm: Int16Array): void {
      try {
        sink.onAudio(pcm);
      } catch (err) {
        onError(err);
      }
    },
    onMessage(msg: AgentMessage): void {
      try {
        sink.onMessage(msg);
      } catch (err) {
        onError(err);
      }
    },
    onClose(reason: string): void {
      try {
        sink.onClose(reason);
      } catch (err) {
        onError(err);
      }
    },
  };
}
