import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PlaybackLedger } from './playback-ledger.js';
import { PLAYOUT_GRACE_MS, PLAYOUT_MARGIN_MS, PlayoutWaits } from './playout-waits.js';

describe('PlayoutWaits', () => {
  let ledger: PlaybackLedger;
  let marks: string[];
  let ran: string[];
  let waits: PlayoutWaits;

  beforeEach(() => {
    vi.useFakeTimers();
    ledger = new PlaybackLedger();
    marks = [];
    ran = [];
    waits = new PlayoutWaits({
      ledger,
      maxWaitMs: 15_000,
      placeMark: (name) => {
        ledger.placeMark(name);
        marks.push(name);
      },
      run: (what, action) => {
        ran.push(what);
        action();
      },
    });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('runs at once when nothing forwarded is unplayed', () => {
    let done = false;
    waits.after('end_call', () => (done = true));
    expect(done).toBe(true);
    expect(marks).toEqual([]);
  });

  it('waits for its mark to come back played, then the grace, before running', () => {
    ledger.addAudio('item-1', 24 * 1_000); // a second of goodbye
    let done = false;
    waits.after('end_call', () => (done = true));
    expect(marks).toEqual(['end_call-1']);
    vi.advanceTimersByTime(900);
    waits.markReturned('end_call-1', 'played');
    vi.advanceTimersByTime(PLAYOUT_GRACE_MS - 1);
    expect(done).toBe(false);
    vi.advanceTimersByTime(1);
    expect([done, ran]).toEqual([true, ['end_call']]);
  });

  it('runs at once when its mark comes back cleared (the caller barged in)', () => {
    ledger.addAudio('item-1', 24 * 1_000);
    let done = false;
    waits.after('transfer_call', () => (done = true));
    waits.markReturned('transfer_call-1', 'cleared');
    expect(done).toBe(true);
  });

  it('gives up waiting after the unplayed audio plus a margin, and never at all once closed', () => {
    ledger.addAudio('item-1', 24 * 500);
    let first = 0;
    waits.after('end_call', () => first++);
    vi.advanceTimersByTime(500 + PLAYOUT_MARGIN_MS - 1);
    expect(first).toBe(0);
    vi.advanceTimersByTime(1);
    expect(first).toBe(1);
    waits.markReturned('end_call-1', 'played'); // late: already run, runs no more
    vi.advanceTimersByTime(PLAYOUT_GRACE_MS);
    expect(first).toBe(1);

    let second = 0;
    waits.after('bridge', () => second++);
    waits.close();
    vi.advanceTimersByTime(60_000);
    expect(second).toBe(0);
  });
});
