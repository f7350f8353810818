/**
 * A retransmitted INVITE (same branch, Call-ID and CSeq, sent again) must be absorbed by the INVITE server
 * transaction: one call, one 200 OK, one To-tag. Each transport gets its own gateway so the gateway's
 * `callsStarted` counter can be checked exactly.
 *
 * Over UDP SIPp sends the two copies back to back (two `sendto`s, nothing read in between). Over TCP SIPp cannot be
 * made deterministic: when its first write meets EAGAIN it polls, reads our 100 Trying while its scenario still
 * stands at the second `<send>`, and aborts the call on an "unexpected" message (seen in CI). The TCP copy is sent
 * by a scripted stream peer instead, after the 100 — the case a duplicating proxy produces.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestGateway, waitFor, type TestGateway } from '../helpers/gateway.js';
import { pcmuOffer } from '../helpers/raw-sip-peer.js';
import { header, type SipMessage } from '../helpers/sip-text.js';
import { streamSipPeer } from '../helpers/stream-peer.js';
import {
  describeRun,
  headerOf,
  parseMessageLog,
  runSipp,
} from '../helpers/sipp.js';

const NUMBER = '+15550100002';

/**
 * A gateway of the calling `describe`'s own (so `callsStarted` is exact) whose number answers after 500 ms, so the
 * copy of the INVITE arrives while the transaction is still proceeding.
 */
function slowAnsweringGateway(): () => TestGateway {
  let gw: TestGateway | undefined;
  beforeAll(async () => {
    gw = await startTestGateway({ numbers: { [NUMBER]: { agent: 'echo', answerDelayMs: 500 } } });
  }, 15_000);
  afterAll(async () => {
    await gw?.close();
  });
  return () => {
    if (gw === undefined) throw new Error('the gateway did not start');
    return gw;
  };
}

describe('retransmitted INVITE over udp', () => {
  const transport = 'udp';
  const gateway = slowAnsweringGateway();

  test('yields one dialog: a single 200 OK with a single To-tag, and callsStarted === 1', async () => {
    const gw = gateway();
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

describe('retransmitted INVITE over tcp', () => {
  const gateway = slowAnsweringGateway();

  test('a copy sent after the 100 Trying yields one dialog: a single 200 OK with a single To-tag, callsStarted === 1', async () => {
    const gw = gateway();
    const peer = await streamSipPeer(gw.host, gw.sipPort);
    const { received } = peer;
    const via = `Via: SIP/2.0/TCP 127.0.0.1:${peer.localPort};branch=z9hG4bK-retx-tcp`;
    const uri = `sip:${NUMBER}@${gw.host}:${gw.sipPort}`;
    const request = (method: string, cseq: string, toTag?: string, body = ''): string =>
      [
        `${method} ${uri} SIP/2.0`,
        method === 'INVITE' ? via : `Via: SIP/2.0/TCP 127.0.0.1:${peer.localPort};branch=z9hG4bK-retx-tcp-${method.toLowerCase()}`,
        'Max-Forwards: 70',
        `From: <sip:caller@127.0.0.1>;tag=retx-tcp`,
        `To: <sip:${NUMBER}@${gw.host}>${toTag === undefined ? '' : `;tag=${toTag}`}`,
        'Call-ID: retx-tcp-call',
        `CSeq: ${cseq}`,
        `Contact: <sip:caller@127.0.0.1:${peer.localPort};transport=tcp>`,
        ...(body === '' ? [] : ['Content-Type: application/sdp']),
        `Content-Length: ${Buffer.byteLength(body)}`,
        '',
        body,
      ].join('\r\n');
    const trace = (): string => received.map((m) => `${m.firstLine} [${header(m, 'cseq') ?? ''}]`).join(' | ');
    const invite = request('INVITE', '1 INVITE', undefined, pcmuOffer(40_010));
    const isInviteFinal = (m: SipMessage): boolean => (m.status ?? 0) >= 200 && header(m, 'cseq') === '1 INVITE';
    try {
      peer.send(invite);
      await waitFor(() => received.some((m) => m.status === 100), 5_000, trace);
      expect(received.some(isInviteFinal), trace()).toBe(false); // the copy must land while the transaction proceeds
      peer.send(invite);
      await waitFor(() => received.some(isInviteFinal), 5_000, trace);
      const ok = received.find(isInviteFinal) ?? ({} as SipMessage);
      expect(ok.status, trace()).toBe(200);
      const toTag = /;\s*tag=([^;>\s]+)/i.exec(header(ok, 'to') ?? '')?.[1];
      expect(toTag, trace()).toBeTruthy();
      peer.send(request('ACK', '1 ACK', toTag));
      // Long enough for a 200 from a second dialog to arrive before we hang up.
      await new Promise((resolve) => setTimeout(resolve, 400));
      peer.send(request('BYE', '2 BYE', toTag));
      await waitFor(() => received.some((m) => m.status === 200 && header(m, 'cseq') === '2 BYE'), 5_000, trace);

      const finals = received.filter(isInviteFinal);
      expect(finals, trace()).toHaveLength(1);
      expect(new Set(finals.map((m) => /;\s*tag=([^;>\s]+)/i.exec(header(m, 'to') ?? '')?.[1])).size, trace()).toBe(1);
    } finally {
      peer.close();
    }
    await gw.waitForIdle(5_000);
    expect((await gw.gateway.stats()).callsStarted).toBe(1);
  }, 20_000);
});
