import { describe, expect, it } from 'vitest';

import { SipParseError } from './errors.js';
import { formatUri, isSipUri, isTelUri, parseUri, percentDecode, uriScheme } from './uri.js';
import type { SipUri, TelUri } from './uri.js';

function sip(s: string): SipUri {
  const u = parseUri(s);
  if (!isSipUri(u)) throw new Error(`not a SIP URI: ${s}`);
  return u;
}

describe('parseUri (sip/sips)', () => {
  it('parses user, password, host, port, params and headers', () => {
    const u = sip('sips:alice:secret@Example.COM:5061;transport=TLS;LR;maddr=192.0.2.1?subject=hi%20there&priority=urgent');
    expect(u.scheme).toBe('sips');
    expect(u.user).toBe('alice');
    expect(u.password).toBe('secret');
    expect(u.host).toBe('Example.COM');
    expect(u.port).toBe(5061);
    expect([...u.params]).toEqual([
      ['transport', 'TLS'],
      ['lr', null],
      ['maddr', '192.0.2.1'],
    ]);
    expect([...u.headers]).toEqual([
      ['subject', 'hi there'],
      ['priority', 'urgent'],
    ]);
  });

  it('folds the scheme to lower case and accepts a URI without user', () => {
    const u = sip('SIP:proxy.example.com');
    expect(u.scheme).toBe('sip');
    expect(u.user).toBeUndefined();
    expect(u.port).toBeUndefined();
  });

  it('takes an IPv6 reference without brackets', () => {
    const u = sip('sip:bob@[2001:db8::10]:5070;transport=udp');
    expect(u.host).toBe('2001:db8::10');
    expect(u.port).toBe(5070);
    expect(formatUri(u)).toBe('sip:bob@[2001:db8::10]:5070;transport=udp');
  });

  it('percent-decodes the user part (RFC 4475 esc01, escnull)', () => {
    expect(sip('sip:sips%3Auser%40example.com@example.net').user).toBe('sips:user@example.com');
    expect(sip('sip:%75se%72@example.com').user).toBe('user');
    expect(sip('sip:I%20have%20spaces@example.net').user).toBe('I have spaces');
    expect(sip('sip:null-%00-null@example.com').user).toBe('null-\u0000-null');
  });

  it('accepts every user-unreserved character (RFC 4475 intmeth, semiuri)', () => {
    const u = sip(
      "sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com",
    );
    expect(u.user).toBe("1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
    expect(u.password).toBe("&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
    expect(u.host).toBe('example.com');
    expect(u.headers.size).toBe(0);
    const semi = sip('sip:user;par=u%40example.net@example.com');
    expect(semi.user).toBe('user;par=u@example.net');
    expect(semi.params.size).toBe(0);
  });

  it('keeps parameters verbatim, skips empty segments, first duplicate wins', () => {
    const u = sip('sip:host;a=1;;A=2;b;');
    expect([...u.params]).toEqual([
      ['a', '1'],
      ['b', null],
    ]);
  });

  it('decodes escaped URI headers (RFC 4475 regescrt)', () => {
    const u = sip('sip:user@example.com?Route=%3Csip:sip.example.com%3E');
    expect(u.headers.get('Route')).toBe('<sip:sip.example.com>');
  });

  it.each([
    ['sip:', 'empty host'],
    ['sip:@example.com', 'empty user'],
    ['sip:user@', 'empty host'],
    ['sip:user@host:99999', 'port'],
    ['sip:user@host:', 'port'],
    ['sip:user@host:5060x', 'host'],
    ['sip:us%zzer@host', 'escape'],
    ['sip:user@[2001:db8::1', 'IPv6'],
    ['sip:user@[hello]', 'IPv6'],
    ['sip:user@exa mple.com', 'character'],
    ['sip:<user@example.com>', 'character'],
    ['sip:user@host;=x', 'parameter'],
    ['sip:a@b@c', 'host'],
    ['no-scheme-here', 'scheme'],
    [':opaque', 'scheme'],
    ['1sip:x', 'scheme'],
  ])('rejects %s', (input, fragment) => {
    let caught: unknown;
    try {
      parseUri(input);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(SipParseError);
    if (caught instanceof SipParseError) {
      expect(caught.status).toBe(400);
      expect(caught.code).toBe('SIP_BAD_URI');
      expect(caught.reason.toLowerCase()).toContain(fragment.toLowerCase());
    }
  });
});

describe('parseUri (tel and others)', () => {
  it('parses a global tel URI with parameters', () => {
    const u = parseUri('tel:+1-555-010-0001;ext=12;isub=x');
    expect(isTelUri(u)).toBe(true);
    const t = u as TelUri;
    expect(t.number).toBe('+1-555-010-0001');
    expect(t.params.get('ext')).toBe('12');
    expect(formatUri(t)).toBe('tel:+1-555-010-0001;ext=12;isub=x');
  });

  it('parses a local number with phone-context', () => {
    const u = parseUri('tel:7042;phone-context=example.com');
    expect(isTelUri(u) && u.params.get('phone-context')).toBe('example.com');
  });

  it.each(['tel:', 'tel:+', 'tel:12a b', 'tel:555+1', 'tel:--'])('rejects %s', (input) => {
    expect(() => parseUri(input)).toThrow(SipParseError);
  });

  it('returns other schemes opaque (RFC 4475 unksm2, novelsc)', () => {
    expect(parseUri('isbn:2983792873')).toEqual({ scheme: 'isbn', raw: 'isbn:2983792873' });
    expect(parseUri('soap.beep://192.0.2.103:3002')).toEqual({ scheme: 'soap.beep', raw: 'soap.beep://192.0.2.103:3002' });
    expect(isSipUri(parseUri('http://www.example.com'))).toBe(false);
  });
});

describe('formatUri', () => {
  it('round-trips canonical URIs', () => {
    for (const s of [
      'sip:alice@atlanta.example.com',
      'sips:bob:pw@biloxi.example.com:5061;transport=tcp;lr',
      'sip:+15550100001@trunk.example.net;user=phone',
      'sip:192.0.2.4',
      'sip:user@example.com?Route=%3Csip:sip.example.com%3E',
    ]) {
      expect(formatUri(sip(s))).toBe(s);
    }
  });

  it('escapes what the user part may not carry', () => {
    const u: SipUri = { scheme: 'sip', user: 'sips:user@example.com', host: 'example.net', params: new Map(), headers: new Map() };
    expect(formatUri(u)).toBe('sip:sips%3Auser%40example.com@example.net');
    u.user = 'I have spaces é';
    expect(formatUri(u)).toBe('sip:I%20have%20spaces%20%C3%A9@example.net');
    expect(sip(formatUri(u)).user).toBe('I have spaces é');
  });
});

describe('helpers', () => {
  it('uriScheme', () => {
    expect(uriScheme('SIPS:x')).toBe('sips');
    expect(uriScheme('soap.beep://x')).toBe('soap.beep');
    expect(uriScheme('<sip:x>')).toBeUndefined();
    expect(uriScheme('x')).toBeUndefined();
  });

  it('percentDecode decodes UTF-8 and rejects broken escapes', () => {
    expect(percentDecode('%C3%A9t%C3%A9')).toBe('été');
    expect(() => percentDecode('50%')).toThrow(SipParseError);
    expect(() => percentDecode('%4')).toThrow(SipParseError);
  });
});
