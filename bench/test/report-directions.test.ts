import { describe, expect, it } from 'vitest';
import { compareDirections, directionsSection, withinNoise, withinRange } from '../src/report/directions.js';
import { benchCommand } from '../src/report/format.js';
import { renderMarkdown } from '../src/report/markdown.js';
import type { DirectionFigures } from '../src/report/types.js';
import { dist, fixture, NOT_MEASURED } from './report-fixture.js';

function figures(direction: 'inbound' | 'outbound', over: Partial<DirectionFigures> = {}): DirectionFigures {
  return {
    direction, callsUp: 100, failedCalls: 0, setupMs: dist(3, 4, 6, 9, 100),
    uplinkMs: dist(20.1, 21, 22.4, 30, 100_000), downlinkMs: dist(40.2, 41, 43, 50, 100_000),
    roundTripMs: dist(120, 125, 131, 150, 2_000), turnMs: dist(402, 410, 430, 440, 30), bargeInMs: dist(160, 170, 190, 200, 20),
    lossPct: 0, gateway: { cpuMsPerCallSecond: 2.0, rssMiBPerCall: 0.3, rssMiB: 150 },
    ...over,
  };
}

describe('compareDirections', () => {
  it('judges latency by p50 and p99 within the noise allowance, CPU within 15 %, and leaves setup unjudged', () => {
    const inbound = figures('inbound');
    const outbound = figures('outbound', {
      setupMs: dist(0.4, 0.5, 0.9, 2, 100), inviteToAckMs: dist(1.2, 2, 3, 4, 100), apiToInviteMs: dist(5, 6, 8, 9, 100),
      roundTripMs: dist(121, 126, 140, 150, 2_000), turnMs: dist(460, 470, 480, 490, 30), gateway: { cpuMsPerCallSecond: 2.2, rssMiBPerCall: 0.3, rssMiB: 151 },
    });
    const rows = compareDirections(inbound, outbound);
    const row = (prefix: string) => rows.find((r) => r.figure.startsWith(prefix));
    expect(row('Setup')?.match).toBeUndefined();
    expect(row('Setup')?.outbound).toBe('0.400 / 0.900');
    expect(row('Outbound INVITE in → ACK')?.outbound).toBe('1.20 / 3.00');
    expect(row('Round trip')?.match).toBe(true); // p99 131 → 140: within max(5, 25 %)
    expect(row('Turn')?.match).toBe(false); // p50 402 → 460: beyond max(2, 10 %)
    expect(row('Gateway CPU')?.match).toBe(true); // +10 %
    expect(row('Barge-in (gateway)')?.match).toBeUndefined(); // reported by neither run
    expect(row('Calls up')?.match).toBe(true);
    expect(compareDirections(inbound, figures('outbound', { failedCalls: 2, callsUp: 98 })).find((r) => r.figure.startsWith('Calls up'))?.match).toBe(false);
    expect(compareDirections(inbound, figures('outbound', { gateway: { cpuMsPerCallSecond: 2.4, rssMiBPerCall: 0, rssMiB: 0 } }))
      .find((r) => r.figure.startsWith('Gateway CPU'))?.match).toBe(false);
  });

  it('with a repeated inbound run, judges the outbound run against the inbound runs\' range widened by the allowance', () => {
    const inbound = figures('inbound');
    const again = figures('inbound', { repeat: true, turnMs: dist(470, 480, 490, 500, 30), gateway: { cpuMsPerCallSecond: 3.0, rssMiBPerCall: 0.3, rssMiB: 150 } });
    const outbound = figures('outbound', { turnMs: dist(460, 470, 480, 490, 30), gateway: { cpuMsPerCallSecond: 2.6, rssMiBPerCall: 0.3, rssMiB: 150 } });
    const rows = compareDirections(inbound, outbound, again);
    const row = (prefix: string) => rows.find((r) => r.figure.startsWith(prefix));
    // Turn p50 460 is beyond 402 ± 10 % but inside the two inbound runs' 402…470: noise, not a difference.
    expect(compareDirections(inbound, outbound).find((r) => r.figure.startsWith('Turn'))?.match).toBe(false);
    expect(row('Turn')?.match).toBe(true);
    expect(row('Turn')?.inboundAgain).toBe('470 / 490');
    expect(row('Gateway CPU')?.match).toBe(true);
    expect(compareDirections(inbound, figures('outbound', { gateway: { cpuMsPerCallSecond: 3.6, rssMiBPerCall: 0, rssMiB: 0 } }), again)
      .find((r) => r.figure.startsWith('Gateway CPU'))?.match).toBe(false);
  });

  it('judges the gateway\'s processing-only hops on their own (µs) scale', () => {
    const inbound = figures('inbound', { downlinkProcessingMs: dist(0.01, 0.02, 0.07, 1, 1000) });
    const same = figures('outbound', { downlinkProcessingMs: dist(0.011, 0.02, 0.09, 1, 1000) });
    const tenfold = figures('outbound', { downlinkProcessingMs: dist(0.1, 0.2, 0.7, 1, 1000) });
    const row = (o: DirectionFigures) => compareDirections(inbound, o).find((r) => r.figure.startsWith('Downlink (gateway processing)'));
    expect(row(same)?.match).toBe(true);
    expect(row(tenfold)?.match).toBe(false);
  });

  it('withinRange is true inside the range and within the allowance of its nearer end', () => {
    expect(withinRange([10, 20], 15, { ms: 0, share: 0 })).toBe(true);
    expect(withinRange([10, 20], 21.9, { ms: 2, share: 0 })).toBe(true);
    expect(withinRange([10, 20], 7.9, { ms: 2, share: 0 })).toBe(false);
  });

  it('withinNoise takes the larger of the absolute and relative allowance', () => {
    expect(withinNoise(1, 2.9, { ms: 2, share: 0.1 })).toBe(true);
    expect(withinNoise(1, 3.1, { ms: 2, share: 0.1 })).toBe(false);
    expect(withinNoise(100, 109, { ms: 2, share: 0.1 })).toBe(true);
    expect(withinNoise(100, 111, { ms: 2, share: 0.1 })).toBe(false);
  });
});

