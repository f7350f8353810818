/**
 * Trunk admission seen from a SIPp caller on 127.0.0.1: a trunk allowlist that does not cover the source
 * rejects with 403; a trunk with credentials challenges with 401 and admits the digest-authenticated retry.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { describeRun, runSipp, type SipTransport } from '../helpers/sipp.js';

const NUMBER = '+15550100001';

let outsider: TestGateway;
let authenticated: TestGateway;
let alawTrunk: TestGateway;

beforeAll(async () => {
  [outsider, authenticated, alawTrunk] = await Promise.all([
    startTestGateway({
      numbers: { '*': { agent: 'demo' } },
      trunks: [{ name: 'carrier-private', allow: ['10.0.0.0/8'] }],
    }),
    startTestGateway({
      numbers: { '*': { agent: 'demo' } },
      // SIPp 3.6 reads only the first WWW-Authenticate and knows only MD5, so this trunk lists MD5 first;
      // SHA-256 is still offered second (RFC 8760), and digest.test.ts covers SHA-256 verification.
      trunks: [{ name: 'carrier-a', allow: ['127.0.0.1/32'], auth: { username: 'carrier-a', password: 'secret', algorithms: ['MD5', 'SHA-256'] } }],
    }),
    startTestGateway({
      numbers: { '*': { agent: 'echo' } },
      media: { codecs: ['PCMU', 'PCMA'] },
      trunks: [{ name: 'alaw-carrier', allow: ['127.0.0.1/32'], codecs: ['PCMA', 'PCMU'] }],
    }),
  ]);
}, 15_000);

afterAll(async () => {
  await Promise.all([outsider?.close(), authenticated?.close(), alawTrunk?.close()]);
});

describe.concurrent.each<SipTransport>(['udp', 'tcp'])('trunk access over %s', (transport) => {
  test('a source outside every trunk allowlist → 403', async () => {
    const result = await runSipp({
      scenario: 'uac-expect-403.xml',
      transport,
      service: NUMBER,
      host: outsider.host,
      port: outsider.sipPort,
      timeoutMs: 10_000,
    });
    expect(result.exitCode, describeRun(result)).toBe(0);
    expect(result.successfulCalls, describeRun(result)).toBe(1);
    expect(result.actionLog).toMatch(/rejected: SIP\/2\.0 403 \S/);
  }, 15_000);

  test("a trunk's own codec preference wins over media.codecs", async () => {
    const result = await runSipp({
      scenario: 'uac-call-any-codec.xml',
      transport,
      service: NUMBER,
      host: alawTrunk.host,
      port: alawTrunk.sipPort,
      timeoutMs: 10_000,
    });
    expect(result.exitCode, describeRun(result)).toBe(0);
    expect(result.actionLog).toMatch(/answer m=audio [1-9]\d* RTP\/AVP 8 101/);
  }, 15_000);

  test('digest auth: 401 with a challenge, INVITE with credentials → 200, BYE → 200', async () => {
    const result = await runSipp({
      scenario: 'uac-auth.xml',
      transport,
      service: NUMBER,
      host: authenticated.host,
      port: authenticated.sipPort,
      timeoutMs: 10_000,
      // SIPp's digest uri defaults to sip:<remote_ip>:<remote_port>; make it the Request-URI, as RFC 3261 22.4 asks.
      extraArgs: ['-auth_uri', `${NUMBER}@${authenticated.host}:${authenticated.sipPort}`],
    });
    expect(result.exitCode, describeRun(result)).toBe(0);
    expect(result.successfulCalls, describeRun(result)).toBe(1);
    expect(result.actionLog).toMatch(/challenge: Digest .*realm="patchbay".*algorithm=MD5/);
    expect(result.messageLog).toMatch(/WWW-Authenticate: Digest .*algorithm=SHA-256/);
    expect(result.messageLog).toMatch(/Authorization: Digest .*algorithm=MD5/);
    expect(result.actionLog).toMatch(/answer: m=audio [1-9]\d* RTP\/AVP 0/);
  }, 15_000);
});
