import { describe, expect, it } from 'vitest';
import type { AgentMessage, StartMessage } from '../protocol/messages.js';
import { AUDIO_FORMAT } from '../protocol/messages.js';
import { apologyAgent } from './apology.js';
import { loadDemoPrompts } from './prompts.js';

const start: StartMessage = { type: 'start', version: 1, callId: 'c', streamId: 's', from: '', to: '', direction: 'inbound', parameters: {}, audio: AUDIO_FORMAT };

describe('apology agent', () => {
  it('speaks the apology, marks its end, and hangs up when that mark comes back', () => {
    const audio: Int16Array[] = [];
    const sent: AgentMessage[] = [];
    const session = apologyAgent.create({ start, sendAudio: (a) => audio.push(a), send: (m) => sent.push(m), signal: new AbortController().signal });
    expect(audio).toHaveLength(1);
    expect(audio[0]?.length).toBe(loadDemoPrompts().apology.length);
    expect((audio[0]?.length ?? 0) / 24_000).toBeGreaterThan(2); // a real sentence, not a blip
    expect(sent).toEqual([
      { type: 'transcript', role: 'agent', text: 'We are sorry, we cannot take your call right now. Please try again later. Goodbye.', final: true },
      { type: 'mark', name: 'apology-done' },
    ]);
    session.onMessage({ type: 'mark', name: 'other', status: 'played', playedMs: 300 });
    expect(sent).toHaveLength(2);
    session.onMessage({ type: 'mark', name: 'apology-done', status: 'played', playedMs: 5000 });
    expect(sent.at(-1)).toEqual({ type: 'hangup', reason: 'agent_unavailable' });
  });
});
