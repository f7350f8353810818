import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { computeDigestResponse, DigestAuthenticator, DigestConfigError, parseCredentials } from './digest.js';
import type { Credentials, DigestHashAlgorithm, DigestOptions } from './digest.js';
import { mintNonce } from './nonce-store.js';

const SECRET = Buffer.from('test secret that is long enough!');
const URI = 'sip:agent@gw.example.com';
const USERS: Record<string, Credentials> = { alice: { username: 'alice', password: 'wonderland' } };
const lookup = (u: string): Credentials | undefined => USERS[u];

function make(opts: Partial<DigestOptions> = {}): { auth: DigestAuthenticator; clock: { t: number } } {
  const clock = { t: 1_700_000_000_000 };
  const auth = new DigestAuthenticator({ realm: 'patchbay', secret: SECRET, now: () => clock.t, ...opts });
  return { auth, clock };
}

function challengeParams(challenge: string | undefined): ReadonlyMap<string, string> {
  const parsed = parseCredentials(challenge ?? '');
  if (parsed === undefined) throw new Error(`unparsable challenge ${String(challenge)}`);
  return parsed.params;
}

interface ClientOpts {
  password?: string;
  username?: string;
  nc?: number;
  uri?: string;
  method?: string;
  algorithm?: DigestHashAlgorithm;
  qop?: boolean;
  realm?: string;
}

/** What a UA would send back for a challenge. */
function respond(challenge: string | undefined, o: ClientOpts = {}): string {
  const p = challengeParams(challenge);
  const nonce = p.get('nonce') ?? '';
  const realm = o.realm ?? p.get('realm') ?? '';
  const algorithm = o.algorithm ?? ((p.get('algorithm') ?? 'MD5') as DigestHashAlgorithm);
  const username = o.username ?? 'alice';
  const uri = o.uri ?? URI;
  const nc = (o.nc ?? 1).toString(16).padStart(8, '0');
  const cnonce = 'c1i3nt';
  const qop = o.qop ?? true;
  const response = computeDigestResponse({
    algorithm,
    username,
    realm,
    password: o.password ?? 'wonderland',
    method: o.method ?? 'INVITE',
    uri,
    nonce,
    ...(qop ? { qop: 'auth' as const, nc, cnonce } : { cnonce }),
  });
  const parts = [`Digest username="${username}"`, `realm="${realm}"`, `nonce="${nonce}"`, `uri="${uri}"`];
  parts.push(`response="${response}"`, `algorithm=${algorithm}`, `opaque="${p.get('opaque') ?? ''}"`);
  if (qop) parts.push('qop=auth', `nc=${nc}`, `cnonce="${cnonce}"`);
  return parts.join(', ');
}

describe('computeDigestResponse (RFC 7616 §3.9.1)', () => {
  const example = {
    username: 'Mufasa',
    realm: 'http-auth@example.org',
    password: 'Circle of Life',
    method: 'GET',
    uri: '/dir/index.html',
    nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
    qop: 'auth' as const,
    nc: '00000001',
    cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
  };

  it('matches the MD5 example', () => {
    expect(computeDigestResponse({ ...example, algorithm: 'MD5' })).toBe('8ca523f5e9506fed4657c9700eebdbec');
  });

  it('matches the SHA-256 example', () => {
    expect(computeDigestResponse({ ...example, algorithm: 'SHA-256' })).toBe(
      '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1',
    );
  });

  it('computes RFC 2069 style without qop: H(HA1:nonce:HA2)', () => {
    // Inputs of the RFC 2069 §2.4 example; the expected value is checked against the formula below too.
    const r = computeDigestResponse({
      algorithm: 'MD5',
      username: 'Mufasa',
      realm: 'testrealm@host.com',
      password: 'Circle Of Life',
      method: 'GET',
      uri: '/dir/index.html',
      nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093',
    });
    expect(r).toBe('670fd8c2df070c60b045671b8b24ff02');
    const md5 = (x: string): string => createHash('md5').update(x).digest('hex');
    const ha1 = md5('Mufasa:testrealm@host.com:Circle Of Life');
    expect(r).toBe(md5(`${ha1}:dcd98b7102dd2f0e8b11d0f600bfb0c093:${md5('GET:/dir/index.html')}`));
  });

  it('needs nc and cnonce with qop', () => {
    expect(() => computeDigestResponse({ ...example, algorithm: 'MD5', cnonce: undefined })).toThrow(TypeError);
  });
});

