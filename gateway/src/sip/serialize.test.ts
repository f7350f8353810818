import { describe, expect, it } from 'vitest';

import { SipError } from './errors.js';
import type { SipRequest, SipResponse } from './message.js';
import { parseMessage } from './parser.js';
import { serializeMessage } from './serialize.js';

function req(headers: [string, string][], body = ''): SipRequest {
  return {
    kind: 'request',
    method: 'MESSAGE',
    uri: 'sip:bob@example.com',
    headers: headers.map(([name, value]) => ({ name, value })),
    body: Buffer.from(body),
  };
}

describe('serializeMessage', () => {
  it('writes start line, headers as stored, empty line and body', () => {
    const out = serializeMessage(req([['Via', 'SIP/2.0/UDP h;branch=z9hG4bK1'], ['i', 'x@y'], ['Content-Length', '5']], 'hello'));
    expect(out.toString()).toBe('MESSAGE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\ni: x@y\r\nContent-Length: 5\r\n\r\nhello');
  });

  it('writes a response status line, an empty reason included', () => {
    const res: SipResponse = { kind: 'response', status: 100, reason: '', headers: [], body: Buffer.alloc(0) };
    expect(serializeMessage(res).toString()).toBe('SIP/2.0 100 \r\nContent-Length: 0\r\n\r\n');
  });

  it('replaces a wrong Content-Length in place, keeping its name, and drops duplicates', () => {
    const out = serializeMessage(req([['l', '999'], ['To', '<sip:a@b>'], ['Content-Length', '3']], 'héllo'));
    expect(out.toString()).toBe('MESSAGE sip:bob@example.com SIP/2.0\r\nl: 6\r\nTo: <sip:a@b>\r\n\r\nhéllo');
  });

  it('appends Content-Length when missing', () => {
    expect(serializeMessage(req([['To', '<sip:a@b>']])).toString()).toBe(
      'MESSAGE sip:bob@example.com SIP/2.0\r\nTo: <sip:a@b>\r\nContent-Length: 0\r\n\r\n',
    );
  });

  it('writes binary bodies and UTF-8 heads byte for byte', () => {
    const body = Buffer.from([0, 1, 2, 0xff, 0x0d, 0x0a]);
    const m: SipRequest = { ...req([['Subject', 'Grüße']]), body };
    const out = serializeMessage(m);
    expect(out.subarray(out.length - body.length).equals(body)).toBe(true);
    const back = parseMessage(out);
    expect(back.headers[0]).toEqual({ name: 'Subject', value: 'Grüße' });
    expect(back.body.equals(body)).toBe(true);
  });

  it.each([
    ['header value', req([['X-Agent', 'ok\r\nInjected: yes']])],
    ['header name', req([['X\nY', 'v']])],
    ['Request-URI', { ...req([]), uri: 'sip:a@b SIP/2.0\r\nX: y' }],
  ])('refuses CR/LF in a %s (header injection)', (_what, m) => {
    expect(() => serializeMessage(m)).toThrow(SipError);
    expect(() => serializeMessage(m)).toThrow(expect.objectContaining({ status: 500, code: 'SIP_UNSERIALIZABLE' }));
  });

  it('refuses CR/LF in a reason phrase', () => {
    const res: SipResponse = { kind: 'response', status: 200, reason: 'OK\r\nX: y', headers: [], body: Buffer.alloc(0) };
    expect(() => serializeMessage(res)).toThrow(SipError);
  });
});
