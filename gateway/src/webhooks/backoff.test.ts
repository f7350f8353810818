import { describe, expect, it } from 'vitest';
import { backoffDelayMs, nextStep } from './backoff.js';

const schedule = { initialDelayMs: 5_000, maxDelayMs: 3_600_000, giveUpAfterMs: 86_400_000 };

describe('backoff', () => {
  it('draws each wait in [initial, min(max, initial·2^(n-1))]: full jitter over a doubling cap', () => {
    expect(backoffDelayMs(schedule, 1, () => 0.999)).toBe(5_000); // cap = initial on the first failure
    expect(backoffDelayMs(schedule, 2, () => 0)).toBe(5_000);
    expect(backoffDelayMs(schedule, 2, () => 0.999)).toBe(9_995);
    expect(backoffDelayMs(schedule, 5, () => 0.5)).toBe(5_000 + 37_500); // cap 80 s
    expect(backoffDelayMs(schedule, 11, () => 0.999)).toBe(3_596_405); // cap 1 h (5 s·2^10 > 1 h)
    expect(backoffDelayMs(schedule, 500, () => 0.999)).toBeLessThanOrEqual(3_600_000);
  });

  it('tries up to the give-up mark (the last one placed at it), then gives up', () => {
    const created = 1_000_000;
    expect(nextStep(schedule, 3, created, created + 1_000, () => 0)).toEqual({ kind: 'retry', atMs: created + 6_000 });
    const late = created + schedule.giveUpAfterMs - 100;
    expect(nextStep(schedule, 30, created, late, () => 0.9)).toEqual({ kind: 'retry', atMs: created + schedule.giveUpAfterMs });
    expect(nextStep(schedule, 31, created, created + schedule.giveUpAfterMs)).toEqual({ kind: 'give-up' });
  });

  it('a day of failures is about 30 tries with the defaults (mean of the draws)', () => {
    let t = 0;
    let n = 0;
    for (;;) {
      const step = nextStep(schedule, ++n, 0, t, () => 0.5);
      if (step.kind === 'give-up') break;
      t = step.atMs;
    }
    expect(n).toBeGreaterThan(20);
    expect(n).toBeLessThan(60);
  });
});
