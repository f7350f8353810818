import { describe, expect, it } from 'vitest';
import { AgentAudioGate, isSilent } from './agent-audio-gate.js';
import { frameOf } from './test-support/fake-context.js';

const FRAME = 480;

function gate(holdMaxFrames = 10) {
  return new AgentAudioGate({ silencePeak: 100, hangoverSamples: 3 * FRAME, holdMaxSamples: holdMaxFrames * FRAME });
}

/** Pushes frames of the given values; returns `f` (forwarded), `-` (skipped), with `c` before when clear is due. */
function run(g: AgentAudioGate, values: number[]): string {
  return values
    .map((v) => {
      const d = g.push(frameOf(v));
      return (d.clear ? 'c' : '') + (d.forward ? 'f' : '-');
    })
    .join(' ');
}

describe('isSilent', () => {
  it('is true only when every sample lies within ±peak', () => {
    expect(isSilent(frameOf(100), 100)).toBe(true);
    expect(isSilent(frameOf(-100), 100)).toBe(true);
    const click = frameOf(0);
    click[479] = -101;
    expect(isSilent(click, 100)).toBe(false);
    expect(isSilent(frameOf(1), 0)).toBe(false);
    expect(isSilent(new Int16Array(0), 0)).toBe(true);
  });
});

describe('AgentAudioGate', () => {
  it('passes talk spurts with their short pauses and the hangover, and drops the silence between them', () => {
    const g = gate();
    expect(run(g, [0, 0, 500, 0, 0, 500, 0, 0, 0, 0, 0])).toBe('- - f f f f f f f - -');
    expect(g.stats).toMatchObject({ forwardedSamples: 7 * FRAME, silenceSamples: 4 * FRAME, heldSamples: 0 });
  });

  it('holds back an interrupted turn until the agent falls silent, then asks for clear', () => {
    const g = gate();
    run(g, [500]);
    expect(g.interrupted()).toBe(false);
    expect(g.isHolding).toBe(true);
    expect(run(g, [500, 500, 0, 0, 0, 700, 0])).toBe('- - - - c- f f');
    expect(g.isHolding).toBe(false);
    expect(g.stats.heldSamples).toBe(5 * FRAME);
  });

  it('lets an agent that keeps talking play again after the longest hold', () => {
    const g = gate(3);
    run(g, [500]);
    g.interrupted();
    expect(run(g, [500, 500, 500, 500])).toBe('- - cf f');
  });

  it('asks for clear at once when the agent is not talking, or when holding is off', () => {
    const idle = gate();
    run(idle, [0]);
    expect(idle.interrupted()).toBe(true);
    expect(run(idle, [500])).toBe('f');

    const noHold = gate(0);
    run(noHold, [500]);
    expect(noHold.interrupted()).toBe(true);
    expect(run(noHold, [500])).toBe('f');
    expect(noHold.stats.interruptions).toBe(1);
  });

  it('reports a clear still owed when the stream ends during a hold, and starts afresh', () => {
    const g = gate();
    run(g, [500]);
    g.interrupted();
    expect(g.reset()).toBe(true);
    expect(g.reset()).toBe(false);
    expect(g.inSpurt).toBe(false);
    expect(run(g, [0, 500])).toBe('- f');
  });
});
