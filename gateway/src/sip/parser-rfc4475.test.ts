/**
 * Torture tests modelled on RFC 4475 (SIP torture test messages). The messages are reproduced from the RFC's
 * descriptions, not byte-identical copies; each test names the RFC 4475 message it follows.
 */

import { describe, expect, it } from 'vitest';

import { SipError, SipParseError } from './errors.js';
import { parseCSeq, parseNameAddr, parseVias, splitHeaderList } from './headers.js';
import { getHeader, getHeaders } from './message.js';
import type { SipMessage, SipRequest } from './message.js';
import { frameLength, parseMessage } from './parser.js';
import { validateRequest } from './validate.js';
import { serializeMessage } from './serialize.js';
import { isSipUri, parseUri } from './uri.js';

const SDP = 'v=0\r\no=mhandley 29739 7272939 IN IP4 192.0.2.3\r\ns=-\r\nc=IN IP4 192.0.2.4\r\nt=0 0\r\nm=audio 49217 RTP/AVP 0 12\r\nm=video 3227 RTP/AVP 31\r\na=rtpmap:31 LPC\r\n';

function wire(lines: string[], body = ''): Buffer {
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n${body}`);
}

function req(m: SipMessage): SipRequest {
  if (m.kind !== 'request') throw new Error('expected a request');
  return m;
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

describe('RFC 4475 §3.1.1 valid messages', () => {
  it('wsinv: short tortuous INVITE', () => {
    const m = req(
      parseMessage(
        wire(
          [
            'INVITE sip:vivekg@chair-dnrc.example.com;unknownparam SIP/2.0',
            'TO :',
            ' sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n',
            'from   : "J Rosenberg \\\\\\""       <sip:jdrosen@example.com>',
            '  ;',
            '  tag = 98asjd8',
            'MaX-fOrWaRdS: 0068',
            'Call-ID: wsinv.ndaksdj@192.0.2.1',
            `Content-Length   : ${Buffer.byteLength(SDP)}`,
            'cseq: 0009',
            '  INVITE',
            'Via  : SIP  /   2.0',
            ' /UDP',
            '    192.0.2.2;branch=390skdjuw',
            's :',
            'NewFangledHeader:   newfangled value',
            ' continued newfangled value',
            'UnknownHeaderWithUnusualValue: ;;,,;;,;',
            'Content-Type: application/sdp',
            'Route:',
            ' <sip:services.example.com;lr;unknownwith=value;unknown-no-value>',
            'v:  SIP  / 2.0  / TCP     spindle.example.com   ;',
            '  branch  =   z9hG4bK9ikj8  ,',
            ' SIP  /    2.0   / UDP  192.168.255.111   ; branch=',
            ' z9hG4bK30239',
            'm:"Quoted string \\"\\"" <sip:jdrosen@example.com> ; newparam =',
            '      newvalue ;',
            '  secondparam ; q = 0.33',
          ],
          SDP,
        ),
      ),
    );
    expect(() => validateRequest(m)).not.toThrow();
    expect(m.headers.map((h) => h.name)).toEqual([
      'TO', 'from', 'MaX-fOrWaRdS', 'Call-ID', 'Content-Length', 'cseq', 'Via', 's', 'NewFangledHeader',
      'UnknownHeaderWithUnusualValue', 'Content-Type', 'Route', 'v', 'm',
    ]);
    expect(getHeader(m, 'subject')).toBe('');
    expect(getHeader(m, 'NewFangledHeader')).toBe('newfangled value continued newfangled value');
    expect(getHeader(m, 'UnknownHeaderWithUnusualValue')).toBe(';;,,;;,;');
    expect(parseCSeq(getHeader(m, 'cseq') ?? '')).toEqual({ seq: 9, method: 'INVITE' });
    expect(getHeader(m, 'max-forwards')).toBe('0068');
    const from = parseNameAddr(getHeader(m, 'from') ?? '');
    expect(from).toMatchObject({ display: 'J Rosenberg \\"', uri: 'sip:jdrosen@example.com', tag: '98asjd8' });
    expect(parseNameAddr(getHeader(m, 'to') ?? '').tag).toBe('1918181833n');
    expect(parseVias(m).map((v) => [v.transport, v.host, v.branch])).toEqual([
      ['UDP', '192.0.2.2', '390skdjuw'],
      ['TCP', 'spindle.example.com', 'z9hG4bK9ikj8'],
      ['UDP', '192.168.255.111', 'z9hG4bK30239'],
    ]);
    expect(parseNameAddr(getHeader(m, 'contact') ?? '').params.get('q')).toBe('0.33');
    expect(m.body.toString()).toBe(SDP);
  });

  it('intmeth: wide range of valid characters', () => {
    const method = "!interesting-Method0123456789_*+`.%indeed'~";
    const raw = Buffer.concat([
      Buffer.from(
        [
          `${method} sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com SIP/2.0`,
          "Via: SIP/2.0/TCP host1.example.com;branch=z9hG4bK-.!%66*_+`'~",
          'To: "BEL:\\',
        ].join('\r\n'),
      ),
      Buffer.from([0x07]),
      Buffer.from(' NUL:\\'),
      Buffer.from([0x00]),
      Buffer.from(' DEL:\\'),
      Buffer.from([0x7f]),
      Buffer.from(
        `" <sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*@example.com>\r\n` +
          [
            'From: token1~` token2\'+_ token3*%!.- <sip:mundane@example.com>;fromParam\'\'~+*_!.-%="работающий";tag=_token~1\'+`*%!-.',
            'Call-ID: intmeth.word%ZK-!.*_+\'@word`~)(><:\\/"][?}{',
            `CSeq: 139122385 ${method}`,
            'Max-Forwards: 255',
            "extensionHeader-!.%*+_`'~: \uFEFF大停電",
            'Content-Length: 0',
            '',
            '',
          ].join('\r\n'),
      ),
    ]);
    const m = req(parseMessage(raw));
    expect(m.method).toBe(method);
    expect(() => validateRequest(m)).not.toThrow();
    expect(parseNameAddr(getHeader(m, 'to') ?? '').display).toBe('BEL:\u0007 NUL:\u0000 DEL:\u007f');
    expect(getHeader(m, "extensionHeader-!.%*+_`'~")).toBe('\uFEFF大停電');
    expect(serializeMessage(m).equals(raw)).toBe(true);
  });

  it('esc01 / escnull / esc02: escaped characters in URIs and a method with %', () => {
    const esc01 = req(
      parseMessage(
        wire([
          'INVITE sip:sips%3Auser%40example.com@example.net SIP/2.0',
          'To: sip:%75se%72@example.com',
          'From: <sip:I%20have%20spaces@example.net>;tag=938',
          'Max-Forwards: 87',
          'i: esc01.239409asdfakjkn23onasd0-3234',
          'CSeq: 234234 INVITE',
          'Via: SIP/2.0/UDP host5.example.net;branch=z9hG4bKkdjuw',
          'C: application/sdp',
          'Contact:',
          '  <sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31>',
          'l: 0',
        ]),
      ),
    );
    expect(() => validateRequest(esc01)).not.toThrow();
    const ruri = parseUri(esc01.uri);
    expect(isSipUri(ruri) && ruri.user).toBe('sips:user@example.com');
    const contact = parseUri(parseNameAddr(getHeader(esc01, 'contact') ?? '').uri);
    expect(isSipUri(contact) && contact.user).toBe('caller');

    const escnull = parseUri(parseNameAddr('<sip:%00%00@host5.example.com>').uri);
    expect(isSipUri(escnull) && escnull.user).toBe('\u0000\u0000');

    const esc02 = req(
      parseMessage(
        wire([
          'RE%47IST%45R sip:registrar.example.com SIP/2.0',
          'To: "%Z%45" <sip:resource@example.com>',
          'From: "%11" <sip:resource@example.com>;tag=f232jadfj23',
          'Call-ID: esc02.asdfnqwo34rq23i34jrjasdcnl23nrlknsdf',
          'Via: SIP/2.0/TCP 192.0.2.200;branch=z9hG4bK209793',
          'CSeq: 29344 RE%47IST%45R',
          'Max-Forwards: 70',
          'Contact: <sip:alias1@example.com>, <sip:alias2@example.com>, <sip:alias3@example.com>',
          'l: 0',
        ]),
      ),
    );
    expect(esc02.method).toBe('RE%47IST%45R');
    expect(() => validateRequest(esc02)).not.toThrow();
    expect(parseNameAddr(getHeader(esc02, 'to') ?? '').display).toBe('%Z%45');
    expect(splitHeaderList(getHeader(esc02, 'contact') ?? '')).toHaveLength(3);
  });

  it('lwsdisp: no LWS between display name and <', () => {
    const m = req(
      parseMessage(
        wire([
          'OPTIONS sip:user@example.com SIP/2.0',
          'To: sip:user@example.com',
          'From: caller<sip:caller@example.com>;tag=323',
          'Max-Forwards: 70',
          'Call-ID: lwsdisp.1234abcd@funky.example.com',
          'CSeq: 60 OPTIONS',
          'Via: SIP/2.0/UDP funky.example.com;branch=z9hG4bKkdjuw',
          'l: 0',
        ]),
      ),
    );
    expect(() => validateRequest(m)).not.toThrow();
    expect(parseNameAddr(getHeader(m, 'from') ?? '')).toMatchObject({ display: 'caller', tag: '323' });
  });

  it('longreq: long values in header fields', () => {
    const long = 'longreq.one'.padEnd(3000, 'x');
    const vias = Array.from({ length: 40 }, (_, i) => `SIP/2.0/TCP sip${i}.example.com;branch=z9hG4bK${'y'.repeat(60)}${i}`);
    const m = req(
      parseMessage(
        wire([
          'INVITE sip:user@example.com SIP/2.0',
          `To: "I have a user name of ${'extreme'.repeat(80)} proportion" <sip:user@example.com:6000;unknownparam1=verylonguselessvalue${'x'.repeat(400)};unknownparam2=${'z'.repeat(300)}>`,
          `F: sip:${'amazinglylongcallername'.repeat(20)}@example.net;tag=${'12'.repeat(300)};unknownheaderparamname=${'u'.repeat(500)}`,
          `Call-ID: ${long}`,
          'CSeq: 3882340 INVITE',
          `Unknown-${'LongLong'.repeat(30)}-Name: ${'unknown-long-value'.repeat(100)}`,
          `Via: ${vias.slice(0, 20).join(', ')}`,
          ...vias.slice(20).map((v) => `v: ${v}`),
          'Max-Forwards: 70',
          `Contact: <sip:${'amazinglylongcallername'.repeat(20)}@host5.example.net>`,
          'Content-Length: 0',
        ]),
      ),
    );
    expect(() => validateRequest(m)).not.toThrow();
    expect(parseVias(m)).toHaveLength(40);
    expect(getHeader(m, 'call-id')).toBe(long);
    expect(parseNameAddr(getHeader(m, 'f') ?? '').tag).toHaveLength(600);
  });

  it('dblreq: extra trailing octets in a UDP datagram are ignored', () => {
    const register = wire([
      'REGISTER sip:example.com SIP/2.0',
      'To: sip:j.user@example.com',
      'From: sip:j.user@example.com;tag=43251j3j324',
      'Max-Forwards: 8',
      'I: dblreq.0ha0isndaksdj99sdfafnl3lk233412',
      'Contact: sip:j.user@host.example.com',
      'CSeq: 8 REGISTER',
      'Via: SIP/2.0/UDP 192.0.2.125;branch=z9hG4bKkdjuw23492',
      'Content-Length: 0',
    ]);
    const invite = wire(['INVITE sip:joe@example.com SIP/2.0', 't: sip:joe@example.com', 'l: 0']);
    const m = req(parseMessage(Buffer.concat([register, invite])));
    expect(m.method).toBe('REGISTER');
    expect(m.body.length).toBe(0);
    expect(() => validateRequest(m)).not.toThrow();
    expect(frameLength(Buffer.concat([register, invite]), 65535)).toBe(register.length);
  });

  it('semiuri / transports / mpart01: unusual but valid', () => {
    expect(req(parseMessage(wire(['OPTIONS sip:user;par=u%40example.net@example.com SIP/2.0']))).uri).toBe(
      'sip:user;par=u%40example.net@example.com',
    );
    const transports = parseMessage(
      wire([
        'OPTIONS sip:user@example.com SIP/2.0',
        'Via: SIP/2.0/UDP t1.example.com;branch=z9hG4bKkdjuw',
        'Via: SIP/2.0/SCTP t2.example.com;branch=z9hG4bKklasjdhf',
        'Via: SIP/2.0/TLS t3.example.com;branch=z9hG4bK2980unddj',
        'Via: SIP/2.0/UNKNOWN t4.example.com;branch=z9hG4bKasd0f3en',
        'Via: SIP/2.0/TCP t5.example.com;branch=z9hG4bK0a9idfnee',
      ]),
    );
    expect(parseVias(transports).map((v) => v.transport)).toEqual(['UDP', 'SCTP', 'TLS', 'UNKNOWN', 'TCP']);
    const multipart = '--boundary42\r\nContent-Type: application/sdp\r\n\r\nv=0\r\n\r\n--boundary42--\r\n';
    const m = parseMessage(
      wire(
        [
          'MESSAGE sip:kumiko@example.org SIP/2.0',
          'Content-Type: multipart/mixed;boundary=boundary42',
          `Content-Length: ${multipart.length}`,
        ],
        multipart,
      ),
    );
    expect(m.body.toString()).toBe(multipart);
  });

  it('unreason / noreason: unusual and empty reason phrases', () => {
    const phrase = '= 2**3 * 5**2 но сто девяносто девять - простое';
    const unreason = wire([`SIP/2.0 200 ${phrase}`, 'Content-Length: 0']);
    expect(parseMessage(unreason)).toMatchObject({ status: 200, reason: phrase });
    expect(serializeMessage(parseMessage(unreason)).equals(unreason)).toBe(true);
    const noreason = wire(['SIP/2.0 100 ', 'Content-Length: 0']);
    expect(parseMessage(noreason)).toMatchObject({ status: 100, reason: '' });
    expect(serializeMessage(parseMessage(noreason)).equals(noreason)).toBe(true);
    expect(parseMessage(wire(['SIP/2.0 100']))).toMatchObject({ status: 100, reason: '' });
  });
});

