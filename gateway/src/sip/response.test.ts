import { describe, expect, it } from 'vitest';

import { SipParseError } from './errors.js';
import type { SipRequest } from './message.js';
import { parseMessage } from './parser.js';
import { createResponse, createResponseFromHeaders, randomToken, reasonPhrase } from './response.js';
import { serializeMessage } from './serialize.js';

const INVITE = Buffer.from(
  [
    'INVITE sip:bob@gw.example.com SIP/2.0',
    'Via: SIP/2.0/UDP proxy.example.com;branch=z9hG4bK2',
    'v: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1;received=192.0.2.1, SIP/2.0/TCP 192.0.2.9;branch=z9hG4bK0',
    'Max-Forwards: 69',
    'f: "Alice" <sip:alice@example.net>;tag=1928301774',
    't: <sip:bob@gw.example.com>',
    'i: a84b4c76e66710@pc33.example.net',
    'CSeq: 314159 INVITE',
    'Record-Route: <sip:proxy.example.com;lr>',
    'Contact: <sip:alice@192.0.2.1>',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n'),
);

function invite(): SipRequest {
  const m = parseMessage(INVITE);
  if (m.kind !== 'request') throw new Error('expected a request');
  return m;
}

describe('createResponse', () => {
  it('copies Via (all, in order), From, To, Call-ID, CSeq in long form (RFC 3261 §8.2.6)', () => {
    const res = createResponse(invite(), 180, { toTag: 'as83kd' });
    expect(res).toMatchObject({ kind: 'response', status: 180, reason: 'Ringing' });
    expect(res.headers).toEqual([
      { name: 'Via', value: 'SIP/2.0/UDP proxy.example.com;branch=z9hG4bK2' },
      { name: 'Via', value: 'SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1;received=192.0.2.1, SIP/2.0/TCP 192.0.2.9;branch=z9hG4bK0' },
      { name: 'From', value: '"Alice" <sip:alice@example.net>;tag=1928301774' },
      { name: 'To', value: '<sip:bob@gw.example.com>;tag=as83kd' },
      { name: 'Call-ID', value: 'a84b4c76e66710@pc33.example.net' },
      { name: 'CSeq', value: '314159 INVITE' },
    ]);
  });

  it('does not add a second tag when To already has one', () => {
    const req = invite();
    req.headers[4] = { name: 't', value: '<sip:bob@gw.example.com> ; TAG = existing' };
    expect(createResponse(req, 200, { toTag: 'new' }).headers[3]).toEqual({ name: 'To', value: '<sip:bob@gw.example.com> ; TAG = existing' });
    req.headers[4] = { name: 't', value: 'broken "<sip:bob@gw.example.com>;tag=x' };
    expect(createResponse(req, 200, { toTag: 'new' }).headers[3]?.value).toBe('broken "<sip:bob@gw.example.com>;tag=x');
  });

  it('adds extra headers, body and Content-Type; custom reason', () => {
    const body = Buffer.from('v=0\r\n');
    const res = createResponse(invite(), 488, { reason: 'Not Acceptable Here - No common codec', headers: [{ name: 'Warning', value: '304 gw "codec"' }], body });
    expect(res.reason).toBe('Not Acceptable Here - No common codec');
    expect(res.headers.slice(-2)).toEqual([
      { name: 'Warning', value: '304 gw "codec"' },
      { name: 'Content-Type', value: 'application/sdp' },
    ]);
    expect(res.body).toBe(body);
    const wire = serializeMessage(res).toString();
    expect(wire.startsWith('SIP/2.0 488 Not Acceptable Here - No common codec\r\n')).toBe(true);
    expect(wire.endsWith('Content-Length: 5\r\n\r\nv=0\r\n')).toBe(true);
    expect(createResponse(invite(), 200, { body, contentType: 'text/plain' }).headers.at(-1)).toEqual({ name: 'Content-Type', value: 'text/plain' });
  });

  it('answers 400 from what a SipParseError salvaged', () => {
    let err: unknown;
    try {
      parseMessage(Buffer.concat([INVITE.subarray(0, INVITE.length - 4), Buffer.from('\r\nbroken line\r\n\r\n')]));
    } catch (e) {
      err = e;
    }
    if (!(err instanceof SipParseError) || err.partial === undefined) throw new Error('expected salvage');
    const res = createResponseFromHeaders(err.partial.headers, err.status, { reason: err.reason, toTag: 'z' });
    expect(res.status).toBe(400);
    expect(res.reason).toBe('Bad Request - Malformed header at line 12 (no colon)');
    expect(res.headers.map((h) => h.name)).toEqual(['Via', 'Via', 'From', 'To', 'Call-ID', 'CSeq']);
  });
});

describe('reasonPhrase', () => {
  it('knows the standard phrases and falls back to the class', () => {
    expect(reasonPhrase(100)).toBe('Trying');
    expect(reasonPhrase(481)).toBe('Call/Transaction Does Not Exist');
    expect(reasonPhrase(606)).toBe('Not Acceptable');
    expect(reasonPhrase(299)).toBe('Success');
    expect(reasonPhrase(499)).toBe('Client Error');
    expect(reasonPhrase(42)).toBe('Unknown');
    expect(reasonPhrase(799)).toBe('Unknown');
    expect(reasonPhrase(Number.NaN)).toBe('Unknown');
  });
});

describe('randomToken', () => {
  it('is URL-safe, token-safe and random', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const t = randomToken();
      expect(t).toMatch(/^[A-Za-z0-9_-]{16}$/);
      seen.add(t);
    }
    expect(seen.size).toBe(1000);
    expect(randomToken(4)).toHaveLength(6);
  });
});
