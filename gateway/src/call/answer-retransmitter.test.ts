import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AnswerRetransmitter } from './answer-retransmitter.js';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('AnswerRetransmitter', () => {
  it('resends the 2xx at T1, 2T1, 4T1 … capped at T2, and times out at 64·T1 without an ACK', () => {
    const sentAt: number[] = [];
    const timeout = vi.fn();
    const start = Date.now();
    new AnswerRetransmitter({ t1Ms: 500, t2Ms: 4000, reliable: false, resend: () => sentAt.push(Date.now() - start), onAckTimeout: timeout });
    vi.advanceTimersByTime(64 * 500 - 1);
    expect(timeout).not.toHaveBeenCalled();
    // 500, 1500, 3500, 7500, 11500, 15500, … every 4 s once the interval reaches T2.
    expect(sentAt.slice(0, 6)).toEqual([500, 1500, 3500, 7500, 11500, 15500]);
    expect(sentAt.at(-1)).toBe(31500);
    vi.advanceTimersByTime(1);
    expect(timeout).toHaveBeenCalledTimes(1);
    const count = sentAt.length;
    vi.advanceTimersByTime(60_000);
    expect(sentAt.length).toBe(count);
  });

  it('stops resending on ACK and never fires the timeout', () => {
    const resend = vi.fn();
    const timeout = vi.fn();
    const r = new AnswerRetransmitter({ t1Ms: 500, t2Ms: 4000, reliable: false, resend, onAckTimeout: timeout });
    vi.advanceTimersByTime(1600);
    expect(resend).toHaveBeenCalledTimes(2);
    r.stop();
    vi.advanceTimersByTime(60_000);
    expect(resend).toHaveBeenCalledTimes(2);
    expect(timeout).not.toHaveBeenCalled();
  });

  it('over a reliable transport resends nothing but still enforces the ACK deadline', () => {
    const resend = vi.fn();
    const timeout = vi.fn();
    new AnswerRetransmitter({ t1Ms: 500, t2Ms: 4000, reliable: true, resend, onAckTimeout: timeout });
    vi.advanceTimersByTime(32_000);
    expect(resend).not.toHaveBeenCalled();
    expect(timeout).toHaveBeenCalledTimes(1);
  });
});
