import { describe, expect, it } from 'vitest';

import { formatMs, formatRatio } from '../src/report/format.js';
import { renderMarkdown } from '../src/report/markdown.js';
import { fixture } from './report-fixture.js';

/** The table row whose first cell is `first`, split into trimmed cells. */
function row(md: string, first: string): string[] {
  const line = md.split('\n').find((l) => l.startsWith(`| ${first} |`));
  if (line === undefined) throw new Error(`no row starting with ${first}`);
  return line
    .slice(1, -1)
    .split(' | ')
    .map((c) => c.trim());
}

describe('renderMarkdown', () => {
  const result = fixture();
  const md = renderMarkdown(result);

  it('heads the report with the escaped name, date, machine and options', () => {
    expect(md.startsWith('# Bench: ws-echo &lt;200&gt; & co\n')).toBe(true);
    expect(md).toContain('2025-11-21 10:14 UTC');
    expect(md).toContain('AMD EPYC 7763 64-Core Processor (8 cores), 31.3 GiB RAM, Node v20.19.2, linux 6.1.0 x64');
    expect(md).toContain('200 calls at 20 new/s for 120 s, codec PCMU, websocket agent, 0 media workers, ramp mode');
  });

  it('gives each measured hop p50/p95/p99/max/count with about three significant figures', () => {
    expect(row(md, 'Uplink').slice(0, 6)).toEqual(['Uplink', '0.0412', '0.0931', '0.187', '2.31', '1,193,412']);
    expect(row(md, 'Call setup').slice(0, 6)).toEqual(['Call setup', '3.42', '7.90', '14.6', '41.2', '200']);
    expect(row(md, 'Round trip').slice(1, 5)).toEqual(['41.8', '47.3', '55.1', '88.6']);
  });

  it('shows dashes and "not measured" for hops with no samples', () => {
    expect(row(md, 'Turn')).toEqual(['Turn', '—', '—', '—', '—', '0', 'not measured']);
    expect(row(md, 'Barge-in')).toEqual(['Barge-in', '—', '—', '—', '—', '0', 'not measured']);
  });

  it('reports loss and jitter', () => {
    expect(row(md, 'Loss')).toEqual(['Loss', '0.05 %']);
    expect(row(md, 'Jitter')[1]).toBe('p50 0.210, p95 0.740, p99 1.38, max 6.05 ms');
    expect(row(md, 'Packets received')).toEqual(['Packets received', '1,199,412']);
  });

  it('sets cost against the floor with the ratio', () => {
    expect(row(md, 'CPU ms per call-second')).toEqual(['CPU ms per call-second', '2.84', '1.12', '2.5×']);
    expect(row(md, 'RSS MiB per call')).toEqual(['RSS MiB per call', '0.41', '0.09', '4.6×']);
    expect(row(md, 'Uplink p99 ms')).toEqual(['Uplink p99 ms', '0.187', '0.0771', '2.4×']);
  });

  it('says so when there is no floor, with dashes instead of ratios', () => {
    const noFloor = renderMarkdown({ ...result, floor: undefined });
    expect(row(noFloor, 'CPU ms per call-second')).toEqual(['CPU ms per call-second', '2.84', '—', '—']);
    expect(noFloor).toContain('No floor was measured');
    expect(noFloor.split('\n').some((l) => l.startsWith('| Uplink p99 ms |'))).toBe(false);
  });

  it('marks targets ✅/❌ with their measured values and counts the misses', () => {
    expect(row(md, '✅')).toEqual(['✅', 'uplink p99', '&lt; 1 ms', '0.187 ms']);
    expect(row(md, '❌')).toEqual(['❌', 'CPU vs floor', '≤ 2× floor', '2.5× floor']);
    expect(md).toContain('1 of 3 targets missed.');
    const allPass = renderMarkdown({ ...result, targets: result.targets.map((t) => ({ ...t, pass: true })) });
    expect(allPass).toContain('All 3 targets met.');
    expect(allPass).not.toContain('❌');
  });

  it('includes the ramp and micro-benchmark tables when present, and not when absent', () => {
    expect(md).toContain('## Ramp');
    expect(row(md, '400')).toEqual(['400', '1.70', '3.94', '3.62']);
    expect(md).toContain('## Micro-benchmarks');
    expect(row(md, 'resample 8k→24k')).toEqual(['resample 8k→24k', '6.41']);
    // A pipe in a name must not split the cell.
    expect(md).toContain('| parseRtp \\| serialize | 0.214 |');
    const bare = renderMarkdown({ ...result, ramp: undefined, micro: undefined });
    expect(bare).not.toContain('## Ramp');
    expect(bare).not.toContain('## Micro-benchmarks');
  });

  it('shows the largest concurrency held, the micro-benchmarks against their floor, and the notes, from extra', () => {
    const report = renderMarkdown({
      ...result,
      notes: ['ramp: a | b', 'second note'],
      extra: { rampMaxHeld: 200, rampStopReason: 'packet loss 1.700 % at 400 calls', microTimesFloor: { 'resample 8k→24k': 12.34, 'VAD frame': 4.56, bad: 'x' } },
    });
    expect(report).toContain('**Largest concurrency held: 200 calls** (stopped: packet loss 1.700 % at 400 calls).');
    expect(row(report, 'resample 8k→24k')).toEqual(['resample 8k→24k', '6.41', '12×']);
    expect(row(report, 'VAD frame')).toEqual(['VAD frame', '3.05', '4.6×']);
    expect(row(report, 'PCMU decode 20 ms')).toEqual(['PCMU decode 20 ms', '1.82', '—']);
    expect(report).toContain('## Notes\n\n- ramp: a \\| b\n- second note\n');
    expect(report.indexOf('## Notes')).toBeLessThan(report.indexOf('## Reproduce'));
    // Without extra or notes, none of it.
    expect(md).not.toContain('Largest concurrency held');
    expect(md).not.toContain('## Notes');
  });

  it('ends with the command that reproduces the run', () => {
    expect(md).toContain("npm run bench -- --calls 200 --rate 20 --duration 120 --codec PCMU --agent websocket --ramp --name 'ws-echo <200> & co'");
    // Every flag in it is one the CLI accepts.
    expect(md).not.toContain('--mode');
    expect(md.endsWith('```\n')).toBe(true);
  });

  it('embeds charts only when given, and the ramp chart only when there is a ramp', () => {
    expect(md).not.toContain('![');
    const withCharts = renderMarkdown(result, { latencySvg: 'a b-latency.svg', rampSvg: 'x-ramp.svg' });
    expect(withCharts).toContain('![Latency per hop](a%20b-latency.svg)');
    expect(withCharts).toContain('(x-ramp.svg)');
    expect(renderMarkdown({ ...result, ramp: [] }, { latencySvg: 'l.svg', rampSvg: 'r.svg' })).not.toContain('r.svg');
  });

  it('keeps every table row the same width as its header', () => {
    const lines = md.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i] ?? '';
      if (!line.startsWith('|') || (lines[i - 1] ?? '').startsWith('|')) continue;
      const cols = line.split(' | ').length;
      for (let j = i + 1; (lines[j] ?? '').startsWith('|'); j++) {
        expect((lines[j] ?? '').replace(/\\\|/g, '').split(' | ').length, lines[j]).toBe(cols);
      }
    }
  });
});

describe('number formatting', () => {
  it('keeps about three significant figures without exponents', () => {
    expect([0.004123, 0.0412, 0.412, 4.123, 41.23, 412.3, 4123].map(formatMs)).toEqual([
      '0.00412', '0.0412', '0.412', '4.12', '41.2', '412', '4123',
    ]);
    expect(formatMs(0)).toBe('0');
    expect(formatMs(Number.NaN)).toBe('—');
  });

  it('gives no ratio against a zero or missing floor', () => {
    expect(formatRatio(3, 0)).toBe('—');
    expect(formatRatio(3, undefined)).toBe('—');
    expect(formatRatio(30, 2)).toBe('15×');
  });
});
