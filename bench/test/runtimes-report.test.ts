import { describe, expect, it } from 'vitest';
import type { Distribution } from '../src/report/types.js';
import { runtimesMarkdown, type RuntimeRow, type RuntimesResult } from '../src/runtimes/runtimes-report.js';

const d = (p50: number, p99: number, count = 10): Distribution => ({ count, p50, p95: p99, p99, max: p99, mean: p50 });
const none: Distribution = { count: 0, p50: 0, p95: 0, p99: 0, max: 0, mean: 0 };

function row(target: RuntimeRow['target'], node: string, cpu: number): RuntimeRow {
  return {
    target, node, cpuMsPerCallSecond: cpu, cpuCoreShare: 0.5, machineBusyPct: target === 'floor' ? -1 : 80, callsUp: 100, lossPct: 0,
    setupMs: d(2, 5), uplinkMs: d(0.2, 1.5), downlinkMs: target === 'floor' ? none : d(0.3, 2), roundTripMs: d(45, 60),
    turnMs: d(320, 340), bargeInMs: d(90, 120), failures: {},
  };
}

const result: RuntimesResult = {
  name: 'runtimes',
  startedAt: '2026-12-06T18:00:00.000Z',
  durationS: 200,
  machine: { cpuModel: 'AMD EPYC', cores: 2, memGiB: 23.5, node: 'v24.22.3', os: 'Linux 6.1 x64' },
  options: { calls: 100, rate: 20, durationS: 20, codec: 'PCMU', agent: 'websocket', mode: 'fixed', workers: 0 },
  runtimes: [20, 22, 24],
  rows: [row('gateway', 'v20.20.2', 4.4), row('gateway', 'v22.23.5', 4), row('gateway', 'v24.22.3', 3.6), row('floor', 'v24.22.3', 1.2)],
  notes: ['a note'],
};

describe('runtimesMarkdown', () => {
  it('has one row per runtime and the floor, ×floor from the floor row, p50 / p99 pairs, the command', () => {
    const md = runtimesMarkdown(result);
    const rows = md.split('\n').filter((l) => l.startsWith('| gateway') || l.startsWith('| floor'));
    expect(rows).toHaveLength(4);
    expect(rows[0]).toBe('| gateway | v20.20.2 | 4.40 | 3.7× | 0.200 / 1.50 | 0.300 / 2.00 | 45.0 / 60.0 | 320 / 340 | 90.0 / 120 | 2.00 / 5.00 | 0.000 | 80 |');
    expect(rows[2]).toContain('| 3.60 | 3.0× |');
    expect(rows[3]).toMatch(/^\| floor \| v24\.22\.3 \| 1\.20 \| 1× \| 0\.200 \/ 1\.50 \| — \| 45\.0 \/ 60\.0 \| — \| — \| 2\.00 \/ 5\.00 \| 0\.000 \| — \|$/);
    expect(md).toContain('`npm run bench -- --calls 100 --rate 20 --duration 20 --codec PCMU --agent websocket --runtimes 20,22,24`');
    expect(md).toContain('- a note');
  });
});