describe('parseCredentials', () => {
  it('handles any order, case-insensitive names, escapes and commas in quotes', () => {
    const parsed = parseCredentials(
      'Digest  NONCE="a,b" ,username="al\\"ice" ,Realm=patchbay,uri="sip:x@y;transport=tcp",nc=00000001',
    );
    expect(parsed?.scheme).toBe('Digest');
    expect(parsed?.params.get('nonce')).toBe('a,b');
    expect(parsed?.params.get('username')).toBe('al"ice');
    expect(parsed?.params.get('realm')).toBe('patchbay');
    expect(parsed?.params.get('uri')).toBe('sip:x@y;transport=tcp');
    expect(parsed?.params.get('nc')).toBe('00000001');
  });

  it('accepts bare URIs as unquoted values', () => {
    expect(parseCredentials('Digest uri=sip:a@b:5060, realm=x')?.params.get('uri')).toBe('sip:a@b:5060');
  });

  it.each([
    ['empty', ''],
    ['scheme only', 'Digest'],
    ['no equals', 'Digest username'],
    ['unterminated quote', 'Digest username="alice'],
    ['dangling escape', 'Digest username="alice\\'],
    ['duplicate', 'Digest realm="a", realm="b"'],
    ['missing comma', 'Digest realm="a" nonce="b"'],
    ['empty value', 'Digest realm=, nonce="b"'],
    ['junk', '\u0000\u0001=""""'],
  ])('rejects %s', (_label, value) => {
    expect(parseCredentials(value)).toBeUndefined();
  });
});

describe('DigestAuthenticator.challenge', () => {
  it('offers SHA-256 then MD5 with a shared nonce and qop=auth', () => {
    const { auth } = make();
    const [sha, md5] = auth.challenge();
    expect(sha).toMatch(/^Digest realm="patchbay", nonce="[A-Za-z0-9_-]+", opaque="[^"]+", algorithm=SHA-256, qop="auth"$/);
    expect(md5).toMatch(/algorithm=MD5, qop="auth"$/);
    expect(challengeParams(sha).get('nonce')).toBe(challengeParams(md5).get('nonce'));
  });

  it('adds stale=true on request and honours the algorithm list', () => {
    const { auth } = make({ algorithms: ['MD5'] });
    const values = auth.challenge({ stale: true });
    expect(values).toHaveLength(1);
    expect(values[0]).toMatch(/algorithm=MD5, qop="auth", stale=true$/);
  });

  it('escapes the realm', () => {
    const { auth } = make({ realm: 'a "b" \\c' });
    expect(challengeParams(auth.challenge()[0]).get('realm')).toBe('a "b" \\c');
  });

  it('rejects a weak configuration', () => {
    expect(() => new DigestAuthenticator({ realm: 'r', secret: Buffer.alloc(4) })).toThrow(DigestConfigError);
    expect(() => new DigestAuthenticator({ realm: 'r', secret: SECRET, algorithms: [] })).toThrow(DigestConfigError);
  });
});

