import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config.js';
import { computeDigestResponse } from '../sip/auth/digest.js';
import type { SipRequest } from '../sip/message.js';
import { AUTH_FAILED_REASON, CallAdmission, CallRejection, throttleKey } from './admission.js';

function invite(uri: string, to = `<${uri}>`, authorization?: string): SipRequest {
  const headers = [
    { name: 'Via', value: 'SIP/2.0/UDP 10.1.1.1:5060;branch=z9hG4bKx' },
    { name: 'From', value: '<sip:+15550199999@carrier>;tag=a' },
    { name: 'To', value: to },
    { name: 'Call-ID', value: 'c1' },
    { name: 'CSeq', value: '1 INVITE' },
  ];
  if (authorization) headers.push({ name: 'Authorization', value: authorization });
  return { kind: 'request', method: 'INVITE', uri, headers, body: Buffer.alloc(0) };
}

function rejection(fn: () => unknown): CallRejection {
  try {
    fn();
  } catch (err) {
    if (err instanceof CallRejection) return err;
    throw err;
  }
  throw new Error('expected a CallRejection');
}

function answer(challenge: string, uri: string, username: string, password: string): string {
  const nonce = /nonce="([^"]+)"/.exec(challenge)?.[1] ?? '';
  const algorithm = /algorithm=([\w-]+)/.exec(challenge)?.[1] === 'SHA-256' ? 'SHA-256' : 'MD5';
  const response = computeDigestResponse({ algorithm, username, realm: 'patchbay', password, method: 'INVITE', uri, nonce, qop: 'auth', nc: '00000001', cnonce: 'abc' });
  return `Digest username="${username}", realm="patchbay", nonce="${nonce}", uri="${uri}", response="${response}", algorithm=${algorithm}, qop=auth, nc=00000001, cnonce="abc"`;
}

