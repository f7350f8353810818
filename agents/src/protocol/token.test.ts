import { createHmac, timingSafeEqual } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ProtocolError } from './errors.js';
import { signCallToken, verifyCallToken } from './token.js';

const SECRET = 'correct horse battery staple';
const URL_ = 'wss://bot.example.com/patchbay?lang=en';
const NOW = 1_700_000_000;
const claims = { callId: 'call-1', streamId: 'stream-1', url: URL_ };

describe('call tokens', () => {
  it('round-trips: sign then verify returns the claims', () => {
    const token = signCallToken(SECRET, claims, NOW);
    expect(verifyCallToken(SECRET, token, { url: URL_, nowS: NOW + 1 })).toEqual({
      ok: true,
      claims: { callId: 'call-1', streamId: 'stream-1', url: URL_, iat: NOW, exp: NOW + 60 },
    });
  });

  it('is a standard HS256 JWT that the five-line recipe in docs/protocol.md verifies', () => {
    const token = signCallToken(SECRET, claims, NOW);
    const [h, p, s] = token.split('.');
    expect(JSON.parse(Buffer.from(h ?? '', 'base64url').toString())).toEqual({ alg: 'HS256', typ: 'JWT' });
    // The recipe, verbatim apart from the names:
    const mac = createHmac('sha256', SECRET).update(`${h}.${p}`).digest('base64url');
    const ok = s !== undefined && s.length === mac.length && timingSafeEqual(Buffer.from(s), Buffer.from(mac));
    const c = JSON.parse(Buffer.from(p ?? '', 'base64url').toString()) as { exp: number; aud: string };
    expect(ok && c.exp > NOW && c.aud === URL_).toBe(true);
  });

  it('refuses a tampered payload', () => {
    const [h, , s] = signCallToken(SECRET, claims, NOW).split('.');
    const forged = Buffer.from(JSON.stringify({ aud: URL_, callId: 'other', streamId: 's', iat: NOW, exp: NOW + 9e9 }));
    const token = `${h}.${forged.toString('base64url')}.${s}`;
    expect(verifyCallToken(SECRET, token, { nowS: NOW })).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('refuses any change to the signature, even one that decodes to the same bytes', () => {
    const token = signCallToken(SECRET, claims, NOW);
    const last = token.slice(-1);
    for (const ch of ['A', 'B', 'C', 'D', 'w', '-', '_']) {
      if (ch === last) continue;
      const forged = token.slice(0, -1) + ch;
      expect(verifyCallToken(SECRET, forged, { nowS: NOW })).toEqual({ ok: false, reason: 'bad_signature' });
    }
    expect(verifyCallToken(SECRET, token.slice(0, -1), { nowS: NOW })).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('refuses a token signed with another secret', () => {
    const token = signCallToken('another secret', claims, NOW);
    expect(verifyCallToken(SECRET, token, { nowS: NOW })).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('expires after ttlS (default 60 s)', () => {
    const token = signCallToken(SECRET, claims, NOW);
    expect(verifyCallToken(SECRET, token, { nowS: NOW + 59 }).ok).toBe(true);
    expect(verifyCallToken(SECRET, token, { nowS: NOW + 60 })).toEqual({ ok: false, reason: 'expired' });
    const short = signCallToken(SECRET, { ...claims, ttlS: 5 }, NOW);
    expect(verifyCallToken(SECRET, short, { nowS: NOW + 5 })).toEqual({ ok: false, reason: 'expired' });
  });

  it('is bound to the URL it was issued for', () => {
    const token = signCallToken(SECRET, claims, NOW);
    const other = 'wss://evil.example.com/patchbay?lang=en';
    expect(verifyCallToken(SECRET, token, { url: other, nowS: NOW })).toEqual({ ok: false, reason: 'wrong_url' });
    expect(verifyCallToken(SECRET, token, { url: 'wss://bot.example.com/patchbay', nowS: NOW }).ok).toBe(false);
    // Same URL, spelled differently (default port, upper-case host) still matches.
    expect(verifyCallToken(SECRET, token, { url: 'wss://BOT.example.com:443/patchbay?lang=en', nowS: NOW }).ok).toBe(true);
  });

  it.each(['', 'abc', 'a.b', 'a.b.c.d', '..', 'x'.repeat(5000)])('refuses malformed token %#', (token) => {
    const r = verifyCallToken(SECRET, token, { nowS: NOW });
    expect(r.ok).toBe(false);
  });

  it('refuses a correctly signed token whose payload is not the claims', () => {
    const h = Buffer.from('{"alg":"HS256","typ":"JWT"}').toString('base64url');
    const p = Buffer.from('{"callId":1}').toString('base64url');
    const s = createHmac('sha256', SECRET).update(`${h}.${p}`).digest('base64url');
    expect(verifyCallToken(SECRET, `${h}.${p}.${s}`, { nowS: NOW })).toEqual({ ok: false, reason: 'malformed' });
  });

  it('throws PROTOCOL_BAD_TOKEN on an empty secret or a bad ttl', () => {
    expect(() => signCallToken('', claims, NOW)).toThrow(ProtocolError);
    expect(() => verifyCallToken('', 'a.b.c')).toThrow(/secret/);
    expect(() => signCallToken(SECRET, { ...claims, ttlS: 0 }, NOW)).toThrow(/ttlS/);
  });
});
