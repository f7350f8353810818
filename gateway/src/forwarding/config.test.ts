import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config.js';
import { configIssues } from '../config-testing.js';
import { resolvePlan } from '../call/plan.js';

const issues = (raw: unknown): string[] => configIssues(raw);

const trunks = [
  { name: 'carrier', outbound: { proxy: { host: '192.0.2.1' } } },
  { name: 'pbx', outbound: { proxy: { host: '192.0.2.2' } } },
  { name: 'inbound-only', allow: ['192.0.2.0/24'] },
];

describe('numbers.*.forward', () => {
  it('resolves into the plan: each target with its trunk, defaults for the rest', () => {
    const config = parseConfig({
      trunks,
      numbers: { '+15550100001': { agent: 'echo', forward: { to: ['+15551230001', { to: 'sip:desk@pbx.example', trunk: 'pbx' }], trunk: 'carrier' } } },
    });
    const route = config.numbers['+15550100001'];
    if (route === undefined) throw new Error('no route');
    const plan = resolvePlan(config, { direction: 'inbound', from: '+15550009999', to: '+15550100001', pattern: '+15550100001', route });
    expect(plan.forward).toEqual({
      targets: [{ to: '+15551230001', trunk: 'carrier' }, { to: 'sip:desk@pbx.example', trunk: 'pbx' }],
      strategy: 'sequential',
      ringTimeoutMs: 20_000,
      when: 'first',
      fallback: 'agent',
      onPersonHangup: 'end',
    });
    const back = parseConfig({ trunks, numbers: { '+1555*': { agent: 'echo', forward: { to: ['+15551230001'], trunk: 'carrier', onPersonHangup: 'agent' } } } }).numbers['+1555*'];
    if (back === undefined) throw new Error('no route');
    expect(resolvePlan(config, { direction: 'inbound', from: 'x', to: '+15550100002', pattern: '+1555*', route: back }).forward?.onPersonHangup).toBe('agent');
    expect(() => parseConfig({ trunks, numbers: { '+1555*': { agent: 'echo', forward: { to: ['+15551230001'], trunk: 'carrier', onPersonHangup: 'voicemail' } } } })).toThrow(/onPersonHangup/);
    // Outbound calls never forward: only what a caller dials is forwarded.
    expect(resolvePlan(config, { direction: 'outbound', from: 'x', to: 'y', pattern: '+15550100001', route }).forward).toBeUndefined();
  });

  it('names every target without a trunk, and every trunk without an outbound side', () => {
    const found = issues({
      trunks,
      numbers: {
        '+15550100001': { agent: 'echo', forward: { to: ['+15551230001'] } },
        '+15550100002': { agent: 'echo', forward: { to: [{ to: '+15551230002', trunk: 'nowhere' }, { to: '+15551230003', trunk: 'inbound-only' }] } },
        '+15550100003': { agent: 'echo', forward: { to: ['+15551230001'], trunk: 'missing' } },
      },
    });
    expect(found.sort()).toEqual([
      'numbers."+15550100001".forward.to[0]: names no trunk: give forward.trunk or this target its own trunk',
      `numbers."+15550100002".forward.to[0].trunk: trunk 'nowhere' is not a trunk with an outbound side`,
      `numbers."+15550100002".forward.to[1].trunk: trunk 'inbound-only' is not a trunk with an outbound side`,
      `numbers."+15550100003".forward.trunk: trunk 'missing' is not a trunk with an outbound side`,
    ]);
  });

  it('refuses an empty list, an unknown strategy and an out-of-range ring timeout', () => {
    const found = issues({ trunks, numbers: { '+15550100001': { agent: 'echo', forward: { to: [], trunk: 'carrier', strategy: 'round-robin', ringTimeoutS: 0 } } } });
    expect(found.map((i) => i.slice(0, i.indexOf(':'))).sort()).toEqual([
      'numbers."+15550100001".forward.ringTimeoutS',
      'numbers."+15550100001".forward.strategy',
      'numbers."+15550100001".forward.to',
    ]);
  });
});
