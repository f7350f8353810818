import { describe, expect, it } from 'vitest';
import { PlayoutQueue } from './playout-queue.js';

const ramp = (n: number, from = 1): Int16Array => Int16Array.from({ length: n }, (_, i) => from + i);

describe('PlayoutQueue', () => {
  it('plays in exact packets after the lead, with the marker on the first packet only', () => {
    const q = new PlayoutQueue({ maxSamples: 24_000, leadSamples: 960 });
    q.push(ramp(480));
    expect(q.take(480)).toBeUndefined(); // below the lead, agent may still be sending
    q.push(ramp(1000, 481));
    const first = q.take(480);
    expect(first?.spurtStart).toBe(true);
    expect(Array.from(first?.samples.subarray(0, 3) ?? [])).toEqual([1, 2, 3]);
    const second = q.take(480);
    expect(second?.spurtStart).toBe(false);
    expect(second?.samples[0]).toBe(481);
    expect(q.playedSamples).toBe(960);
  });

  it('starts a short utterance below the lead after one idle tick, and pads only the tail', () => {
    const q = new PlayoutQueue({ maxSamples: 24_000, leadSamples: 960 });
    q.push(ramp(600));
    expect(q.take(480)).toBeUndefined();
    expect(q.take(480)?.spurtStart).toBe(true);
    expect(q.take(480)).toBeUndefined(); // 120 left: wait one tick for more
    const tail = q.take(480);
    expect(tail?.samples[119]).toBe(600);
    expect(tail?.samples[120]).toBe(0);
    expect(q.playedSamples).toBe(600); // padding is not agent audio
    expect(q.take(480)).toBeUndefined();
    expect(q.active).toBe(false);
  });

  it('acknowledges a mark exactly when the audio before it has been taken, with that position', () => {
    const q = new PlayoutQueue({ maxSamples: 24_000, leadSamples: 0 });
    q.push(ramp(720));
    expect(q.mark('a')).toBeUndefined();
    q.push(ramp(480));
    expect(q.mark('b')).toBeUndefined();
    expect(q.take(480)?.marks).toEqual([]);
    expect(q.take(480)?.marks).toEqual([{ name: 'a', status: 'played', playedSamples: 720 }]);
    expect(q.take(480)).toBeUndefined(); // 240 left mid-spurt: one tick for the agent to send more
    expect(q.take(480)?.marks).toEqual([{ name: 'b', status: 'played', playedSamples: 1200 }]);
    expect(q.mark('idle')).toEqual({ name: 'idle', status: 'played', playedSamples: 1200 });
  });

  it('clear drops the rest, reports pending marks cleared (never played) and starts a new turn', () => {
    const q = new PlayoutQueue({ maxSamples: 24_000, leadSamples: 0 });
    q.push(ramp(2400));
    q.mark('end');
    q.take(480);
    q.take(480);
    expect(q.clear()).toEqual({ droppedSamples: 1440, playedSamples: 960, marks: [{ name: 'end', status: 'cleared', playedSamples: 960 }] });
    expect(q.queuedSamples).toBe(0);
    q.push(ramp(480, 7));
    const next = q.take(480);
    expect(next?.spurtStart).toBe(true);
    expect(next?.samples[0]).toBe(7);
    expect(q.playedSamples).toBe(480);
  });

  it('is bounded: audio beyond maxSamples is refused and counted', () => {
    const q = new PlayoutQueue({ maxSamples: 1000, leadSamples: 0 });
    expect(q.push(ramp(800))).toBe(0);
    expect(q.push(ramp(800))).toBe(600);
    expect(q.queuedSamples).toBe(1000);
    expect(q.overflowSamples).toBe(600);
  });
});