describe('CallAdmission', () => {
  const uri = 'sip:+15550100001@gw';

  it('routes by Request-URI, then by the To header when the Request-URI has no routable user', () => {
    const config = parseConfig({ numbers: { '+15550100001': { agent: 'echo' } } });
    const admission = new CallAdmission({ config, activeCalls: () => 0 });
    expect(admission.admit(invite(uri), '10.1.1.1')).toMatchObject({ number: '+15550100001', pattern: '+15550100001', route: { agent: 'echo' } });
    expect(admission.admit(invite('sip:gw.example.com', '<tel:+1-555-010-0001>'), '10.1.1.1').number).toBe('+15550100001');
    expect(rejection(() => admission.admit(invite('sip:+15550100009@gw'), '10.1.1.1')).status).toBe(404);
  });

  it('answers 503 with Retry-After at the concurrent-call limit', () => {
    const config = parseConfig({ sip: { maxConcurrentCalls: 2, retryAfterSeconds: 7 } });
    const admission = new CallAdmission({ config, activeCalls: () => 2 });
    const err = rejection(() => admission.admit(invite(uri), '10.1.1.1'));
    expect(err.status).toBe(503);
    expect(err.headers).toContainEqual({ name: 'Retry-After', value: '7' });
  });

  it('identifies an auth-only trunk by the username in the credentials, and refuses a wrong password with 403', () => {
    const config = parseConfig({
      trunks: [
        { name: 'office', allow: ['192.0.2.0/24'] },
        { name: 'roaming-a', allow: [], auth: { username: 'alice', password: 'pw-a' } },
        { name: 'roaming-b', allow: [], auth: { username: 'bob', password: 'pw-b', algorithms: ['MD5'] } },
      ],
    });
    const admission = new CallAdmission({ config, activeCalls: () => 0 });
    expect(admission.admit(invite(uri), '192.0.2.9').trunk).toBe('office');

    const challenged = rejection(() => admission.admit(invite(uri), '203.0.113.5'));
    expect(challenged.status).toBe(401);
    const challenges = challenged.headers.filter((h) => h.name === 'WWW-Authenticate').map((h) => h.value);
    expect(challenges[0]).toMatch(/algorithm=SHA-256/);
    expect(challenges[1]).toMatch(/algorithm=MD5/);

    const asBob = answer(challenges[1] ?? '', uri, 'bob', 'pw-b');
    expect(admission.admit(invite(uri, `<${uri}>`, asBob), '203.0.113.5').trunk).toBe('roaming-b');
    const wrong = answer(challenges[0] ?? '', uri, 'alice', 'not-it');
    expect(rejection(() => admission.admit(invite(uri, `<${uri}>`, wrong), '203.0.113.5')).status).toBe(403);
    // The same credentials again are a replay: re-challenged, not admitted.
    expect(rejection(() => admission.admit(invite(uri, `<${uri}>`, asBob), '203.0.113.5')).status).toBe(401);
  });

  it('refuses a source outside every allowlist with 403 when no trunk authenticates by digest alone', () => {
    const config = parseConfig({ trunks: [{ name: 'office', allow: ['192.0.2.0/24'] }] });
    const admission = new CallAdmission({ config, activeCalls: () => 0 });
    const err = rejection(() => admission.admit(invite(uri), '198.51.100.1'));
    expect(err.status).toBe(403);
    expect(err.reason).toMatch(/source address/);
  });

  describe('failed credentials', () => {
    const trunks = [{ name: 'carrier', allow: [], auth: { username: 'carrier', password: 'right', algorithms: ['MD5'] } }];
    const SOURCE = '203.0.113.5';

    function setup(authThrottle: Record<string, number> = {}): { admission: CallAdmission; clock: { t: number }; challenge: (source?: string) => string } {
      const config = parseConfig({ trunks, sip: { authThrottle } });
      const clock = { t: 0 };
      const admission = new CallAdmission({ config, activeCalls: () => 0, now: () => clock.t });
      const challenge = (source = SOURCE): string => {
        const err = rejection(() => admission.admit(invite(uri), source));
        expect(err.status).toBe(401);
        return err.headers.find((h) => h.name === 'WWW-Authenticate')?.value ?? '';
      };
      return { admission, clock, challenge };
    }
    const attempt = (admission: CallAdmission, credentials: string, source = SOURCE): CallRejection | 'admitted' => {
      try {
        admission.admit(invite(uri, `<${uri}>`, credentials), source);
        return 'admitted';
      } catch (err) {
        if (err instanceof CallRejection) return err;
        throw err;
      }
    };

    it('answer an unknown user exactly as a wrong password: same status, reason and headers; the cause only in code and stats', () => {
      const { admission, challenge } = setup();
      const unknown = attempt(admission, answer(challenge(), uri, 'nobody', 'right'));
      const wrong = attempt(admission, answer(challenge(), uri, 'carrier', 'wrong'));
      if (unknown === 'admitted' || wrong === 'admitted') throw new Error('admitted');
      expect([unknown.status, unknown.reason, unknown.headers]).toEqual([403, AUTH_FAILED_REASON, []]);
      expect([wrong.status, wrong.reason, wrong.headers]).toEqual([unknown.status, unknown.reason, unknown.headers]);
      expect([unknown.code, wrong.code]).toEqual(['CALL_AUTH_UNKNOWN_USER', 'CALL_AUTH_BAD_RESPONSE']);
      expect(admission.stats).toEqual({ challenges: 2, failures: { 'unknown-user': 1, 'bad-response': 1 }, lockouts: 0 });
    });

    it('answer a wrong realm, uri or algorithm with the same 403 as well', () => {
      const { admission, challenge } = setup();
      const good = answer(challenge(), uri, 'carrier', 'right');
      const variants = [good.replace('realm="patchbay"', 'realm="other"'), good.replace(`uri="${uri}"`, 'uri="sip:x@y"'), good.replace('algorithm=MD5', 'algorithm=SHA-256')];
      for (const credentials of variants) {
        const err = attempt(admission, credentials);
        expect(err === 'admitted' ? err : [err.status, err.reason, err.headers], credentials).toEqual([403, AUTH_FAILED_REASON, []]);
      }
    });

    it('lock a source out after maxFailures within the window: even the right password gets the same 403 until it ends', () => {
      const { admission, clock, challenge } = setup({ maxFailures: 3, windowMs: 10_000, lockoutMs: 60_000, maxFailuresPerNonce: 0 });
      for (let i = 0; i < 3; i++) {
        clock.t += 1_000;
        expect(attempt(admission, answer(challenge(), uri, 'carrier', `guess-${i}`))).toMatchObject({ status: 403 });
      }
      const right = attempt(admission, answer(challenge(), uri, 'carrier', 'right'));
      expect(right === 'admitted' ? right : [right.status, right.reason, right.headers, right.code]).toEqual([403, AUTH_FAILED_REASON, [], 'CALL_AUTH_LOCKED_OUT']);
      // Another source is not affected, and a locked source still gets its 401 challenge (the lockout shows nowhere).
      expect(attempt(admission, answer(challenge('198.51.100.7'), uri, 'carrier', 'right'), '198.51.100.7')).toBe('admitted');
      clock.t = 3_000 + 60_000 - 1; // the lockout began at the third failure, t = 3,000
      expect(attempt(admission, answer(challenge(), uri, 'carrier', 'right'))).toMatchObject({ status: 403, code: 'CALL_AUTH_LOCKED_OUT' });
      clock.t += 1;
      expect(attempt(admission, answer(challenge(), uri, 'carrier', 'right'))).toBe('admitted');
      expect(admission.stats).toMatchObject({ lockouts: 1, failures: { 'bad-response': 3, 'locked-out': 2 } });
    });

    it('do not lock out failures spread wider than the window, nor with maxFailures 0', () => {
      const spread = setup({ maxFailures: 3, windowMs: 10_000 });
      for (let i = 0; i < 10; i++) {
        spread.clock.t += 5_000;
        attempt(spread.admission, answer(spread.challenge(), uri, 'carrier', 'wrong'));
      }
      expect(attempt(spread.admission, answer(spread.challenge(), uri, 'carrier', 'right'))).toBe('admitted');
      const off = setup({ maxFailures: 0 });
      for (let i = 0; i < 50; i++) attempt(off.admission, answer(off.challenge(), uri, 'carrier', 'wrong'));
      expect(attempt(off.admission, answer(off.challenge(), uri, 'carrier', 'right'))).toBe('admitted');
      expect(off.admission.stats.lockouts).toBe(0);
    });

    it('re-challenge a nonce spent by wrong responses, without checking the next response', () => {
      const { admission, challenge } = setup({ maxFailures: 100, maxFailuresPerNonce: 2 });
      const c = challenge();
      attempt(admission, answer(c, uri, 'carrier', 'a'));
      attempt(admission, answer(c, uri, 'carrier', 'b'));
      const spent = attempt(admission, answer(c, uri, 'carrier', 'right'));
      expect(spent === 'admitted' ? spent : [spent.status, spent.code]).toEqual([401, 'CALL_AUTH_REQUIRED']);
      expect(spent === 'admitted' ? '' : (spent.headers[0]?.value ?? '')).not.toMatch(/stale/);
      expect(admission.stats.failures['nonce-spent']).toBe(1);
    });
  });
});

