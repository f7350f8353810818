/** An `AgentSink` that records what a link delivers to the call: agent audio, agent messages, close reasons. */
import type { AgentMessage } from '@patchbay/agents';
import type { AgentSink } from '../../src/agent/agent-link.js';

export interface RecordingSink {
  readonly sink: AgentSink;
  readonly audio: Int16Array[];
  readonly messages: AgentMessage[];
  readonly closes: string[];
}

export function recordingSink(): RecordingSink {
  const audio: Int16Array[] = [];
  const messages: AgentMessage[] = [];
  const closes: string[] = [];
  const sink: AgentSink = { onAudio: (a) => audio.push(a), onMessage: (m) => messages.push(m), onClose: (r) => closes.push(r) };
  return { sink, audio, messages, closes };
}
