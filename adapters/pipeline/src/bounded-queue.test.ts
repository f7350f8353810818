import { describe, expect, it } from 'vitest';
import { BoundedQueue } from './bounded-queue.js';

describe('BoundedQueue', () => {
  it('push waits while full and resumes when the consumer takes an item; close drains then ends', async () => {
    const q = new BoundedQueue<number>(2);
    const pushed: number[] = [];
    const producer = (async () => {
      for (const n of [1, 2, 3]) if (await q.push(n)) pushed.push(n);
      q.close();
    })();
    await new Promise((resolve) => setImmediate(resolve));
    expect(pushed).toEqual([1, 2]); // the third waits for room
    expect(q.size).toBe(2);
    expect(await q.next()).toBe(1);
    await producer;
    expect(pushed).toEqual([1, 2, 3]);
    expect([await q.next(), await q.next(), await q.next()]).toEqual([2, 3, undefined]);
  });

  it('abort drops what is queued and releases a waiting producer and consumer', async () => {
    const q = new BoundedQueue<number>(1);
    await q.push(1);
    const blocked = q.push(2);
    q.abort();
    expect(await blocked).toBe(false);
    expect(await q.next()).toBeUndefined();
    const empty = new BoundedQueue<number>(1);
    const waiting = empty.next();
    empty.abort();
    expect(await waiting).toBeUndefined();
    expect(await empty.push(5)).toBe(false);
  });
});