describe('RFC 4475 §3.1.2 invalid messages', () => {
  const common = [
    'To: sip:j.user@example.com',
    'From: sip:caller@example.net;tag=134161461246',
    'Max-Forwards: 7',
    'Call-ID: invalid.0ha0isndaksdjweiafasdk3',
  ];

  it('badinv01: extraneous header field separators → 400 from validateRequest', () => {
    const m = req(
      parseMessage(
        wire(['INVITE sip:user@example.com SIP/2.0', ...common, 'CSeq: 8 INVITE', 'Via: SIP/2.0/UDP 192.0.2.15;;,;,,', 'Contact: "Joe" <sip:joe@example.org>;;;;', 'Content-Length: 0']),
      ),
    );
    expect(thrown(() => validateRequest(m))).toMatchObject({ status: 400, reason: 'Bad Request - Malformed Via' });
    expect(() => parseNameAddr(getHeader(m, 'contact') ?? '')).toThrow(SipParseError);
  });

  it('clerr / ncl: Content-Length larger than the message, negative', () => {
    const head = ['INVITE sip:user@example.com SIP/2.0', ...common, 'CSeq: 8 INVITE', 'Via: SIP/2.0/UDP host5.example.com;branch=z9hG4bK-39234-23523', 'Content-Type: application/sdp'];
    const clerr = thrown(() => parseMessage(wire([...head, 'Content-Length: 9999'], SDP)));
    expect(clerr).toMatchObject({ status: 400, reason: 'Bad Request - Content-Length exceeds message' });
    expect(clerr instanceof SipParseError && clerr.partial?.headers.length).toBe(8);
    const ncl = thrown(() => parseMessage(wire([...head, 'Content-Length: -999'], SDP)));
    expect(ncl).toMatchObject({ status: 400, reason: 'Bad Request - Invalid Content-Length' });
  });

  it('scalar02 / scalarlg: overlarge scalar values', () => {
    const scalar02 = req(
      parseMessage(
        wire([
          'REGISTER sip:example.com SIP/2.0',
          'Via: SIP/2.0/TCP host129.example.com;branch=z9hG4bKzzxdiwo34sw;received=192.0.2.129',
          'Max-Forwards: 255',
          'From: <sip:user@example.com>;tag=239232jh3',
          'To: <sip:user@example.com>',
          'Call-ID: scalar02.23o0pd9vanlq3wnrlnewofjas9ui32',
          'CSeq: 36893488147419103232 REGISTER',
          'Contact: <sip:user@host129.example.com>;expires=280297596632815',
          'Content-Length: 0',
        ]),
      ),
    );
    expect(thrown(() => validateRequest(scalar02))).toMatchObject({ status: 400, code: 'SIP_BAD_CSEQ' });
    const scalarlg = parseMessage(
      wire(['SIP/2.0 503 Service Unavailable', 'CSeq: 9292394834772304023312 OPTIONS', 'Retry-After: 949302838503028349304023988', 'Content-Length: 0']),
    );
    expect(scalarlg.kind).toBe('response');
    expect(() => parseCSeq(getHeader(scalarlg, 'cseq') ?? '')).toThrow(SipParseError);
  });

  it('quotbal / badaspec / baddn / regbadct: broken name-addrs → 400 from validateRequest', () => {
    for (const to of [
      'To: "Mr. J. User <sip:j.user@example.com>',
      'To: "Watson, Thomas" < sip:t.watson@example.org >',
      'To: Watson, Thomas <sip:t.watson@example.org>',
    ]) {
      const m = req(parseMessage(wire(['OPTIONS sip:t.watson@example.org SIP/2.0', to, ...common.slice(1), 'CSeq: 1 OPTIONS', 'Via: SIP/2.0/UDP h;branch=z9hG4bK1'])));
      expect((thrown(() => validateRequest(m)) as SipError).status).toBe(400);
    }
    expect(() => parseNameAddr('sip:user@example.com?Route=%3Csip:sip.example.com%3E')).toThrow(SipParseError);
  });

  it('ltgtruri / lwsruri: malformed Request-URIs → 400 from the parser', () => {
    expect(thrown(() => parseMessage(wire(['INVITE <sip:user@example.com> SIP/2.0', ...common])))).toMatchObject({
      status: 400,
      reason: 'Bad Request - Malformed Request-URI',
    });
    expect(thrown(() => parseMessage(wire(['INVITE sip:user@example.com; lr SIP/2.0', ...common])))).toMatchObject({
      status: 400,
      reason: 'Bad Request - Whitespace in Request-URI',
    });
  });

  it('lwsstart / trws: extra SP in the Request-Line is tolerated and not forwarded', () => {
    const m = parseMessage(wire(['INVITE  sip:user@example.com  SIP/2.0', ...common]));
    const t = parseMessage(wire(['OPTIONS sip:remote-target@example.com SIP/2.0  ', ...common]));
    expect(serializeMessage(m).toString().split('\r\n')[0]).toBe('INVITE sip:user@example.com SIP/2.0');
    expect(serializeMessage(t).toString().split('\r\n')[0]).toBe('OPTIONS sip:remote-target@example.com SIP/2.0');
  });

  it('escruri: escaped headers in the Request-URI → 400', () => {
    const m = req(parseMessage(wire(['INVITE sip:user@example.com?Route=%3Csip:example.com%3E SIP/2.0', ...common, 'CSeq: 1 INVITE', 'Via: SIP/2.0/UDP h;branch=z9hG4bK1'])));
    expect(thrown(() => validateRequest(m))).toMatchObject({ status: 400, reason: 'Bad Request - Headers not allowed in Request-URI' });
  });

  it('baddate: an invalid Date is left to the application', () => {
    expect(getHeader(parseMessage(wire(['INVITE sip:u@example.com SIP/2.0', 'Date: Fri, 01 Jan 2010 16:00:00 EST'])), 'date')).toContain('EST');
  });

  it('badvers → 505; mismatch01 / mismatch02 → 400; bigcode → 400', () => {
    expect(thrown(() => parseMessage(wire(['OPTIONS sip:t.watson@example.org SIP/7.0', ...common])))).toMatchObject({ status: 505 });
    for (const start of ['OPTIONS sip:user@example.com SIP/2.0', 'NEWMETHOD sip:user@example.com SIP/2.0']) {
      const m = req(parseMessage(wire([start, ...common, 'CSeq: 8 INVITE', 'Via: SIP/2.0/UDP h;branch=z9hG4bK1'])));
      expect(thrown(() => validateRequest(m))).toMatchObject({ status: 400, code: 'SIP_CSEQ_MISMATCH' });
    }
    expect(thrown(() => parseMessage(wire(['SIP/2.0 4294967301 better not break the receiver'])))).toMatchObject({ status: 400 });
  });
});

