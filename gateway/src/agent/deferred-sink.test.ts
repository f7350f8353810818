import { describe, expect, it } from 'vitest';
import type { AgentMessage } from '@patchbay/agents';
import { DeferredSink } from './deferred-sink.js';

describe('DeferredSink', () => {
  it('holds audio, messages and a close in order until attached, then forwards directly', () => {
    const sink = new DeferredSink(1000);
    sink.onAudio(new Int16Array(480));
    sink.onMessage({ type: 'mark', name: 'a' });
    sink.onAudio(new Int16Array(600)); // would exceed 1000: refused and counted
    const seen: string[] = [];
    const target = {
      onAudio: (pcm: Int16Array) => seen.push(`audio:${pcm.length}`),
      onMessage: (m: AgentMessage) => seen.push(`msg:${m.type}`),
      onClose: (r: string) => seen.push(`close:${r}`),
    };
    sink.attach(target);
    expect(seen).toEqual(['audio:480', 'msg:mark']);
    expect(sink.droppedSamples).toBe(600);
    sink.onAudio(new Int16Array(2000));
    sink.onClose('agent_closed');
    expect(seen).toEqual(['audio:480', 'msg:mark', 'audio:2000', 'close:agent_closed']);
  });
});
