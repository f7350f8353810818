import { describe, expect, it } from 'vitest';

import { SipError, SipParseError } from './errors.js';
import { getHeader } from './message.js';
import type { SipMessage, SipRequest } from './message.js';
import { frameLength, parseMessage } from './parser.js';
import { validateRequest } from './validate.js';
import { serializeMessage } from './serialize.js';

const SDP = 'v=0\r\no=- 1 1 IN IP4 203.0.113.10\r\ns=-\r\nc=IN IP4 203.0.113.10\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n';

/** Join lines with CRLF, end the head with an empty line, append the body. */
function wire(lines: string[], body = ''): Buffer {
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n${body}`);
}

const INVITE_LINES = [
  'INVITE sip:+15550100002@gw.example.com SIP/2.0',
  'Via: SIP/2.0/UDP 203.0.113.10:5060;branch=z9hG4bK-1;rport',
  'Max-Forwards: 70',
  'From: "Alice" <sip:+15550100001@trunk.example.net>;tag=9fxced76sl',
  'To: <sip:+15550100002@gw.example.com>',
  'Call-ID: 3848276298220188511@203.0.113.10',
  'CSeq: 1 INVITE',
  'Contact: <sip:+15550100001@203.0.113.10:5060>',
  'Content-Type: application/sdp',
  `Content-Length: ${Buffer.byteLength(SDP)}`,
];
const INVITE = wire(INVITE_LINES, SDP);

function parseError(input: Buffer, options?: Parameters<typeof parseMessage>[1]): SipParseError {
  try {
    parseMessage(input, options);
  } catch (err) {
    if (err instanceof SipParseError) return err;
    throw err;
  }
  throw new Error('expected a SipParseError');
}

function request(input: Buffer): SipRequest {
  const m = parseMessage(input);
  if (m.kind !== 'request') throw new Error('expected a request');
  return m;
}

describe('parseMessage: requests and responses', () => {
  it('parses an INVITE with SDP', () => {
    const m = request(INVITE);
    expect(m.method).toBe('INVITE');
    expect(m.uri).toBe('sip:+15550100002@gw.example.com');
    expect(m.headers).toHaveLength(9);
    expect(m.headers[0]).toEqual({ name: 'Via', value: 'SIP/2.0/UDP 203.0.113.10:5060;branch=z9hG4bK-1;rport' });
    expect(m.body.toString()).toBe(SDP);
  });

  it('parses a response with a multi-word reason', () => {
    const m = parseMessage(wire(['SIP/2.0 183 Session Progress', 'Content-Length: 0']));
    expect(m).toMatchObject({ kind: 'response', status: 183, reason: 'Session Progress' });
  });

  it('keeps header names as written and unknown headers', () => {
    const m = parseMessage(wire(['OPTIONS sip:a@b SIP/2.0', 'X-Custom-Thing: 42', 'i: abc', 'CALL-ID: def']));
    expect(m.headers.map((h) => h.name)).toEqual(['X-Custom-Thing', 'i', 'CALL-ID']);
    expect(getHeader(m, 'call-id')).toBe('abc');
  });

  it('skips leading CRLFs (RFC 3261 §7.5) and accepts bare LF line ends', () => {
    const m = request(Buffer.from('\r\n\r\nOPTIONS sip:a@b SIP/2.0\nVia: SIP/2.0/UDP h\nContent-Length: 4\n\nbody'));
    expect(m.method).toBe('OPTIONS');
    expect(m.headers).toHaveLength(2);
    expect(m.body.toString()).toBe('body');
  });

  it('unfolds continuation lines to one space and trims values', () => {
    const m = parseMessage(wire(['OPTIONS sip:a@b SIP/2.0', 'Subject:   first  ', ' \t second', '\tthird', 'Empty:']));
    expect(m.headers).toEqual([
      { name: 'Subject', value: 'first second third' },
      { name: 'Empty', value: '' },
    ]);
  });

  it('allows whitespace before the colon (HCOLON)', () => {
    const m = parseMessage(wire(['OPTIONS sip:a@b SIP/2.0', 'Call-ID \t : x@y']));
    expect(m.headers[0]).toEqual({ name: 'Call-ID', value: 'x@y' });
  });

  it('method tokens are case-sensitive and kept', () => {
    expect(request(wire(['invite sip:a@b SIP/2.0'])).method).toBe('invite');
  });

  it('accepts a lower-case SIP-Version (RFC 3261 §7.1)', () => {
    expect(request(wire(['OPTIONS sip:a@b sip/2.0'])).method).toBe('OPTIONS');
  });

  it('tolerates extra SP/HTAB between start-line elements (RFC 4475 lwsstart, trws)', () => {
    const m = request(wire(['INVITE  sip:user@example.com \t SIP/2.0  ']));
    expect(m.uri).toBe('sip:user@example.com');
    const r = parseMessage(wire(['SIP/2.0   200    OK  ']));
    expect(r).toMatchObject({ status: 200, reason: 'OK' });
  });

  it('returns the body as a view into the input buffer', () => {
    const m = parseMessage(INVITE);
    expect(m.body.buffer).toBe(INVITE.buffer);
  });
});

describe('parseMessage: body and Content-Length', () => {
  it('truncates the body to Content-Length on datagrams (RFC 4475 dblreq)', () => {
    const m = parseMessage(Buffer.concat([wire(['OPTIONS sip:a@b SIP/2.0', 'l: 3']), Buffer.from('abcdef')]));
    expect(m.body.toString()).toBe('abc');
  });

  it('takes the rest of the datagram when Content-Length is absent', () => {
    expect(parseMessage(wire(['OPTIONS sip:a@b SIP/2.0'], 'xyz')).body.toString()).toBe('xyz');
  });

  it('requires Content-Length on streams', () => {
    const err = parseError(wire(['OPTIONS sip:a@b SIP/2.0'], 'xyz'), { datagram: false });
    expect(err.reason).toBe('Bad Request - Missing Content-Length');
  });

  it('accepts repeated equal Content-Length values', () => {
    const m = parseMessage(wire(['OPTIONS sip:a@b SIP/2.0', 'Content-Length: 2', 'l: 02'], 'ab'));
    expect(m.body.toString()).toBe('ab');
  });

  it.each([
    [['Content-Length: 9999'], 'hi', 'Bad Request - Content-Length exceeds message'],
    [['Content-Length: -999'], '', 'Bad Request - Invalid Content-Length'],
    [['Content-Length: 1e3'], '', 'Bad Request - Invalid Content-Length'],
    [['Content-Length:'], '', 'Bad Request - Invalid Content-Length'],
    [['Content-Length: 13', 'Content-Length: 5'], 'There is no way to know', 'Bad Request - Conflicting Content-Length values'],
    [['Content-Length: 99999999999999999999999'], 'x', 'Bad Request - Content-Length exceeds message'],
  ])('rejects %j with %j', (headers, body, reason) => {
    const err = parseError(wire(['OPTIONS sip:a@b SIP/2.0', 'Call-ID: cl@x', ...headers], body));
    expect(err.status).toBe(400);
    expect(err.code).toBe('SIP_BAD_CONTENT_LENGTH');
    expect(err.reason).toBe(reason);
    expect(err.partial?.headers[0]).toEqual({ name: 'Call-ID', value: 'cl@x' });
  });
});

describe('parseMessage: failures', () => {
  it.each([
    ['empty', '', 'Bad Request - Empty message', 'SIP_EMPTY_MESSAGE'],
    ['only CRLFs', '\r\n\r\n\r\n', 'Bad Request - Empty message', 'SIP_EMPTY_MESSAGE'],
    ['no empty line', 'OPTIONS sip:a@b SIP/2.0\r\nVia: x', 'Bad Request - Incomplete message (no empty line after the headers)', 'SIP_INCOMPLETE'],
    ['binary', '\u0000\u0001\u0002\u00ff\r\n\r\n', 'Bad Request - Control character in start line', 'SIP_BINARY'],
    ['HTTP', 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', 'Bad Request - Malformed Request-Line', 'SIP_BAD_START_LINE'],
    ['two tokens', 'OPTIONS sip:a@b\r\n\r\n', 'Bad Request - Malformed Request-Line', 'SIP_BAD_START_LINE'],
    ['bad method', 'OPT<IONS sip:a@b SIP/2.0\r\n\r\n', 'Bad Request - Malformed start line', 'SIP_BAD_START_LINE'],
    ['status 99', 'SIP/2.0 99 Low\r\n\r\n', 'Bad Request - Malformed Status-Line', 'SIP_BAD_START_LINE'],
    ['status 2000', 'SIP/2.0 2000 OK\r\n\r\n', 'Bad Request - Malformed Status-Line', 'SIP_BAD_START_LINE'],
    ['leading SP', ' OPTIONS sip:a@b SIP/2.0\r\n\r\n', 'Bad Request - Malformed start line', 'SIP_BAD_START_LINE'],
    ['bare CR', 'OPTIONS sip:a@b SIP/2.0\r\nVia: a\rInjected: b\r\n\r\n', 'Bad Request - Malformed header at line 2 (bare CR)', 'SIP_BAD_HEADER'],
  ])('%s → 400', (_name, text, reason, code) => {
    const err = parseError(Buffer.from(text, 'latin1'));
    expect(err.status).toBe(400);
    expect(err.reason).toBe(reason);
    expect(err.code).toBe(code);
  });

  it('names the line of a header without a colon, and salvages the rest', () => {
    const err = parseError(
      wire(['INVITE sip:a@b SIP/2.0', 'Via: SIP/2.0/UDP h;branch=z9hG4bK1', 'this line has no colon', 'Call-ID: c@h', 'CSeq: 1 INVITE']),
    );
    expect(err.reason).toBe('Bad Request - Malformed header at line 3 (no colon)');
    expect(err.code).toBe('SIP_BAD_HEADER');
    expect(err.partial?.startLine).toBe('INVITE sip:a@b SIP/2.0');
    expect(err.partial?.headers.map((h) => h.name)).toEqual(['Via', 'Call-ID', 'CSeq']);
  });

  it('rejects invalid header names and folds without a header', () => {
    expect(parseError(wire(['OPTIONS sip:a@b SIP/2.0', 'Bad Name: x'])).reason).toBe(
      'Bad Request - Malformed header at line 2 (invalid header name)',
    );
    expect(parseError(wire(['OPTIONS sip:a@b SIP/2.0', ': x'])).code).toBe('SIP_BAD_HEADER');
    expect(parseError(wire(['OPTIONS sip:a@b SIP/2.0', ' folded: x'])).reason).toContain('continuation without a header');
  });

  it('answers 505 to another SIP version, with the headers salvaged (RFC 4475 badvers)', () => {
    const err = parseError(wire(['OPTIONS sip:t.watson@example.org SIP/7.0', 'Call-ID: badvers.x', 'CSeq: 1 OPTIONS']));
    expect(err.status).toBe(505);
    expect(err.reason).toBe('Version Not Supported - SIP/7.0');
    expect(err.code).toBe('SIP_BAD_VERSION');
    expect(err.partial?.headers).toHaveLength(2);
    expect(parseError(wire(['SIP/3.0 200 OK'])).status).toBe(505);
  });

  it('answers 513 above maxMessageBytes and still salvages the head', () => {
    const big = wire(['INVITE sip:a@b SIP/2.0', 'Call-ID: big@x'], 'x'.repeat(70_000));
    const err = parseError(big);
    expect(err.status).toBe(513);
    expect(err.reason).toBe('Message Too Large');
    expect(err.partial?.headers).toEqual([{ name: 'Call-ID', value: 'big@x' }]);
    expect(parseError(INVITE, { maxMessageBytes: 100 }).status).toBe(513);
    expect(parseMessage(INVITE, { maxMessageBytes: INVITE.length }).kind).toBe('request');
  });
});

describe('round trip: serializeMessage(parseMessage(raw)) equals raw', () => {
  const cases: [string, Buffer][] = [
    ['INVITE with SDP', INVITE],
    [
      '200 OK with SDP',
      wire(
        [
          'SIP/2.0 200 OK',
          'Via: SIP/2.0/UDP 203.0.113.10:5060;branch=z9hG4bK-1;rport=5060;received=203.0.113.10',
          'From: "Alice" <sip:+15550100001@trunk.example.net>;tag=9fxced76sl',
          'To: <sip:+15550100002@gw.example.com>;tag=8321234356',
          'Call-ID: 3848276298220188511@203.0.113.10',
          'CSeq: 1 INVITE',
          'Contact: <sip:gw@198.51.100.2:5060>',
          'Content-Type: application/sdp',
          `Content-Length: ${Buffer.byteLength(SDP)}`,
        ],
        SDP,
      ),
    ],
    [
      'BYE',
      wire([
        'BYE sip:+15550100001@203.0.113.10:5060 SIP/2.0',
        'Via: SIP/2.0/UDP 198.51.100.2:5060;branch=z9hG4bKnashds7',
        'Max-Forwards: 70',
        'From: <sip:+15550100002@gw.example.com>;tag=8321234356',
        'To: "Alice" <sip:+15550100001@trunk.example.net>;tag=9fxced76sl',
        'Call-ID: 3848276298220188511@203.0.113.10',
        'CSeq: 2 BYE',
        'Content-Length: 0',
      ]),
    ],
    [
      'OPTIONS with compact forms and UTF-8',
      wire([
        'OPTIONS sip:gw.example.com SIP/2.0',
        'v: SIP/2.0/TCP 192.0.2.1;branch=z9hG4bKping',
        'f: "Zoë Ünïcode" <sip:ping@example.net>;tag=1',
        't: <sip:gw.example.com>',
        'i: ping-1@192.0.2.1',
        'CSeq: 7 OPTIONS',
        'Accept: application/sdp',
        'l: 0',
      ]),
    ],
  ];

  it.each(cases)('%s', (_name, raw) => {
    expect(serializeMessage(parseMessage(raw)).equals(raw)).toBe(true);
  });
});

describe('frameLength (stream framing)', () => {
  it('returns the length of the first complete message', () => {
    const two = Buffer.concat([INVITE, INVITE]);
    expect(frameLength(two, 65535)).toBe(INVITE.length);
    expect(frameLength(INVITE, 65535)).toBe(INVITE.length);
  });

  it('says incomplete for every proper prefix', () => {
    for (let n = 1; n < INVITE.length; n++) expect(frameLength(INVITE.subarray(0, n), 65535)).toBe('incomplete');
  });

  it('recognises CRLF keep-alives (RFC 5626)', () => {
    expect(frameLength(Buffer.from('\r\n\r\n'), 65535)).toBe('keepalive');
    expect(frameLength(Buffer.from('\r\nINVITE'), 65535)).toBe('keepalive');
    expect(frameLength(Buffer.from('\r'), 65535)).toBe('incomplete');
    expect(frameLength(Buffer.alloc(0), 65535)).toBe('incomplete');
  });

  it('finds folded and compact Content-Length', () => {
    const m = Buffer.from('OPTIONS sip:a@b SIP/2.0\r\nl:\r\n  3\r\n\r\nabcEXTRA');
    expect(frameLength(m, 65535)).toBe(m.length - 5);
  });

  it('throws when Content-Length is missing, invalid or conflicting', () => {
    const cases = ['', 'Content-Length: -1', 'Content-Length: x', 'Content-Length: 1\r\nl: 2'];
    for (const header of cases) {
      const head = Buffer.from(`OPTIONS sip:a@b SIP/2.0\r\n${header}${header ? '\r\n' : ''}\r\n`);
      expect(() => frameLength(head, 65535)).toThrow(SipParseError);
    }
  });

  it('throws 513 when the head or the whole message exceeds the limit', () => {
    const head = Buffer.from(`OPTIONS sip:a@b SIP/2.0\r\nX: ${'a'.repeat(2000)}`);
    expect(() => frameLength(head, 1000)).toThrow(expect.objectContaining({ status: 513 }));
    expect(frameLength(head, 5000)).toBe('incomplete');
    const body = Buffer.from('OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 5000\r\n\r\n');
    expect(() => frameLength(body, 1000)).toThrow(expect.objectContaining({ status: 513 }));
  });
});

function validationError(m: SipMessage): SipError {
  if (m.kind !== 'request') throw new Error('expected a request');
  try {
    validateRequest(m);
  } catch (err) {
    if (err instanceof SipError) return err;
    throw err;
  }
  throw new Error('expected a SipError');
}

describe('validateRequest', () => {
  const base = INVITE_LINES.slice(1, -2); // without Content-Type and Content-Length
  const without = (name: string): string[] => base.filter((l) => !l.startsWith(`${name}:`));
  const build = (headers: string[], start = 'INVITE sip:+15550100002@gw.example.com SIP/2.0'): SipMessage =>
    parseMessage(wire([start, ...headers]));

  it('accepts a well-formed request', () => {
    expect(() => validateRequest(request(INVITE))).not.toThrow();
  });

  it.each(['Via', 'From', 'To', 'Call-ID', 'CSeq'])('400 when %s is missing', (name) => {
    const err = validationError(build(without(name)));
    expect(err.status).toBe(400);
    expect(err.reason).toBe(`Bad Request - Missing ${name}`);
    expect(err.code).toBe('SIP_MISSING_HEADER');
  });

  it.each([
    ['Call-ID: other@x', 'Bad Request - Duplicate Call-ID'],
    ['CSeq: 2 INVITE', 'Bad Request - Duplicate CSeq'],
    ['t: <sip:other@example.net>', 'Bad Request - Duplicate To'],
    ['Max-Forwards: 5', 'Bad Request - Duplicate Max-Forwards'],
  ])('400 for a second %j', (extra, reason) => {
    const err = validationError(build([...base, extra]));
    expect(err.reason).toBe(reason);
    expect(err.code).toBe('SIP_DUPLICATE_HEADER');
  });

  it('400 for two addresses in one From', () => {
    const headers = [...without('From'), 'From: <sip:a@x>;tag=1, <sip:b@y>;tag=2'];
    expect(validationError(build(headers)).reason).toBe('Bad Request - Duplicate From');
  });

  it.each([
    ['Via: SIP/2.0/UDP 192.0.2.15;;,;,,', 'Via', 'Bad Request - Malformed Via'],
    ['From: "unterminated <sip:a@b>;tag=1', 'From', 'Bad Request - Malformed From'],
    ['To: sip:a@b c', 'To', 'Bad Request - Malformed To'],
    ['Call-ID: has space', 'Call-ID', 'Bad Request - Malformed Call-ID'],
    ['CSeq: x INVITE', 'CSeq', 'Bad Request - Malformed CSeq'],
    ['CSeq: 4294967296 INVITE', 'CSeq', 'Bad Request - CSeq number too large'],
    ['CSeq: 1 BYE', 'CSeq', 'Bad Request - CSeq method does not match request method'],
    ['Max-Forwards: seventy', 'Max-Forwards', 'Bad Request - Invalid Max-Forwards'],
  ])('400 for %j', (line, name, reason) => {
    const err = validationError(build([...without(name), line]));
    expect(err.status).toBe(400);
    expect(err.reason).toBe(reason);
  });

  it('416 for a Request-URI scheme other than sip, sips, tel', () => {
    const err = validationError(build(base, 'INVITE mailto:j.user@example.com SIP/2.0'));
    expect(err).toMatchObject({ status: 416, reason: 'Unsupported URI Scheme', code: 'SIP_UNSUPPORTED_URI_SCHEME' });
    expect(() => validateRequest(request(wire(['INVITE tel:+15550100002 SIP/2.0', ...base])))).not.toThrow();
    expect(() => validateRequest(request(wire(['INVITE SIPS:gw.example.com SIP/2.0', ...base])))).not.toThrow();
  });

  it('400 for a malformed sip Request-URI or one with headers (RFC 4475 escruri)', () => {
    expect(validationError(build(base, 'INVITE sip:@gw SIP/2.0')).reason).toBe('Bad Request - Malformed Request-URI');
    expect(validationError(build(base, 'INVITE sip:user@example.com?Route=%3Csip:example.com%3E SIP/2.0')).reason).toBe(
      'Bad Request - Headers not allowed in Request-URI',
    );
  });

  it('483 for Max-Forwards: 0 unless allowed', () => {
    const m = request(wire([INVITE_LINES[0] ?? '', ...without('Max-Forwards'), 'Max-Forwards: 0']));
    expect(validationError(m)).toMatchObject({ status: 483, reason: 'Too Many Hops', code: 'SIP_TOO_MANY_HOPS' });
    expect(() => validateRequest(m, { allowZeroMaxForwards: true })).not.toThrow();
  });

  it('accepts a request without Max-Forwards', () => {
    expect(() => validateRequest(request(wire([INVITE_LINES[0] ?? '', ...without('Max-Forwards')])))).not.toThrow();
  });
});