describe('RFC 4475 §3.3 transaction and application layer', () => {
  const via = 'Via: SIP/2.0/UDP 192.0.2.95;branch=z9hG4bKkdj.x';
  const good = ['To: <sip:j_user@example.com>', 'From: <sip:caller@example.net>;tag=329429089', 'Call-ID: app.0ha0isnda977644900765@192.0.2.95', via, 'Max-Forwards: 70'];

  it('insuf: missing required headers → 400', () => {
    const m = req(parseMessage(wire(['INVITE sip:user@example.com SIP/2.0', 'CSeq: 193942 INVITE', via, 'Content-Type: application/sdp', 'l: 0'])));
    expect(thrown(() => validateRequest(m))).toMatchObject({ status: 400, reason: 'Bad Request - Missing From', code: 'SIP_MISSING_HEADER' });
  });

  it('unkscm / novelsc: unknown Request-URI schemes → 416', () => {
    for (const uri of ['nobodyKnowsThisScheme:totallyopaquecontent', 'soap.beep://192.0.2.103:3002']) {
      const m = req(parseMessage(wire([`OPTIONS ${uri} SIP/2.0`, ...good, 'CSeq: 1 OPTIONS'])));
      expect(thrown(() => validateRequest(m))).toMatchObject({ status: 416 });
    }
  });

  it('unksm2: unknown schemes in To/From/Contact are accepted', () => {
    const m = req(
      parseMessage(wire(['REGISTER sip:example.com SIP/2.0', 'To: isbn:2983792873', 'From: <http://www.example.com>;tag=3234233', 'Call-ID: unksm2.daksdj@hyphenated-host.example.com', via, 'CSeq: 234902 REGISTER', 'Contact: <name:John_Smith>', 'l: 0'])),
    );
    expect(() => validateRequest(m)).not.toThrow();
  });

  it('bext01 / invut / regaut01 / sdp01: unknown extensions, types and schemes parse fine', () => {
    const m = req(
      parseMessage(
        wire(['OPTIONS sip:user@example.com SIP/2.0', ...good, 'CSeq: 8 OPTIONS', 'Require: nothingSupported', 'Proxy-Require: noProxiesSupport', 'Authorization: NoOneKnowsThisScheme opaque-data=here', 'Accept: text/nobodyKnowsThis', 'Content-Type: application/unknownformat', 'Content-Length: 5'], '<xml>'),
      ),
    );
    expect(() => validateRequest(m)).not.toThrow();
    expect(getHeader(m, 'require')).toBe('nothingSupported');
    expect(m.body.toString()).toBe('<xml>');
  });

  it('multi01: multiple values in single-value fields → 400', () => {
    const m = req(parseMessage(wire(['INVITE sip:user@company.com SIP/2.0', ...good, 'CSeq: 5 INVITE', 'Call-ID: multi01.98asdh@192.0.2.2', 'CSeq: 59 INVITE'])));
    expect(thrown(() => validateRequest(m))).toMatchObject({ status: 400, code: 'SIP_DUPLICATE_HEADER' });
  });

  it('mcl01: multiple differing Content-Length values → 400', () => {
    const e = thrown(() => parseMessage(wire(['OPTIONS sip:user@example.com SIP/2.0', ...good, 'Content-Length: 13', 'Content-Length: 5'], "There's no way to know")));
    expect(e).toMatchObject({ status: 400, reason: 'Bad Request - Conflicting Content-Length values' });
  });

  it('bcast: a response with a broadcast Via parses; the address is for the transport to refuse', () => {
    const m = parseMessage(wire(['SIP/2.0 200 OK', 'Via: SIP/2.0/UDP 192.0.2.198;branch=z9hG4bK1324923', 'Via: SIP/2.0/UDP 255.255.255.255;branch=z9hG4bK1saber23', 'Content-Length: 0']));
    expect(parseVias(m).map((v) => v.host)).toEqual(['192.0.2.198', '255.255.255.255']);
  });

  it('zeromf: Max-Forwards 0 → 483 by default, processed when allowed', () => {
    const m = req(parseMessage(wire(['OPTIONS sip:user@example.com SIP/2.0', ...good.slice(0, -1), 'Max-Forwards: 0', 'CSeq: 1 OPTIONS'])));
    expect(thrown(() => validateRequest(m))).toMatchObject({ status: 483 });
    expect(() => validateRequest(m, { allowZeroMaxForwards: true })).not.toThrow();
  });

  it('cparam01 / cparam02 / regescrt: Contact parameters and escaped URI headers', () => {
    const c1 = parseNameAddr('<sip:+19725552222@gw1.example.net;unknownparam>');
    expect(c1.params.size).toBe(0);
    const c2 = parseNameAddr('sip:+19725552222@gw1.example.net;unknownparam');
    expect(c2.params.get('unknownparam')).toBeNull();
    const esc = parseUri(parseNameAddr('<sip:user@example.com?Route=%3Csip:sip.example.com%3E>').uri);
    expect(isSipUri(esc) && esc.headers.get('Route')).toBe('<sip:sip.example.com>');
    expect(getHeaders(parseMessage(wire(['REGISTER sip:example.com SIP/2.0', 'Contact: <sip:a@b>;expires=10, <sip:c@d>'])), 'm')).toHaveLength(1);
  });
});
