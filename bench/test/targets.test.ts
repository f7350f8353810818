import { describe, expect, it } from 'vitest';
import { checkTargets } from '../src/targets.js';
import { dist, fixture } from './report-fixture.js';

function check(name: string, checks: ReturnType<typeof checkTargets>) {
  const found = checks.find((c) => c.name === name);
  if (!found) throw new Error(`no target named ${name}`);
  return found;
}

describe('checkTargets', () => {
  it('judges the uplink on the whole hop and only at 200 calls or more', () => {
    const r = fixture();
    expect(check('uplink p99', checkTargets(r, 200, 0.1)).pass).toBe(true);
    expect(check('uplink p99', checkTargets(r, 100, 0.1)).pass).toBe(false);
    r.hops.uplinkMs = dist(20, 40, 55, 70, 1000);
    expect(check('uplink p99', checkTargets(r, 200, 0.1))).toMatchObject({ pass: false, measured: expect.stringContaining('55.00 ms') });
  });

  it("judges the downlink on the gateway's processing, and reports the whole hop with the lead buffer beside it", () => {
    const r = fixture();
    r.hops.downlinkMs = dist(38, 44, 48, 70, 1000);
    const ok = check('downlink p99', checkTargets(r, 200, 0.06));
    expect(ok.pass).toBe(true);
    expect(ok.measured).toContain('0.06 ms');
    expect(ok.measured).toContain('48.00 ms');
    expect(check('downlink p99', checkTargets(r, 200, 1.5)).pass).toBe(false);
    expect(check('downlink p99', checkTargets(r, 200, undefined))).toMatchObject({ pass: false, measured: expect.stringContaining('not measured') });
  });

  it('fails CPU, setup, loss and the floor ratio when they are over', () => {
    const r = fixture();
    const checks = checkTargets(r, 200, 0.05);
    expect(check('gateway CPU', checks).pass).toBe(false); // 2.84 ms per call-second
    expect(check('packet loss', checks).pass).toBe(false); // 0.049 %
    expect(check('gateway cost vs floor', checks).pass).toBe(false); // 2.84 / 1.12
    expect(check('setup p99', checks).pass).toBe(true); // 14.6 ms
  });
});
