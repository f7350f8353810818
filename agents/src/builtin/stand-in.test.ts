import { describe, expect, it, vi } from 'vitest';
import type { AgentMessage, StartMessage } from '../protocol/messages.js';
import { AUDIO_FORMAT } from '../protocol/messages.js';
import { loadDemoPrompts } from './prompts.js';
import { ringbackCycle, standInAgent } from './stand-in.js';

const start: StartMessage = { type: 'start', version: 1, callId: 'c', streamId: 's', from: '', to: '', direction: 'inbound', parameters: {}, audio: AUDIO_FORMAT };

describe('stand-in agent', () => {
  it('says "one moment", marks its end, then keeps a ringback queued until closed', () => {
    vi.useFakeTimers();
    try {
      const audio: Int16Array[] = [];
      const sent: AgentMessage[] = [];
      const done = vi.fn();
      const aborter = new AbortController();
      const session = standInAgent(done).create({ start, sendAudio: (a) => audio.push(a), send: (m) => sent.push(m), signal: aborter.signal });
      expect(audio[0]?.length).toBe(loadDemoPrompts()['one-moment'].length);
      expect(sent).toEqual([
        { type: 'transcript', role: 'agent', text: 'One moment, please.', final: true },
        { type: 'mark', name: 'stand-in-prompt' },
      ]);
      expect(audio).toHaveLength(2); // the prompt, and the first ringback cycle behind it
      vi.advanceTimersByTime(6_000);
      expect(audio).toHaveLength(3);
      session.onMessage({ type: 'mark', name: 'other', status: 'played', playedMs: 1 });
      expect(done).not.toHaveBeenCalled();
      session.onMessage({ type: 'mark', name: 'stand-in-prompt', status: 'played', playedMs: 1_460 });
      expect(done).toHaveBeenCalledOnce();
      session.close();
      aborter.abort();
      vi.advanceTimersByTime(60_000);
      expect(audio).toHaveLength(3);
      expect(done).toHaveBeenCalledOnce();
    } finally {
      vi.useRealTimers();
    }
  });

  it('rings 2 s of 440 + 480 Hz, then 4 s of silence, well below full scale', () => {
    const c = ringbackCycle();
    expect(c.length).toBe(6 * 24_000);
    let peak = 0;
    for (let i = 0; i < 2 * 24_000; i++) peak = Math.max(peak, Math.abs(c[i] ?? 0));
    expect(peak).toBeGreaterThan(1_500);
    expect(peak).toBeLessThanOrEqual(2_100);
    expect(c.subarray(2 * 24_000).every((s) => s === 0)).toBe(true);
  });
});
