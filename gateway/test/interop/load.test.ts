/**
 * Sustained load from SIPp: 200 calls at 20 calls per second, at most 50 at once, each held 500 ms. Every call
 * must complete (SIPp counts 200 successful, 0 failed) and the gateway must be back to 0 active calls.
 * The achieved rate and call setup times are printed; speed targets belong in bench/, not here.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { describeRun, runSipp, sippDurationMs, type SipTransport } from '../helpers/sipp.js';

const NUMBER = '+15550100001';
const CALLS = 200;

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

describe.concurrent.each<SipTransport>(['udp', 'tcp'])('load over %s', (transport) => {
  let gw: TestGateway;

  beforeAll(async () => {
      gw = await startTestGateway({ numbers: { [NUMBER]: { agent: 'echo' } } });
  }, 15_000);

  afterAll(async () => {
    await gw?.close();
  });

  test(`${CALLS} calls at 20 cps (-l 50) all complete and the gateway returns to 0 active calls`, async () => {
    const result = await runSipp({
      scenario: 'uac-call.xml',
      transport,
      service: NUMBER,
      host: gw.host,
      port: gw.sipPort,
      calls: CALLS,
      rate: 20,
      limit: 50,
      pauseMs: 500,
      timeoutMs: 30_000,
      traceMessages: false,
    });
    const trace = describeRun(result);
    expect(result.exitCode, trace).toBe(0);
    expect(result.successfulCalls, trace).toBe(CALLS);
    expect(result.failedCalls, trace).toBe(0);
    await gw.waitForIdle(5_000);
    expect(gw.gateway.activeCalls()).toBe(0);
    expect((await gw.gateway.stats()).callsStarted).toBe(CALLS);

    const setup = [...(result.responseTimesMs['setup'] ?? [])].sort((a, b) => a - b);
    expect(setup).toHaveLength(CALLS);
    console.info(
      `[load ${transport}] ${CALLS} calls, rate ${result.stats['CallRate(C)']} cps, wall ${(result.wallMs / 1000).toFixed(1)} s; ` +
        `setup ms p50 ${percentile(setup, 50)} p95 ${percentile(setup, 95)} max ${setup.at(-1)}; ` +
        `mean call length ${sippDurationMs(result.stats['CallLength(C)']).toFixed(1)} ms; ` +
        `retransmissions ${result.stats['Retransmissions(C)']}`,
    );
  }, 45_000);
});