describe('throttleKey', () => {
  it('is the IPv4 address (also IPv4-mapped) or an IPv6 address’s /64', () => {
    expect(throttleKey('192.0.2.1')).toBe('192.0.2.1');
    expect(throttleKey('::ffff:192.0.2.1')).toBe('192.0.2.1');
    expect(throttleKey('2001:db8:1:2::1')).toBe('20010db800010002::/64');
    expect(throttleKey('2001:db8:1:2:ffff:eeee:dddd:cccc')).toBe('20010db800010002::/64');
    expect(throttleKey('2001:db8:1:3::1')).not.toBe(throttleKey('2001:db8:1:2::1'));
    expect(throttleKey('not-an-ip')).toBe('not-an-ip');
  });
});

describe('CallAdmission: calls delivered to a registered contact', () => {
  const register = { host: '192.0.2.10', user: 'alice', contactUser: 'pb-contact' };

  it('admits an INVITE for our contact user for that trunk without a challenge, routing by To', () => {
    const config = parseConfig({ numbers: { '+15550100001': { agent: 'echo' } }, trunks: [{ name: 'reg', register }] });
    const admission = new CallAdmission({ config, activeCalls: () => 0 });
    const delivered = invite('sip:pb-contact@198.51.100.7:5060', '<sip:+15550100001@example.test>');
    expect(admission.admit(delivered, '192.0.2.10')).toMatchObject({ trunk: 'reg', number: '+15550100001' });
    // Another user at our address is a stranger: the registering trunk closes inbound to everyone else.
    expect(rejection(() => admission.admit(invite('sip:+15550100001@198.51.100.7'), '192.0.2.10')).status).toBe(403);
  });

  it("checks the trunk's allow list when it has one", () => {
    const config = parseConfig({ trunks: [{ name: 'reg', allow: ['192.0.2.0/24'], register }] });
    const admission = new CallAdmission({ config, activeCalls: () => 0 });
    const delivered = invite('sip:pb-contact@198.51.100.7', '<sip:+15550100001@example.test>');
    expect(admission.admit(delivered, '192.0.2.77').trunk).toBe('reg');
    expect(rejection(() => admission.admit(delivered, '203.0.113.9')).status).toBe(403);
  });

  it('leaves inbound open when the only trunk is for outbound calls', () => {
    const config = parseConfig({ trunks: [{ name: 'out', outbound: { proxy: { host: '192.0.2.1' } } }] });
    const admission = new CallAdmission({ config, activeCalls: () => 0 });
    expect(admission.admit(invite('sip:+15550100001@gw'), '203.0.113.9').trunk).toBeUndefined();
  });
});
