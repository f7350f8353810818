import { describe, expect, it } from 'vitest';
import { CallMonitor, SampleQueue } from './mixer.js';

const frame = (value: number, n = 480): Int16Array => new Int16Array(n).fill(value);

describe('SampleQueue', () => {
  it('mixes in what it holds, in order, across chunk boundaries; nothing more once empty', () => {
    const q = new SampleQueue();
    q.push(new Int16Array([1, 2, 3]));
    q.push(new Int16Array([4, 5]));
    const out = new Int16Array([10, 10, 10, 10]);
    q.mixInto(out);
    expect([...out]).toEqual([11, 12, 13, 14]);
    const rest = new Int16Array([0, 0]);
    q.mixInto(rest);
    expect([...rest]).toEqual([5, 0]);
    expect(q.length).toBe(0);
  });

  it('clips the sum, and never holds more than 200 ms (the oldest goes)', () => {
    const q = new SampleQueue();
    q.push(new Int16Array([30_000]));
    const out = new Int16Array([10_000]);
    q.mixInto(out);
    expect(out[0]).toBe(32_767);
    for (let i = 0; i < 20; i++) q.push(frame(i)); // 400 ms
    expect(q.length).toBe(4_800);
    const next = new Int16Array(1);
    q.mixInto(next);
    expect(next[0]).toBe(10); // frames 0-9 were dropped
  });
});

describe('CallMonitor', () => {
  function setup(mode: 'listen' | 'whisper' | 'barge') {
    const toSupervisor: Int16Array[] = [];
    const m = new CallMonitor(mode, (pcm) => toSupervisor.push(pcm));
    return { m, toSupervisor };
  }

  it('listen: the supervisor gets caller + what the caller heard; the supervisor\'s voice goes nowhere', () => {
    const { m, toSupervisor } = setup('listen');
    expect(m.downlink(frame(100), 480)).toEqual(frame(100)); // the agent's audio, unchanged for the caller
    m.fromSupervisor(frame(7));
    const toAgent = m.uplink(frame(20));
    expect(toAgent).toEqual(frame(20));
    expect(toSupervisor).toEqual([frame(120)]);
    expect(m.downlink(undefined, 480)).toBeUndefined(); // nothing playing stays nothing
  });

  it('whisper: the agent side hears the supervisor, the caller does not', () => {
    const { m } = setup('whisper');
    m.fromSupervisor(frame(7));
    expect(m.downlink(undefined, 480)).toBeUndefined();
    expect(m.uplink(frame(20))).toEqual(frame(27));
  });

  it('barge: both hear the supervisor, and the supervisor never hears itself', () => {
    const { m, toSupervisor } = setup('barge');
    m.fromSupervisor(frame(7));
    expect(m.downlink(undefined, 480)).toEqual(frame(7)); // a packet of its own while the agent is quiet
    expect(m.uplink(frame(20))).toEqual(frame(27));
    expect(toSupervisor).toEqual([frame(20)]); // caller + silence heard: not the supervisor's own voice
  });

  it('switching mode takes effect for the next audio', () => {
    const { m } = setup('listen');
    m.fromSupervisor(frame(7));
    m.mode = 'barge';
    expect(m.uplink(frame(1))).toEqual(frame(1)); // what came in while listening was dropped
    m.fromSupervisor(frame(7));
    expect(m.uplink(frame(1))).toEqual(frame(8));
  });

  it('agentStream: the supervisor goes to the agent as its own stream, not mixed; a bridge (false) gets it mixed', () => {
    const streamed: Int16Array[] = [];
    let ai = true;
    const m = new CallMonitor('whisper', () => {}, (pcm) => {
      if (!ai) return false;
      streamed.push(pcm);
      return true;
    });
    m.fromSupervisor(frame(7));
    expect(streamed).toEqual([frame(7)]);
    expect(m.uplink(frame(20))).toEqual(frame(20));
    ai = false;
    m.fromSupervisor(frame(7));
    expect(m.uplink(frame(20))).toEqual(frame(27));
  });
});
