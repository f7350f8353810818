import { describe, expect, it } from 'vitest';
import { UplinkQueue } from './uplink-queue.js';

describe('UplinkQueue', () => {
  it('keeps the newest maxUplinkMs of frames, drops and counts the oldest, drains oldest first while there is room', () => {
    const queue = new UplinkQueue<number>(50); // 50 ms: 3 frames of 20 ms
    const dropped = [1, 2, 3, 4, 5].map((n) => queue.push(n));
    expect(dropped).toEqual([false, false, false, true, true]);
    expect(queue.length).toBe(3);
    const sent: number[] = [];
    queue.drain(() => sent.length < 2, (n) => sent.push(n));
    expect(sent).toEqual([3, 4]);
    queue.drain(() => true, (n) => sent.push(n));
    expect(sent).toEqual([3, 4, 5]);
    expect(queue.length).toBe(0);
  });

  it('reports the audio dropped since the last report, at most once a second', () => {
    const queue = new UplinkQueue<number>(20);
    expect(queue.takeDropReport(0)).toBeUndefined(); // nothing dropped
    queue.push(1);
    queue.push(2);
    queue.push(3);
    expect(queue.takeDropReport(0)).toBe(40);
    queue.push(4);
    expect(queue.takeDropReport(999)).toBeUndefined(); // too soon: kept for the next report
    queue.push(5);
    expect(queue.takeDropReport(1000)).toBe(40);
    expect(queue.takeDropReport(5000)).toBeUndefined();
  });

  it('says whether a report may have news, without a clock reading (the send path asks on every frame)', () => {
    const queue = new UplinkQueue<number>(20);
    expect(queue.hasUnreportedDrops).toBe(false);
    queue.push(1);
    expect(queue.hasUnreportedDrops).toBe(false);
    queue.push(2);
    expect(queue.hasUnreportedDrops).toBe(true);
    expect(queue.takeDropReport(0)).toBe(20);
    expect(queue.hasUnreportedDrops).toBe(false);
    queue.push(3);
    expect(queue.takeDropReport(10)).toBeUndefined(); // too soon: still news for later
    expect(queue.hasUnreportedDrops).toBe(true);
  });
});
