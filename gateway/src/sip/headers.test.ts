import { describe, expect, it } from 'vitest';

import { SipParseError } from './errors.js';
import {
  formatNameAddr,
  formatVia,
  isToken,
  parseCSeq,
  parseNameAddr,
  parseVia,
  parseVias,
  removeHeader,
  setHeader,
  splitHeaderList,
} from './headers.js';
import { getHeaders } from './message.js';
import type { SipRequest } from './message.js';

function request(headers: [string, string][]): SipRequest {
  return {
    kind: 'request',
    method: 'OPTIONS',
    uri: 'sip:a@b',
    headers: headers.map(([name, value]) => ({ name, value })),
    body: Buffer.alloc(0),
  };
}

describe('splitHeaderList', () => {
  it('splits at commas outside quotes and angle brackets', () => {
    expect(splitHeaderList('"Doe, John" <sip:j@x;a=1,2>;q=0.5, <sip:k@y> , sip:z@w')).toEqual([
      '"Doe, John" <sip:j@x;a=1,2>;q=0.5',
      '<sip:k@y>',
      'sip:z@w',
    ]);
  });

  it('handles escaped quotes and drops empty elements', () => {
    expect(splitHeaderList('"a \\", b", c,, ,d')).toEqual(['"a \\", b"', 'c', 'd']);
    expect(splitHeaderList('')).toEqual([]);
    expect(splitHeaderList(' , ')).toEqual([]);
  });

  it('never throws on unbalanced input', () => {
    expect(splitHeaderList('"unterminated, a')).toEqual(['"unterminated, a']);
    expect(splitHeaderList('<sip:a, b')).toEqual(['<sip:a, b']);
  });
});

describe('parseVia / formatVia', () => {
  it('parses branch, received, rport and other params', () => {
    const via = parseVia('SIP/2.0/udp 192.0.2.1:5060;branch=z9hG4bK776;received=203.0.113.5;rport=40000;x');
    expect(via).toMatchObject({
      protocol: 'SIP/2.0',
      transport: 'UDP',
      host: '192.0.2.1',
      port: 5060,
      branch: 'z9hG4bK776',
      received: '203.0.113.5',
      rport: 40000,
    });
    expect(via.params.get('x')).toBeNull();
  });

  it('distinguishes rport present without value from absent', () => {
    expect(parseVia('SIP/2.0/UDP h;rport').rport).toBeNull();
    expect(parseVia('SIP/2.0/UDP h').rport).toBeUndefined();
    expect(() => parseVia('SIP/2.0/UDP h;rport=70000')).toThrow(SipParseError);
  });

  it('tolerates LWS around slashes, colon, semicolons and equals (RFC 4475 wsinv)', () => {
    const via = parseVia('SIP  / 2.0  / TCP     spindle.example.com   : 5070 ; branch  =   z9hG4bK9ikj8');
    expect(via).toMatchObject({ protocol: 'SIP/2.0', transport: 'TCP', host: 'spindle.example.com', port: 5070 });
    expect(via.branch).toBe('z9hG4bK9ikj8');
  });

  it('parses IPv6 sent-by and received', () => {
    const via = parseVia('SIP/2.0/TLS [2001:db8::9]:5061;branch=z9hG4bKa;received=[2001:db8::1]');
    expect(via.host).toBe('2001:db8::9');
    expect(via.received).toBe('[2001:db8::1]');
    expect(formatVia(via)).toBe('SIP/2.0/TLS [2001:db8::9]:5061;branch=z9hG4bKa;received=[2001:db8::1]');
  });

  it('accepts unknown transports (RFC 4475 transports)', () => {
    expect(parseVia('SIP/2.0/UNKNOWN t4.example.com;branch=z9hG4bKasd0f3en').transport).toBe('UNKNOWN');
  });

  it.each([
    '',
    'SIP/2.0 host',
    'SIP/2.0/UDP',
    'SIP/2.0/UDP 192.0.2.15;;',
    ';',
    'SIP/2.0/UDP host:abc',
    'SIP/2.0/UDP host;branch=',
    'SIP/2.0/UDP host garbage',
    'SIP/2.0/UDP [::1',
  ])('rejects %j (RFC 4475 badinv01 and friends)', (v) => {
    expect(() => parseVia(v)).toThrow(SipParseError);
  });

  it('formatVia: fields override params in place, others follow', () => {
    const via = parseVia('SIP/2.0/UDP 10.0.0.1;rport;branch=z9hG4bK1;foo=bar');
    via.received = '198.51.100.1';
    via.rport = 5062;
    expect(formatVia(via)).toBe('SIP/2.0/UDP 10.0.0.1;rport=5062;branch=z9hG4bK1;foo=bar;received=198.51.100.1');
    expect(formatVia(parseVia(formatVia(via)))).toBe(formatVia(via));
  });

  it('parseVias reads every via-parm of every Via header, long and compact', () => {
    const req = request([
      ['Via', 'SIP/2.0/UDP a;branch=z9hG4bK1, SIP/2.0/TCP b;branch=z9hG4bK2'],
      ['To', '<sip:x@y>'],
      ['v', 'SIP/2.0/UDP c;branch=z9hG4bK3'],
    ]);
    expect(parseVias(req).map((v) => v.host)).toEqual(['a', 'b', 'c']);
  });
});

