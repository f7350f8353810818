import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CLEARED_WAIT_MS, Clears } from './clears.js';

const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

describe('Clears', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('hands back the cut reply when its cleared comes, and the next request stops waiting at once', async () => {
    const sent: string[] = [];
    const clears = new Clears<string>((turnId) => sent.push(turnId), silent);
    const turnId = clears.send('reply-1');
    expect(sent).toEqual([turnId]);
    let settled = false;
    const waiting = clears.settled().then(() => (settled = true));
    await Promise.resolve();
    expect(settled).toBe(false);
    expect(clears.cleared(turnId)).toBe('reply-1');
    await waiting;
    expect(settled).toBe(true);
    expect(clears.cleared(turnId)).toBeUndefined(); // once
  });

  it('finds the cut reply when the gateway answers cleared inside the send (an in-process link)', () => {
    let heard: string | undefined;
    const clears: Clears<string> = new Clears<string>((turnId) => (heard = clears.cleared(turnId)), silent);
    clears.send('reply-1');
    expect(heard).toBe('reply-1');
  });

  it('stops waiting after the bound when no cleared comes', async () => {
    const clears = new Clears<string>(() => undefined, silent);
    clears.send('reply-1');
    let settled = false;
    void clears.settled().then(() => (settled = true));
    await vi.advanceTimersByTimeAsync(CLEARED_WAIT_MS - 1);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(settled).toBe(true);
  });

  it('an interrupted right after our clear crossed it; once cleared, or after the wait, it did not', () => {
    const clears = new Clears<string>(() => undefined, silent);
    expect(clears.crossedByInterrupt).toBe(false);
    const turnId = clears.send(undefined);
    expect(clears.crossedByInterrupt).toBe(true);
    clears.cleared(turnId);
    expect(clears.crossedByInterrupt).toBe(false);
    clears.send(undefined);
    vi.advanceTimersByTime(CLEARED_WAIT_MS);
    expect(clears.crossedByInterrupt).toBe(false);
  });
});
