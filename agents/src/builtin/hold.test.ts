import { describe, expect, it, vi } from 'vitest';
import { AUDIO_FORMAT, type StartMessage } from '../protocol/messages.js';
import { holdAgent, holdCycle } from './hold.js';

const start: StartMessage = { type: 'start', version: 1, callId: 'c', streamId: 's', from: '', to: '', direction: 'inbound', parameters: {}, audio: AUDIO_FORMAT };

describe('hold agent', () => {
  it('keeps a 4 s chime cycle queued until closed, and says nothing', () => {
    vi.useFakeTimers();
    try {
      const audio: Int16Array[] = [];
      const sent: unknown[] = [];
      const aborter = new AbortController();
      const session = holdAgent.create({ start, sendAudio: (a) => audio.push(a), send: (m) => sent.push(m), signal: aborter.signal });
      expect(audio).toHaveLength(1);
      vi.advanceTimersByTime(4_000);
      expect(audio).toHaveLength(2);
      session.close();
      aborter.abort();
      vi.advanceTimersByTime(40_000);
      expect(audio).toHaveLength(2);
      expect(sent).toEqual([]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('is three soft notes then silence', () => {
    const c = holdCycle();
    expect(c.length).toBe(4 * 24_000);
    const peak = c.reduce((m, s) => Math.max(m, Math.abs(s)), 0);
    expect(peak).toBeGreaterThan(1_000);
    expect(peak).toBeLessThanOrEqual(1_600);
    expect(c.subarray(Math.round(0.9 * 24_000)).every((s) => s === 0)).toBe(true);
  });
});
