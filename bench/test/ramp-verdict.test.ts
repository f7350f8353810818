import { describe, expect, it } from 'vitest';
import { rampVerdict } from '../src/ramp.js';

const step = (uplinkP99Ms: number, lossPct = 0) => ({ concurrency: 75, lossPct, uplinkP99Ms, cpuMsPerCallSecond: 4 });

describe('rampVerdict', () => {
  it('holds a step with processing p99 up to 5 ms and no loss, or with p99 not reported', () => {
    expect(rampVerdict(step(5), 0, 0)).toBeUndefined();
    expect(rampVerdict(step(-1), 0, 0)).toBeUndefined();
  });

  it('stops on processing p99 over 5 ms, any loss, a failed call or a call the gateway ended', () => {
    expect(rampVerdict(step(5.01), 0, 0)).toMatch(/uplink processing p99 5\.01 ms > 5 ms at 75 calls/);
    expect(rampVerdict(step(1, 0.001), 0, 0)).toMatch(/packet loss/);
    expect(rampVerdict(step(1), 2, 0)).toMatch(/2 call\(s\) failed/);
    expect(rampVerdict(step(1), 0, 1)).toMatch(/ended by the gateway/);
  });
});
