import { describe, expect, it } from 'vitest';
import { CallerSpeech, fadeOut, type SpeechSource } from './barge-in.js';
import type { SpeechEvent } from './vad/index.js';

/** A detector scripted by frame position: returns the events listed for each atMs, records what it was fed. */
function scripted(script: Record<number, SpeechEvent[]>) {
  const fed: Array<{ atMs: number; length: number; dtmf: boolean }> = [];
  const source: SpeechSource = {
    push: (frame, atMs, flags) => {
      fed.push({ atMs, length: frame.length, dtmf: flags?.dtmf ?? false });
      return script[atMs] ?? [];
    },
    agentSpurtStarted: () => undefined,
    close: () => undefined,
  };
  return { source, fed };
}

describe('CallerSpeech', () => {
  it('re-chunks caller audio into 20 ms frames at their stream positions (30 ms packets here)', () => {
    const { source, fed } = scripted({});
    const speech = new CallerSpeech('agent', source, 160);
    for (let i = 0; i < 4; i++) speech.push(new Int16Array(240), i * 30, 1000 + i * 30, { dtmf: i === 1, agentPlaying: false });
    expect(fed.map((f) => [f.atMs, f.length])).toEqual([[0, 160], [20, 160], [40, 160], [60, 160], [80, 160], [100, 160]]);
    // Frames completed while the DTMF-flagged packet is pushed carry the flag (the one at 20 ms straddles both).
    expect(fed.map((f) => f.dtmf)).toEqual([false, true, true, false, false, false]);
  });

  it('asks to interrupt only in gateway mode while the agent plays, timed from the onset packet', () => {
    const onset: Record<number, SpeechEvent[]> = { 60: [{ type: 'speech_started', atMs: 20 }] };
    for (const [mode, playing, expected] of [['gateway', true, true], ['gateway', false, false], ['agent', true, false]] as const) {
      const speech = new CallerSpeech(mode, scripted(onset).source, 160);
      let request;
      for (let at = 0; at <= 60; at += 20) request ??= speech.push(new Int16Array(160), at, 5000 + at, { dtmf: false, agentPlaying: playing }).interrupt;
      expect(request !== undefined, `${mode} playing=${playing}`).toBe(expected);
      if (request) {
        expect(request).toEqual({ atMs: 20, onsetArrivalMs: 5020 });
        speech.interrupted(request, 5100);
        expect(speech.stats.reactionMs).toEqual([80]);
      }
      expect(speech.stats.onsets).toBe(1);
    }
  });

  it('counts an interruption whose speech stops within 300 ms as a false barge-in, a long one not', () => {
    const run = (stopAtMs: number): number => {
      const script: Record<number, SpeechEvent[]> = {
        60: [{ type: 'speech_started', atMs: 0 }],
        1000: [{ type: 'speech_stopped', atMs: stopAtMs }],
      };
      const speech = new CallerSpeech('gateway', scripted(script).source, 160);
      for (let at = 0; at <= 1000; at += 20) speech.push(new Int16Array(160), at, at, { dtmf: false, agentPlaying: true });
      return speech.stats.falseBargeIns;
    };
    expect(run(150)).toBe(1);
    expect(run(800)).toBe(0);
  });

  it('with a confirmer, signals and interrupts only onsets it believes, one frame later; a rejected turn stays silent', async () => {
    const script: Record<number, SpeechEvent[]> = {
      60: [{ type: 'speech_started', atMs: 20 }],
      500: [{ type: 'speech_stopped', atMs: 480 }],
    };
    for (const believe of [true, false]) {
      let fed = 0;
      const confirmer = { push: () => void fed++, confirm: () => Promise.resolve({ speech: believe, probability: believe ? 0.9 : 0.1 }), close: () => undefined };
      const speech = new CallerSpeech('gateway', scripted(script).source, 160, confirmer);
      const seen: string[] = [];
      let interruptAt: number | undefined;
      for (let at = 0; at <= 520; at += 20) {
        const r = speech.push(new Int16Array(160), at, at, { dtmf: false, agentPlaying: true });
        for (const e of r.events) seen.push(`${e.type}@${e.atMs}`);
        if (r.interrupt) interruptAt = at;
        await Promise.resolve(); // let the confirmation settle, as the event loop does between ticks
      }
      expect(fed).toBe(27);
      if (believe) {
        expect(seen).toEqual(['speech_started@20', 'speech_stopped@480']);
        expect(interruptAt).toBe(80); // the frame after the onset was proposed
        expect(speech.stats).toMatchObject({ onsets: 1, rejectedByConfirmer: 0 });
      } else {
        expect(seen).toEqual([]);
        expect(interruptAt).toBeUndefined();
        expect(speech.stats).toMatchObject({ onsets: 0, rejectedByConfirmer: 1 });
      }
    }
  });

  it('does nothing without a detector (bargeIn: off)', () => {
    const speech = new CallerSpeech('off', undefined, 160);
    expect(speech.push(new Int16Array(160), 0, 0, { dtmf: false, agentPlaying: true })).toEqual({ events: [] });
  });
});

describe('fadeOut', () => {
  it('ramps smoothly to zero over the fade and silences the rest', () => {
    const s = new Int16Array(480).fill(10_000);
    fadeOut(s, 240);
    expect(s[0]).toBe(10_000);
    expect(s[120]).toBeCloseTo(5_000, -2);
    expect(s[239]).toBeLessThan(50);
    expect(Array.from(s.subarray(240)).every((v) => v === 0)).toBe(true);
    for (let i = 1; i < 240; i++) expect(Math.abs((s[i] ?? 0) - (s[i - 1] ?? 0))).toBeLessThan(200); // no click
  });
});
