import { describe, expect, it } from 'vitest';
import type { AgentContext } from '../agent.js';
import { AUDIO_FORMAT } from '../protocol/messages.js';
import { echoAgent } from './echo.js';

describe('echo agent', () => {
  it('sends each caller frame back as a copy the gateway may keep', () => {
    const sent: Int16Array[] = [];
    const abort = new AbortController();
    const ctx: AgentContext = {
      start: {
        type: 'start', version: 1, callId: 'c', streamId: 's', from: '', to: '', direction: 'inbound',
        parameters: {}, audio: AUDIO_FORMAT,
      },
      signal: abort.signal,
      sendAudio: (pcm) => sent.push(pcm),
      send: () => {
        throw new Error('echo sends no control messages');
      },
    };
    const session = echoAgent.create(ctx);
    const frame = new Int16Array(480).fill(1234);
    session.onAudio(frame);
    frame.fill(0); // the gateway reuses its buffer
    expect(sent).toHaveLength(1);
    expect(sent[0]?.every((s) => s === 1234)).toBe(true);
    abort.abort();
    session.onAudio(frame);
    expect(sent).toHaveLength(1);
  });
});