describe('DigestAuthenticator.verify', () => {
  it.each(['SHA-256', 'MD5', 'SHA-256-sess', 'MD5-sess'] as const)('accepts a correct %s response', (algorithm) => {
    const { auth } = make();
    const result = auth.verify('INVITE', URI, respond(auth.challenge()[0], { algorithm }), lookup);
    expect(result).toEqual({ ok: true, username: 'alice' });
  });

  it('accepts an uppercase hex response', () => {
    const { auth } = make();
    const header = respond(auth.challenge()[0]).replace(/response="([0-9a-f]+)"/, (_m, h: string) => `response="${h.toUpperCase()}"`);
    expect(auth.verify('INVITE', URI, header, lookup).ok).toBe(true);
  });

  it('reports missing and malformed headers', () => {
    const { auth } = make();
    expect(auth.verify('INVITE', URI, undefined, lookup)).toEqual({ ok: false, reason: 'missing' });
    expect(auth.verify('INVITE', URI, '  ', lookup)).toEqual({ ok: false, reason: 'missing' });
    const good = respond(auth.challenge()[0]);
    for (const bad of [
      'Basic YWxpY2U6d29uZGVybGFuZA==',
      'Digest username="alice", realm="patchbay"',
      good.replace(/response="[^"]*"/, 'response="zz"'),
      good.replace('qop=auth', 'qop=auth-int'),
      good.replace(/nc=\w+/, 'nc=123456789'),
      good.replace(/, cnonce="[^"]*"/, ''),
      good.replace(/nc=\w+/, 'nc=00000000'),
      `${good}, userhash=true`,
      'Digest username="alice", realm="patchbay", nonce="x", uri="sip:a", response="0", realm="again"',
      'garbage',
    ]) {
      expect(auth.verify('INVITE', URI, bad, lookup), bad).toEqual({ ok: false, reason: 'malformed' });
    }
  });

  it('rejects a wrong password, unknown user, wrong realm, wrong method and unsupported algorithm', () => {
    const { auth } = make({ algorithms: ['SHA-256'] });
    const c = auth.challenge()[0];
    expect(auth.verify('INVITE', URI, respond(c, { password: 'nope' }), lookup)).toEqual({ ok: false, reason: 'bad-response' });
    expect(auth.verify('INVITE', URI, respond(c, { username: 'bob' }), lookup)).toEqual({ ok: false, reason: 'unknown-user' });
    expect(auth.verify('INVITE', URI, respond(c, { realm: 'other' }), lookup)).toEqual({ ok: false, reason: 'realm' });
    expect(auth.verify('BYE', URI, respond(c), lookup)).toEqual({ ok: false, reason: 'bad-response' });
    expect(auth.verify('INVITE', URI, respond(c, { algorithm: 'MD5' }), lookup)).toEqual({ ok: false, reason: 'algorithm' });
    const weird = respond(c).replace('algorithm=SHA-256', 'algorithm=SHA-512-256');
    expect(auth.verify('INVITE', URI, weird, lookup)).toEqual({ ok: false, reason: 'algorithm' });
  });

  it('does the same work for an unknown user as for a wrong password, and never admits the unknown user', () => {
    const { auth } = make({ maxFailuresPerNonce: 0 });
    const c = auth.challenge()[0];
    // Whatever password an unknown user sends, even one that is right for a known user, the result is unknown-user.
    for (const password of ['', 'wonderland', 'guess']) {
      expect(auth.verify('INVITE', URI, respond(c, { username: 'bob', password }), lookup)).toEqual({ ok: false, reason: 'unknown-user' });
    }
    // An unknown user's failure spends a nonce attempt exactly as a wrong password does.
    const counted = make({ maxFailuresPerNonce: 2 }).auth;
    const n = counted.challenge()[0];
    expect(counted.verify('INVITE', URI, respond(n, { username: 'bob' }), lookup).ok).toBe(false);
    expect(counted.verify('INVITE', URI, respond(n, { password: 'x' }), lookup).ok).toBe(false);
    expect(counted.verify('INVITE', URI, respond(n), lookup)).toEqual({ ok: false, reason: 'nonce-spent' });
  });

  it('spends a nonce after maxFailuresPerNonce wrong responses, whatever comes next; a fresh nonce works', () => {
    const { auth } = make({ maxFailuresPerNonce: 3 });
    const c = auth.challenge()[0];
    for (let i = 0; i < 3; i++) {
      expect(auth.verify('INVITE', URI, respond(c, { password: `guess-${i}` }), lookup)).toEqual({ ok: false, reason: 'bad-response' });
    }
    // The right password on the spent nonce is not even checked: the answer cannot tell a guesser it was right.
    expect(auth.verify('INVITE', URI, respond(c), lookup)).toEqual({ ok: false, reason: 'nonce-spent' });
    expect(auth.verify('INVITE', URI, respond(c, { password: 'guess-3' }), lookup)).toEqual({ ok: false, reason: 'nonce-spent' });
    expect(auth.verify('INVITE', URI, respond(auth.challenge()[0]), lookup).ok).toBe(true);
  });

  it('does not count errors that are no guess (realm, uri, algorithm) against the nonce', () => {
    const { auth } = make({ maxFailuresPerNonce: 1, algorithms: ['SHA-256'] });
    const c = auth.challenge()[0];
    expect(auth.verify('INVITE', URI, respond(c, { realm: 'other' }), lookup)).toEqual({ ok: false, reason: 'realm' });
    expect(auth.verify('INVITE', URI, respond(c, { uri: 'sip:x@y' }), lookup)).toEqual({ ok: false, reason: 'uri-mismatch' });
    expect(auth.verify('INVITE', URI, respond(c, { algorithm: 'MD5' }), lookup)).toEqual({ ok: false, reason: 'algorithm' });
    expect(auth.verify('INVITE', URI, respond(c), lookup).ok).toBe(true);
  });

  it('refuses unchecked on request, as a wrong response would be refused, right credentials or not', () => {
    const { auth } = make({ maxFailuresPerNonce: 2 });
    const c = auth.challenge()[0];
    let lookups = 0;
    const counting = (u: string): Credentials | undefined => (lookups++, lookup(u));
    expect(auth.verify('INVITE', URI, respond(c), counting, { refuse: true })).toEqual({ ok: false, reason: 'refused' });
    expect(auth.verify('INVITE', URI, respond(c, { username: 'bob' }), counting, { refuse: true })).toEqual({ ok: false, reason: 'refused' });
    expect(lookups).toBe(0);
    // Counted against the nonce like wrong responses, so a refused source sees the same re-challenge any guesser sees.
    expect(auth.verify('INVITE', URI, respond(c), counting, { refuse: true })).toEqual({ ok: false, reason: 'nonce-spent' });
    // Everything checked before the credentials is still checked.
    expect(auth.verify('INVITE', URI, 'garbage', counting, { refuse: true })).toEqual({ ok: false, reason: 'malformed' });
    expect(auth.verify('INVITE', URI, respond(auth.challenge()[0], { realm: 'x' }), counting, { refuse: true })).toEqual({ ok: false, reason: 'realm' });
  });

  it('treats a missing algorithm as MD5', () => {
    const { auth } = make();
    const header = respond(auth.challenge()[1], { algorithm: 'MD5' }).replace(', algorithm=MD5', '');
    expect(auth.verify('INVITE', URI, header, lookup).ok).toBe(true);
  });

  it('rejects a uri that is not the Request-URI', () => {
    const { auth } = make();
    const header = respond(auth.challenge()[0], { uri: 'sip:other@gw.example.com' });
    expect(auth.verify('INVITE', URI, header, lookup)).toEqual({ ok: false, reason: 'uri-mismatch' });
  });

  it('accepts increasing nc on one nonce and rejects a replayed nc', () => {
    const { auth } = make();
    const c = auth.challenge()[0];
    expect(auth.verify('INVITE', URI, respond(c, { nc: 1 }), lookup).ok).toBe(true);
    expect(auth.verify('INVITE', URI, respond(c, { nc: 1 }), lookup)).toEqual({ ok: false, reason: 'replay' });
    expect(auth.verify('INVITE', URI, respond(c, { nc: 2 }), lookup).ok).toBe(true);
    expect(auth.verify('INVITE', URI, respond(c, { nc: 5 }), lookup).ok).toBe(true);
    expect(auth.verify('INVITE', URI, respond(c, { nc: 4 }), lookup)).toEqual({ ok: false, reason: 'replay' });
  });

  it('does not let a failed attempt consume a nonce count', () => {
    const { auth } = make();
    const c = auth.challenge()[0];
    expect(auth.verify('INVITE', URI, respond(c, { password: 'nope' }), lookup).ok).toBe(false);
    expect(auth.verify('INVITE', URI, respond(c), lookup).ok).toBe(true);
  });

  it('accepts a nonce without qop only once', () => {
    const { auth } = make();
    const c = auth.challenge()[1];
    expect(auth.verify('INVITE', URI, respond(c, { qop: false }), lookup).ok).toBe(true);
    expect(auth.verify('INVITE', URI, respond(c, { qop: false }), lookup)).toEqual({ ok: false, reason: 'replay' });
  });

  it('reports stale after the TTL only when the digest is right', () => {
    const { auth, clock } = make({ nonceTtlMs: 60_000 });
    const c = auth.challenge()[0];
    clock.t += 60_000;
    expect(auth.verify('INVITE', URI, respond(c), lookup).ok).toBe(true);
    clock.t += 1;
    expect(auth.verify('INVITE', URI, respond(c, { nc: 2 }), lookup)).toEqual({ ok: false, reason: 'stale' });
    expect(auth.verify('INVITE', URI, respond(c, { nc: 3, password: 'x' }), lookup)).toEqual({
      ok: false,
      reason: 'bad-response',
    });
    const fresh = auth.challenge({ stale: true })[0];
    expect(auth.verify('INVITE', URI, respond(fresh), lookup).ok).toBe(true);
  });

  it('treats a nonce from the future as stale', () => {
    const { auth, clock } = make();
    const c = auth.challenge()[0];
    clock.t -= 60_000;
    expect(auth.verify('INVITE', URI, respond(c), lookup)).toEqual({ ok: false, reason: 'stale' });
  });

  it('never accepts a tampered or foreign nonce', () => {
    const { auth, clock } = make();
    const nonce = challengeParams(auth.challenge()[0]).get('nonce') ?? '';
    const raw = Buffer.from(nonce, 'base64url');
    raw.writeBigUInt64BE(BigInt(clock.t + 10_000_000), 0); // try to extend its life
    const tampered = `Digest realm="patchbay", nonce="${raw.toString('base64url')}", algorithm=SHA-256`;
    const foreign = `Digest realm="patchbay", nonce="${mintNonce(Buffer.from('x'.repeat(32)), clock.t)}", algorithm=SHA-256`;
    const junk = 'Digest realm="patchbay", nonce="hello", algorithm=SHA-256';
    for (const challenge of [tampered, foreign, junk]) {
      // The digest is right for the nonce sent, so the client is told to retry with a fresh one.
      expect(auth.verify('INVITE', URI, respond(challenge), lookup)).toEqual({ ok: false, reason: 'stale' });
      expect(auth.verify('INVITE', URI, respond(challenge, { password: 'guess' }), lookup)).toEqual({
        ok: false,
        reason: 'bad-response',
      });
    }
  });

  it('re-challenges a valid nonce whose use it has no record of (count above 1)', () => {
    const { auth } = make();
    const c = auth.challenge()[0];
    expect(auth.verify('INVITE', URI, respond(c, { nc: 7 }), lookup)).toEqual({ ok: false, reason: 'stale' });
  });

  it('forgets the least recently used nonce beyond maxTrackedNonces', () => {
    const { auth } = make({ maxTrackedNonces: 1 });
    const a = auth.challenge()[0];
    const b = auth.challenge()[0];
    expect(auth.verify('INVITE', URI, respond(a), lookup).ok).toBe(true);
    expect(auth.verify('INVITE', URI, respond(b), lookup).ok).toBe(true);
    expect(auth.verify('INVITE', URI, respond(a, { nc: 2 }), lookup)).toEqual({ ok: false, reason: 'stale' });
    expect(auth.verify('INVITE', URI, respond(b, { nc: 2 }), lookup).ok).toBe(true);
  });
});
