import { describe, expect, it } from 'vitest';
import { parseCli } from '../src/cli.js';
import { recordsOrder } from '../src/records-run.js';
import { benchCommand } from '../src/report/format.js';
import { renderMarkdown } from '../src/report/markdown.js';
import { compareRecords, recordsSection } from '../src/report/records.js';
import type { RecordsFigures } from '../src/report/types.js';
import { fixture } from './report-fixture.js';

function run(mode: 'on' | 'off', hold: number, life: number, over: Partial<RecordsFigures> = {}): RecordsFigures {
  return {
    mode, callsUp: 100, failedCalls: 0, lossPct: 0,
    gateway: { cpuMsPerCallSecond: hold, rssMiBPerCall: 0.4, rssMiB: 200 },
    lifecycle: { cpuMs: life * 2_400, wallS: 30, callSeconds: 2_400, cpuMsPerCallSecond: life },
    ...over,
  };
}

describe('--records', () => {
  it('parses on, off and both (off, on, off, on), names the run, refuses other modes and combinations', () => {
    expect(parseCli(['--records', 'both'], '/r')).toMatchObject({ records: 'both', name: 'records-both' });
    expect(parseCli([], '/r').records).toBeUndefined();
    expect(recordsOrder('both')).toEqual(['off', 'on', 'off', 'on']);
    expect(recordsOrder('on')).toEqual(['on']);
    expect(() => parseCli(['--records', 'maybe'], '/r')).toThrow(/--records must be on, off, both/);
    expect(() => parseCli(['--records', 'on', '--ramp'], '/r')).toThrow(/does not combine/);
    expect(() => parseCli(['--records', 'on', '--direction', 'outbound'], '/r')).toThrow(/does not combine/);
  });

  it('compares the means of each mode against the 5 % goal, hold window and whole life', () => {
    const runs = [run('off', 4.0, 5.0), run('on', 4.1, 5.4), run('off', 4.2, 5.0), run('on', 4.1, 5.6)];
    const c = compareRecords(runs);
    expect(c.off).toEqual({ hold: 4.1, lifecycle: 5.0 });
    expect(c.holdDiff).toBeCloseTo(0, 6);
    expect(c.lifecycleDiff).toBeCloseTo(0.1, 6);
    const md = recordsSection(runs, { cpuMsPerCallSecond: 2.5, rssMiBPerCall: 0.1, rssMiB: 90 }) ?? '';
    expect(md).toContain('| CPU ms per call-second, hold window (mean) | 4.100 | 4.100 | +0.0 % | yes | 2.500 |');
    expect(md).toContain('| CPU ms per call-second, whole life (mean) | 5.000 | 5.500 | +10.0 % | **no** | — |');
    expect(compareRecords([run('on', 4, 5)]).holdDiff).toBeUndefined();
    expect(recordsSection(undefined, undefined)).toBeUndefined();
  });

  it('lists each run with its store ops and webhooks, and the reproduce command carries --records', () => {
    const result = { ...fixture(), options: { ...fixture().options, records: 'both' as const }, records: [run('off', 4, 5), run('on', 4, 5, { storeOpsApplied: 400, webhooks: { 'call.ended': 100, 'call.answered': 100 }, drained: false })] };
    const md = renderMarkdown(result);
    expect(md).toContain('## Records + webhooks on vs off');
    expect(md).toContain('| 2 | on | 100 (0) | 4.000 | 5.000 | 12000 | 400 (not drained) | answered 100, ended 100 | 0.000 |');
    expect(benchCommand(result.options)).toContain('--records both');
  });
});