describe('directionsSection and the Markdown', () => {
  it('renders the comparison table when both ran, the outbound figures alone otherwise, nothing for inbound runs', () => {
    const both = directionsSection([figures('inbound'), figures('outbound', { inviteToAckMs: dist(1, 1, 2, 2, 100) })]) ?? '';
    expect(both).toContain('## Inbound vs outbound');
    expect(both).toMatch(/\| Round trip \(echo\) p50 \/ p99 ms \| 120 \/ 131 \| 120 \/ 131 \| yes \|/);
    expect(both).toContain('8 of 8 judged figures of the outbound run match');
    const three = directionsSection([figures('inbound'), figures('outbound'), figures('inbound', { repeat: true })]) ?? '';
    expect(three).toContain('| Figure | Inbound | Outbound | Inbound again | Within noise |');
    expect(three).toContain('range of the two inbound runs');
    const alone = directionsSection([figures('outbound', { inviteToAckMs: dist(1, 1, 2, 2, 100) })]) ?? '';
    expect(alone).toContain('## Outbound calls');
    expect(alone).toContain('| Setup, INVITE in → 200 sent (carrier side) | 3.00 / 6.00 |');
    expect(directionsSection(undefined)).toBeUndefined();
    expect(directionsSection([figures('inbound')])).toBeUndefined();

    const result = { ...fixture(), options: { ...fixture().options, mode: 'fixed' as const, direction: 'both' as const }, directions: [figures('inbound'), figures('outbound')] };
    const md = renderMarkdown(result);
    expect(md).toContain('## Inbound vs outbound');
    expect(md).toContain('--direction both');
    expect(benchCommand(fixture().options)).not.toContain('--direction');
    expect(NOT_MEASURED.count).toBe(0);
  });
});
