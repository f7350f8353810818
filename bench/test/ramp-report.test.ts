import { describe, expect, it } from 'vitest';
import { CliError, parseCli } from '../src/cli.js';
import { rampCapacity } from '../src/ramp/capacity.js';
import { benchCommand } from '../src/report/format.js';
import { renderMarkdown } from '../src/report/markdown.js';
import { rampCapacityTable, rampReport, rampStepsTable } from '../src/report/ramp.js';
import { healthy, step } from './ramp-fixture.js';
import { fixture } from './report-fixture.js';

const first = healthy();
const pcmu = rampCapacity('PCMU', [
  step(50, first, first, 3.2),
  step(100, healthy({ gatewayCoreShare: 0.72 }), first, 3.05),
  step(150, healthy({ gatewayCoreShare: 0.98, downlinkP99Ms: 1_078, downlinkDeliveredPct: 5.5, bargeInP95Ms: 528 }), first, 2.4),
], 500);
const opusFirst = healthy({ downlinkP99Ms: 50 });
const opus = rampCapacity('opus', [step(50, opusFirst, opusFirst, 9.8), step(100, healthy({ loadGeneratorCoreShare: 0.9 }), opusFirst, 9.5)], 500);

/** The table row whose first cell is `first`, split into trimmed cells. */
function row(md: string, firstCell: string): string[] {
  const line = md.split('\n').find((l) => l.startsWith(`| ${firstCell} |`));
  if (line === undefined) throw new Error(`no row starting with ${firstCell}`);
  return line.slice(1, -1).split(' | ').map((c) => c.trim());
}

describe('ramp report', () => {
  it('gives one capacity row per codec: largest held, the limiting bound or resource, CPU per call-second at that step', () => {
    const md = rampCapacityTable([pcmu, opus]);
    expect(row(md, 'PCMU')).toEqual(['PCMU', '100', 'downlink delivered, downlink whole-hop p99, barge-in p95 at 150 calls; gateway CPU (98 % of a core)', '3.05']);
    expect(row(md, 'opus')).toEqual(['opus', '50', 'not measurable at 100 calls: load generator CPU 90 % of a core (≥ 85 % of a core)', '9.80']);
  });

  it('lists every measure with its bound and a column per step, marks failing cells, and ends with the verdicts', () => {
    const md = rampStepsTable(pcmu.steps);
    expect(md.split('\n')[0]).toBe('| Measure (over the step\'s window) | Bound | 50 calls | 100 calls | 150 calls |');
    expect(row(md, 'downlink whole-hop p99, ms')).toEqual(['downlink whole-hop p99, ms', '≤ first step + 20 ms (≤ 62.0 ms)', '42.0 (22,400)', '42.0 (22,400)', '**1078 (22,400) ✗**']);
    expect(row(md, 'downlink delivered, %')).toEqual(['downlink delivered, %', '≥ 99 %', '99.96', '99.96', '**5.50 ✗**']);
    expect(row(md, 'barge-in p95, ms')[4]).toBe('**528 (9) ✗**');
    expect(row(md, 'caller jitter p99, ms').slice(1)).toEqual(['≤ 10 ms', '1.80 (24,900)', '1.80 (24,900)', '1.80 (24,900)']);
    expect(row(md, 'late media-clock ticks (≥ 2 ticks of 2 ms, inside a packet)').slice(1, 3)).toEqual(['reported', '0']);
    expect(row(md, 'media-clock stalls (≥ 20 ms late)').slice(1, 3)).toEqual(['≤ 2', '0']);
    expect(row(md, 'turn p50 / p95 ms (turns)')[2]).toBe('390 / 420 (12)');
    expect(row(md, 'gateway CPU, share of a core').slice(2)).toEqual(['35 %', '72 %', '98 %']);
    expect(row(md, 'agents CPU, share of a core')[1]).toBe('below 85 % (else not measurable)');
    expect(row(md, 'other processes on the machine, cores').slice(1)).toEqual(['below 0.3 (else not measurable)', '0.05', '0.05', '0.05']);
    expect(row(md, '**verdict**').slice(2)).toEqual(['held', 'held', '**failed** (3)']);
  });

  it('marks a saturated measuring process and says the step was not measurable', () => {
    const md = rampStepsTable(opus.steps);
    expect(row(md, 'load generator CPU, share of a core').slice(2)).toEqual(['30 %', '**90 % ✗**']);
    expect(row(md, '**verdict**')[3]).toBe('**not measurable** (load-generator)');
    expect(row(md, 'load generator event-loop delay p99 ms').slice(1)).toEqual(['below 30 ms (else not measurable)', '2.10', '2.10']);
  });

  it('puts the largest concurrency held per codec, the capacity table and each codec\'s steps in the Markdown report', () => {
    const report = renderMarkdown({ ...fixture(), ramp: pcmu.steps, rampCapacity: [pcmu, opus] });
    expect(report).toContain('**Largest concurrency held (PCMU): 100 calls** — limit: downlink delivered, downlink whole-hop p99, barge-in p95 at 150 calls; gateway CPU (98 % of a core).');
    expect(report).toContain('### Capacity per codec');
    expect(report).toContain('### Steps, PCMU');
    expect(report).toContain('### Steps, opus');
    expect(report).not.toContain('Uplink processing p99 ms'); // the old gateway-side table is for older results only
    expect(rampReport(undefined)).toBeUndefined();
    expect(renderMarkdown(fixture())).toContain('| Concurrent calls | Loss % | Uplink processing p99 ms |');
  });
});

describe('--ramp flags', () => {
  it('ramps every codec with --codec all, or the listed ones with --codecs, and reproduces the list', () => {
    const all = parseCli(['--ramp', '--codec', 'all'], '/r');
    expect(all).toMatchObject({ mode: 'ramp', codec: 'PCMU', rampCodecs: ['PCMU', 'PCMA', 'G722', 'opus'] });
    const two = parseCli(['--ramp', '--codecs', 'opus,pcma'], '/r');
    expect(two).toMatchObject({ codec: 'opus', rampCodecs: ['opus', 'PCMA'] });
    expect(parseCli(['--ramp', '--codec', 'G722'], '/r').rampCodecs).toBeUndefined();
    expect(benchCommand({ ...two, rampCodecs: two.rampCodecs })).toContain('--codecs opus,PCMA --agent websocket --ramp');
  });

  it('refuses a codec list without --ramp, both flags, a repeat, an unknown codec, and the in-process agent', () => {
    expect(() => parseCli(['--codec', 'all'], '/r')).toThrow(/add --ramp/);
    expect(() => parseCli(['--codecs', 'PCMU'], '/r')).toThrow(/add --ramp/);
    expect(() => parseCli(['--ramp', '--codec', 'PCMU', '--codecs', 'opus'], '/r')).toThrow(/one of them/);
    expect(() => parseCli(['--ramp', '--codecs', 'PCMU,pcmu'], '/r')).toThrow(/distinct/);
    expect(() => parseCli(['--ramp', '--codecs', 'PCMU,speex'], '/r')).toThrow(CliError);
    expect(() => parseCli(['--ramp', '--agent', 'in-process'], '/r')).toThrow(/needs --agent websocket/);
  });
});
