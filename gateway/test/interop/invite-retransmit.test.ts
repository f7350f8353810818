/**
 * A retransmitted INVITE (same branch, Call-ID and CSeq, sent again after the 100 Trying) must be absorbed by
 * the INVITE server transaction: one call, one 200 OK, one To-tag. Each transport gets its own gateway so the
 * gateway's `callsStarted` counter can be checked exactly.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import {
  describeRun,
  headerOf,
  parseMessageLog,
  runSipp,
  type SipTransport,
} from '../helpers/sipp.js';

const NUMBER = '+15550100002';

describe.concurrent.each<SipTransport>(['udp', 'tcp'])('retransmitted INVITE over %s', (transport) => {
  let gw: TestGateway;

  beforeAll(async () => {
      // Answer after 500 ms so the copy of the INVITE arrives while the transaction is still proceeding.
    gw = await startTestGateway({ numbers: { [NUMBER]: { agent: 'echo', answerDelayMs: 500 } } });
  }, 15_000);

  afterAll(async () => {
    await gw?.close();
  });

  test('yields one dialog: a single 200 OK with a single To-tag, and callsStarted === 1', async () => {
    const result = await runSipp({
      scenario: 'uac-invite-retransmit.xml',
      transport,
      service: NUMBER,
      host: gw.host,
      port: gw.sipPort,
      timeoutMs: 10_000,
    });
    const trace = describeRun(result);
    expect(result.exitCode, trace).toBe(0);
    expect(result.successfulCalls, trace).toBe(1);

    const messages = parseMessageLog(result.messageLog);
    const invites = messages.filter((m) => m.direction === 'sent' && m.text.startsWith('INVITE '));
    expect(invites, trace).toHaveLength(2);
    expect(headerOf(invites[0]?.text ?? '', 'Via'), trace).toBe(headerOf(invites[1]?.text ?? '', 'Via'));

    const oks = messages.filter(
      (m) => m.direction === 'received' && /^SIP\/2\.0 200 /.test(m.text) && /INVITE$/i.test(headerOf(m.text, 'CSeq') ?? ''),
    );
    expect(oks, trace).toHaveLength(1);
    const toTags = new Set(oks.map((m) => /;\s*tag=([^;>\s]+)/i.exec(headerOf(m.text, 'To') ?? '')?.[1]));
    expect([...toTags].every((t) => t !== undefined && t !== ''), trace).toBe(true);
    expect(toTags.size, trace).toBe(1);

    await gw.waitForIdle(5_000);
    expect((await gw.gateway.stats()).callsStarted).toBe(1);
  }, 20_000);
});
