import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config.js';
import { computeDigestResponse } from '../sip/auth/digest.js';
import type { SipRequest } from '../sip/message.js';
import { CallAdmission, CallRejection } from './admission.js';

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
});
