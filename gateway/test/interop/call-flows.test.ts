/**
 * Black-box interop: SIPp places calls at a real gateway over UDP and TCP on loopback. Each scenario's own
 * checks (expected responses in order, `ereg check_it` on the SDP) fail the SIPp call; the test then requires
 * exit code 0 and exactly one successful call, and prints SIPp's error log and message trace when it fails.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { describeRun, runSipp, type SippResult, type SipTransport } from '../helpers/sipp.js';

const ANSWERS = '+15550100001';
const SLOW_ANSWER = '+15550100003';
const UNKNOWN = '+15559999999';

let gw: TestGateway;

beforeAll(async () => {
  gw = await startTestGateway({
    numbers: {
      [ANSWERS]: { agent: 'echo' },
      [SLOW_ANSWER]: { agent: 'demo', ringing: true, answerDelayMs: 3000 },
    },
  });
}, 15_000);

afterAll(async () => {
  await gw?.close();
});

function expectOneGoodCall(result: SippResult): void {
  expect(result.exitCode, describeRun(result)).toBe(0);
  expect(result.successfulCalls, describeRun(result)).toBe(1);
  expect(result.failedCalls, describeRun(result)).toBe(0);
}

function sipp(scenario: string, transport: SipTransport, service: string): Promise<SippResult> {
  return runSipp({ scenario, transport, service, host: gw.host, port: gw.sipPort, timeoutMs: 10_000, recvTimeoutMs: 6_000 });
}

describe.concurrent.each<SipTransport>(['udp', 'tcp'])('SIPp caller over %s', (transport) => {
  test('a call is answered with PCMU, a port and an address in the SDP answer, and ends with BYE → 200', async () => {
    const result = await sipp('uac-call.xml', transport, ANSWERS);
    expectOneGoodCall(result);
    expect(result.actionLog).toMatch(/answer m=audio [1-9]\d* RTP\/AVP 0 c=IN IP4 127\.0\.0\.1 a=sendrecv/);
    console.info(`[interop ${transport}] call setup (INVITE → 200): ${result.responseTimesMs['setup']?.join(', ')} ms`);
  }, 15_000);

  test('CANCEL while ringing → 200 for the CANCEL, 487 for the INVITE, and no 200 for the INVITE', async () => {
    const result = await sipp('uac-cancel.xml', transport, SLOW_ANSWER);
    expectOneGoodCall(result);
    expect(result.actionLog).toContain('cancel answered');
    expect(result.actionLog).toContain('invite terminated');
  }, 15_000);

  test('an unknown number (no catch-all route) → 404', async () => {
    const result = await sipp('uac-expect-404.xml', transport, UNKNOWN);
    expectOneGoodCall(result);
    expect(result.actionLog).toMatch(/rejected: SIP\/2\.0 404 \S/);
  }, 15_000);

  test('re-INVITE to hold (sendonly → recvonly) and back (sendrecv → sendrecv), then BYE', async () => {
    const result = await sipp('uac-hold.xml', transport, ANSWERS);
    expectOneGoodCall(result);
    expect(result.actionLog).toMatch(/hold answer: m=audio [1-9]\d* RTP\/AVP 0 a=recvonly/);
    expect(result.actionLog).toMatch(/resume answer: m=audio [1-9]\d* RTP\/AVP 0 a=sendrecv/);
  }, 15_000);

  test('INVITE without SDP: the 200 carries an offer with PCMU, the ACK carries the answer, then BYE', async () => {
    const result = await sipp('uac-late-offer.xml', transport, ANSWERS);
    expectOneGoodCall(result);
    expect(result.actionLog).toMatch(/offer: m=audio [1-9]\d* RTP\/AVP[ 0-9]* 0\b/);
  }, 15_000);
});

test('OPTIONS → 200 (UDP)', async () => {
  const result = await sipp('uac-options.xml', 'udp', 'patchbay');
  expectOneGoodCall(result);
  expect(result.actionLog).toContain('options answered');
}, 15_000);

test('every call above has ended on the gateway', async () => {
  // Runs after the concurrent block above has settled (vitest runs top-level tests of a file in order).
  await gw.waitForIdle(5_000);
  expect(gw.gateway.activeCalls()).toBe(0);
}, 10_000);
