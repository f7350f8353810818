import { describe, expect, it } from 'vitest';
import type { SipResponse } from '../message.js';
import { answerChallenge, DigestClient, parseChallenge, selectChallenge } from './client-digest.js';
import { DigestAuthenticator, parseCredentials } from './digest.js';

function challenged(status: 401 | 407, values: string[]): SipResponse {
  const name = status === 401 ? 'WWW-Authenticate' : 'Proxy-Authenticate';
  return { kind: 'response', status, reason: 'Unauthorized', headers: values.map((value) => ({ name, value })), body: Buffer.alloc(0) };
}

function param(header: string, name: string): string | undefined {
  return parseCredentials(header)?.params.get(name);
}

describe('client digest: worked examples', () => {
  it('reproduces RFC 2617 §3.5 (MD5, qop=auth) and echoes opaque', () => {
    const challenge = parseChallenge(
      'Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"',
    );
    expect(challenge).toMatchObject({ algorithm: 'MD5', qop: 'auth', stale: false });
    if (!challenge) throw new Error('no challenge');
    const value = answerChallenge({ challenge, credentials: { username: 'Mufasa', password: 'Circle Of Life' }, method: 'GET', uri: '/dir/index.html', nc: 1, cnonce: '0a4f113b' });
    expect(param(value, 'response')).toBe('6629fae49393a05397450978507c4ef1');
    expect(param(value, 'opaque')).toBe('5ccc069c403ebaf9f0171e9517f40e41');
    expect(param(value, 'nc')).toBe('00000001');
    expect(param(value, 'algorithm')).toBeUndefined(); // not named in the challenge: not named in the answer
  });

  it('reproduces RFC 7616 §3.9.1 for SHA-256 and MD5, and picks SHA-256 when both are offered', () => {
    const common = 'realm="http-auth@example.org", qop="auth, auth-int", nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"';
    const values = [`Digest ${common}, algorithm=MD5`, `Digest ${common}, algorithm=SHA-256`];
    const best = selectChallenge(values);
    expect(best?.algorithm).toBe('SHA-256');
    const input = { credentials: { username: 'Mufasa', password: 'Circle of Life' }, method: 'GET', uri: '/dir/index.html', nc: 1, cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ' };
    if (!best) throw new Error('no challenge');
    expect(param(answerChallenge({ ...input, challenge: best }), 'response')).toBe('753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1');
    const md5 = parseChallenge(values[0] ?? '');
    if (!md5) throw new Error('no challenge');
    const answer = answerChallenge({ ...input, challenge: md5 });
    expect(param(answer, 'response')).toBe('8ca523f5e9506fed4657c9700eebdbec');
    expect(param(answer, 'algorithm')).toBe('MD5');
  });

  it('answers a challenge without qop (RFC 2069 style) with no nc or cnonce', () => {
    const c = parseChallenge('Digest realm="r", nonce="n1"');
    if (!c) throw new Error('no challenge');
    const value = answerChallenge({ challenge: c, credentials: { username: 'u', password: 'p' }, method: 'REGISTER', uri: 'sip:r', nc: 1, cnonce: 'x' });
    expect(param(value, 'qop')).toBeUndefined();
    expect(param(value, 'nc')).toBeUndefined();
    expect(param(value, 'response')).toMatch(/^[0-9a-f]{32}$/);
  });

  it('skips what it cannot answer: other schemes, auth-int only, unknown algorithms, -sess without qop', () => {
    expect(parseChallenge('Basic realm="r"')).toBeUndefined();
    expect(parseChallenge('Digest realm="r", nonce="n", qop="auth-int"')).toBeUndefined();
    expect(parseChallenge('Digest realm="r", nonce="n", algorithm=SHA-512-256, qop="auth"')).toBeUndefined();
    expect(parseChallenge('Digest realm="r", nonce="n", algorithm=MD5-sess')).toBeUndefined();
    expect(parseChallenge('Digest nonce="n"')).toBeUndefined();
    expect(selectChallenge(['Digest realm="r", nonce="n", algorithm=SHA-512-256, qop="auth"', 'Digest realm="r", nonce="n", qop="auth"'])?.algorithm).toBe('MD5');
    // qop=auth beats no qop for the same algorithm.
    expect(selectChallenge(['Digest realm="r", nonce="a"', 'Digest realm="r", nonce="b", qop="auth"'])?.nonce).toBe('b');
  });
});

describe('client digest against the server-side verifier', () => {
  const secret = Buffer.alloc(32, 7);
  const lookup = (name: string): { username: string; password: string } | undefined => (name === 'alice' ? { username: 'alice', password: 's3cret' } : undefined);

  for (const algorithms of [['SHA-256', 'MD5'], ['MD5']] as const) {
    it(`is accepted by DigestAuthenticator offering ${algorithms.join(', ')}, for a 401 and a 407`, () => {
      const server = new DigestAuthenticator({ realm: 'patchbay', secret, algorithms: [...algorithms] });
      for (const status of [401, 407] as const) {
        const client = new DigestClient({ username: 'alice', password: 's3cret' });
        const outcome = client.accept(challenged(status, server.challenge()));
        expect(outcome).toMatchObject({ ok: true, challenge: { algorithm: algorithms[0] } });
        const [header] = client.authorize('REGISTER', 'sip:example.test');
        expect(header?.name).toBe(status === 401 ? 'Authorization' : 'Proxy-Authorization');
        expect(server.verify('REGISTER', 'sip:example.test', header?.value, lookup)).toEqual({ ok: true, username: 'alice' });
      }
    });
  }

  it('counts nc up when the nonce is reused up front, which the verifier accepts; a replayed nc is refused', () => {
    const server = new DigestAuthenticator({ realm: 'patchbay', secret });
    const client = new DigestClient({ username: 'alice', password: 's3cret' });
    client.accept(challenged(401, server.challenge()));
    const first = client.authorize('REGISTER', 'sip:example.test')[0]?.value;
    const second = client.authorize('REGISTER', 'sip:example.test')[0]?.value;
    expect(first && param(first, 'nc')).toBe('00000001');
    expect(second && param(second, 'nc')).toBe('00000002');
    expect(server.verify('REGISTER', 'sip:example.test', first, lookup).ok).toBe(true);
    expect(server.verify('REGISTER', 'sip:example.test', second, lookup).ok).toBe(true);
    expect(server.verify('REGISTER', 'sip:example.test', second, lookup)).toEqual({ ok: false, reason: 'replay' });
  });

  it('takes a stale=true challenge as a new nonce for the same credentials', () => {
    let now = 1_000_000;
    const server = new DigestAuthenticator({ realm: 'patchbay', secret, nonceTtlMs: 1000, now: () => now });
    const client = new DigestClient({ username: 'alice', password: 's3cret' });
    client.accept(challenged(401, server.challenge()));
    now += 5000;
    const old = client.authorize('REGISTER', 'sip:x')[0]?.value;
    expect(server.verify('REGISTER', 'sip:x', old, lookup)).toEqual({ ok: false, reason: 'stale' });
    const outcome = client.accept(challenged(401, server.challenge({ stale: true })));
    expect(outcome).toMatchObject({ ok: true, challenge: { stale: true } });
    const fresh = client.authorize('REGISTER', 'sip:x');
    expect(fresh).toHaveLength(1); // the realm's old challenge is replaced
    expect(server.verify('REGISTER', 'sip:x', fresh[0]?.value, lookup).ok).toBe(true);
  });

  it('a wrong password is refused by the verifier; no challenge means nothing to answer', () => {
    const server = new DigestAuthenticator({ realm: 'patchbay', secret });
    const client = new DigestClient({ username: 'alice', password: 'wrong' });
    client.accept(challenged(401, server.challenge()));
    expect(server.verify('REGISTER', 'sip:x', client.authorize('REGISTER', 'sip:x')[0]?.value, lookup)).toEqual({ ok: false, reason: 'bad-response' });
    expect(new DigestClient({ username: 'a', password: 'b' }).accept(challenged(401, []))).toEqual({ ok: false, reason: 'none' });
    expect(new DigestClient({ username: 'a', password: 'b' }).accept(challenged(401, ['Digest realm="r", nonce="n", qop="auth-int"']))).toEqual({ ok: false, reason: 'unsupported' });
    expect(new DigestClient({ username: 'a', password: 'b' }).authorize('REGISTER', 'sip:x')).toEqual([]);
  });
});