describe('parseNameAddr / formatNameAddr', () => {
  it('parses quoted display, URI, params and tag', () => {
    const n = parseNameAddr('"Bob \\"B\\" Smith" <sip:bob@biloxi.example.com;transport=tcp>;tag=a6c85cf;expires=60');
    expect(n.display).toBe('Bob "B" Smith');
    expect(n.uri).toBe('sip:bob@biloxi.example.com;transport=tcp');
    expect(n.tag).toBe('a6c85cf');
    expect(n.params.get('expires')).toBe('60');
  });

  it('reads params after a bare addr-spec as header params (RFC 3261 §20.10)', () => {
    const n = parseNameAddr('sip:caller@example.net;tag=134161461246');
    expect(n.uri).toBe('sip:caller@example.net');
    expect(n.tag).toBe('134161461246');
    expect(n.display).toBeUndefined();
  });

  it('accepts a token display name without LWS before < (RFC 4475 lwsdisp)', () => {
    const n = parseNameAddr('caller<sip:caller@example.com>;tag=323');
    expect(n.display).toBe('caller');
    expect(n.tag).toBe('323');
    expect(parseNameAddr("token1~` token2'+_ token3*%!.- <sip:mundane@example.com>").display).toBe(
      "token1~` token2'+_ token3*%!.-",
    );
  });

  it('tolerates LWS around ; and = (RFC 4475 wsinv)', () => {
    const n = parseNameAddr('"Quoted string \\"\\"" <sip:jdrosen@example.com> ; newparam = newvalue ; secondparam ; q = 0.33');
    expect([...n.params]).toEqual([
      ['newparam', 'newvalue'],
      ['secondparam', null],
      ['q', '0.33'],
    ]);
    expect(n.display).toBe('Quoted string ""');
  });

  it('keeps quoted param values with quotes, UTF-8 included (RFC 4475 intmeth)', () => {
    const n = parseNameAddr('<sip:m@example.com>;fromParam\'\'~+*_!.-%="работающий";tag=_token~1\'+`*%!-.');
    expect(n.params.get("fromparam''~+*_!.-%")).toBe('"работающий"');
    expect(n.tag).toBe("_token~1'+`*%!-.");
  });

  it('accepts any URI scheme (RFC 4475 unksm2)', () => {
    expect(parseNameAddr('isbn:2983792873').uri).toBe('isbn:2983792873');
    expect(parseNameAddr('<http://www.example.com>;tag=3234233').tag).toBe('3234233');
  });

  it.each([
    ['"Mr. J. User <sip:j.user@example.com>', 'quotbal'],
    ['"Watson, Thomas" < sip:t.watson@example.org >', 'badaspec'],
    ['Bell, Alexander <sip:a.g.bell@example.com>;tag=43', 'baddn'],
    ['sip:user@example.com?Route=%3Csip:sip.example.com%3E', 'regbadct'],
    ['<sip:a@b', 'missing >'],
    ['<sip:a@b>;tag=1 junk', 'trailing junk'],
    ['<sip:a@b>;', 'empty param'],
    ['*', 'no scheme'],
    ['', 'empty'],
  ])('rejects %j (%s)', (v) => {
    expect(() => parseNameAddr(v)).toThrow(SipParseError);
  });

  it('formats with quotes and brackets, and round-trips', () => {
    const n = parseNameAddr('"A \\"B\\"" <sip:a@b;lr>;tag=1;x');
    expect(formatNameAddr(n)).toBe('"A \\"B\\"" <sip:a@b;lr>;tag=1;x');
    expect(formatNameAddr({ uri: 'sip:a@b', params: new Map(), tag: 'xyz' })).toBe('<sip:a@b>;tag=xyz');
    const bare = parseNameAddr('sip:a@b;tag=9');
    expect(parseNameAddr(formatNameAddr(bare))).toEqual(bare);
  });
});

describe('parseCSeq', () => {
  it('parses number and method, with LWS and leading zeros (RFC 4475 wsinv)', () => {
    expect(parseCSeq('0009 INVITE')).toEqual({ seq: 9, method: 'INVITE' });
    expect(parseCSeq('  101   BYE ')).toEqual({ seq: 101, method: 'BYE' });
    expect(parseCSeq('2147483647 INVITE').seq).toBe(2147483647);
  });

  it.each(['', 'INVITE', '1', '1INVITE', 'x INVITE', '1 INVITE extra', '-1 INVITE', '1 INV<ITE'])('rejects %j', (v) => {
    expect(() => parseCSeq(v)).toThrow(SipParseError);
  });

  it('rejects numbers of 2**31 and more (RFC 4475 scalar02)', () => {
    expect(() => parseCSeq('2147483648 INVITE')).toThrow(/too large/);
    expect(() => parseCSeq('36893488147419103232 REGISTER')).toThrow(/too large/);
  });
});

describe('setHeader / removeHeader', () => {
  it('replaces the first header with the canonical name, in place', () => {
    const req = request([
      ['v', 'SIP/2.0/UDP a'],
      ['Contact', '<sip:a@b>'],
      ['m', '<sip:c@d>'],
    ]);
    setHeader(req, 'Contact', '<sip:new@x>');
    expect(req.headers).toEqual([
      { name: 'v', value: 'SIP/2.0/UDP a' },
      { name: 'Contact', value: '<sip:new@x>' },
      { name: 'm', value: '<sip:c@d>' },
    ]);
    setHeader(req, 'Subject', 'hello');
    expect(req.headers.at(-1)).toEqual({ name: 'Subject', value: 'hello' });
  });

  it('removes every header with the canonical name', () => {
    const req = request([
      ['Via', '1'],
      ['To', 't'],
      ['v', '2'],
      ['VIA', '3'],
    ]);
    removeHeader(req, 'via');
    expect(req.headers).toEqual([{ name: 'To', value: 't' }]);
    expect(getHeaders(req, 'via')).toEqual([]);
  });
});

describe('isToken', () => {
  it('follows the RFC 3261 token set', () => {
    expect(isToken("!interesting-Method0123456789_*+`.%indeed'~")).toBe(true);
    expect(isToken('')).toBe(false);
    expect(isToken('IN VITE')).toBe(false);
    expect(isToken('méthode')).toBe(false);
  });
});
