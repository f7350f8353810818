/**
 * Property-style robustness test: random and mutated messages (deterministic PRNG) must only ever produce a
 * message or a SipParseError, never a TypeError/RangeError, and every helper applied to what parses must fail
 * only with SipError. Hostile shapes (long runs of delimiters) must parse in linear time; the Vitest timeout is
 * the bound, so a quadratic or backtracking path shows up as a timeout, not as a flaky timing assertion.
 */

import { describe, expect, it } from 'vitest';

import { SipError, SipParseError } from './errors.js';
import { parseCSeq, parseNameAddr, parseVias, splitHeaderList } from './headers.js';
import { getHeader, getHeaders } from './message.js';
import type { SipMessage } from './message.js';
import { frameLength, parseMessage } from './parser.js';
import { validateRequest } from './validate.js';
import { createResponse } from './response.js';
import { serializeMessage } from './serialize.js';
import { parseUri } from './uri.js';
import { prng } from '../../test/helpers/prng.js';


const SDP = 'v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n';
const SEEDS = [
  `INVITE sip:+15550100002@gw.example.com;transport=udp SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1;rport\r\nv: SIP/2.0/TCP [2001:db8::1]:5061;branch=z9hG4bK2;received=[2001:db8::2]\r\nMax-Forwards: 70\r\nFrom: "A \\"q\\" b" <sip:alice@example.net>;tag=1\r\nTo: Bob <sip:bob@example.com>\r\nCall-ID: abc@192.0.2.1\r\nCSeq: 1 INVITE\r\nContact: <sip:a@192.0.2.1?Route=%3Csip:x%3E>;expires=60, sip:b@c;q=0.5\r\nContent-Type: application/sdp\r\nContent-Length: ${SDP.length}\r\n\r\n${SDP}`,
  'SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>;tag=2\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\nl: 0\r\n\r\n',
  'OPTIONS tel:+1-555-010-0001;phone-context=example.com SIP/2.0\r\nTO :\r\n sip:v@e.com ;   tag    = 1\r\nfrom: caller<sip:c@e.com>;tag=2\r\ni: i\r\ncseq: 0009\r\n  OPTIONS\r\nVia  : SIP  /   2.0\r\n /UDP\r\n    192.0.2.2;branch=390skdjuw\r\n\r\n',
];
const SPICE = ['\r\n', '\n', '\r', ' ', '\t', ':', ';', ',', '"', '\\', '<', '>', '=', '%', '%0', '@', '[', ']', '?', '&', '/', 'SIP/2.0', 'Content-Length: 99', 'l: -1', '\r\n ', '\u0000', '\u00ff', 'é', '\r\n\r\n'];

function mutate(rand: () => number, input: Buffer): Buffer {
  let b = input;
  const edits = 1 + Math.floor(rand() * 4);
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(rand() * (b.length + 1));
    const op = Math.floor(rand() * 6);
    if (op === 0 && b.length > 0) {
      const copy = Buffer.from(b);
      copy[Math.min(at, copy.length - 1)] = Math.floor(rand() * 256);
      b = copy;
    } else if (op === 1) {
      const spice = SPICE[Math.floor(rand() * SPICE.length)] ?? '';
      b = Buffer.concat([b.subarray(0, at), Buffer.from(spice, 'latin1'), b.subarray(at)]);
    } else if (op === 2) {
      b = Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + Math.floor(rand() * 20)))]);
    } else if (op === 3) {
      b = b.subarray(0, at);
    } else if (op === 4) {
      const len = Math.floor(rand() * 40);
      b = Buffer.concat([b.subarray(0, at), b.subarray(at, at + len), b.subarray(at)]);
    } else {
      const noise = Buffer.alloc(Math.floor(rand() * 16));
      for (let i = 0; i < noise.length; i++) noise[i] = Math.floor(rand() * 256);
      b = Buffer.concat([b.subarray(0, at), noise, b.subarray(at)]);
    }
  }
  return b;
}

function expectOnly<T>(errorClass: typeof SipError, fn: () => T): T | undefined {
  try {
    return fn();
  } catch (err) {
    if (!(err instanceof errorClass)) throw new Error(`unexpected ${String(err)}`, { cause: err });
    return undefined;
  }
}

/** Apply every helper to a parsed message; each may only fail with SipError. */
function exercise(m: SipMessage): void {
  if (m.kind === 'request') {
    expectOnly(SipError, () => validateRequest(m));
    expectOnly(SipParseError, () => parseUri(m.uri));
    expectOnly(SipError, () => createResponse(m, 400, { toTag: 'x' }));
  }
  expectOnly(SipParseError, () => parseVias(m));
  for (const name of ['from', 'to', 'contact', 'route']) {
    for (const v of getHeaders(m, name)) {
      for (const part of splitHeaderList(v)) {
        const na = expectOnly(SipParseError, () => parseNameAddr(part));
        if (na !== undefined) expectOnly(SipParseError, () => parseUri(na.uri));
      }
    }
  }
  expectOnly(SipParseError, () => parseCSeq(getHeader(m, 'cseq') ?? ''));
  // Whatever parsed serialises (values never hold CR/LF) and parses again to the same headers.
  const again = parseMessage(serializeMessage(m), { maxMessageBytes: 1_000_000 });
  expect(again.headers.filter((h) => !/^(content-length|l)$/i.test(h.name))).toEqual(
    m.headers.filter((h) => !/^(content-length|l)$/i.test(h.name)),
  );
}

describe('parser robustness', () => {
  it('20k random and mutated inputs: only SipParseError, never anything else', () => {
    const rand = prng(0x5eed4475);
    const seeds = SEEDS.map((s) => Buffer.from(s));
    let parsed = 0;
    let rejected = 0;
    for (let i = 0; i < 20_000; i++) {
      let input: Buffer;
      if (i % 10 === 0) {
        input = Buffer.alloc(Math.floor(rand() * 300));
        for (let j = 0; j < input.length; j++) input[j] = Math.floor(rand() * 256);
      } else {
        input = mutate(rand, seeds[i % seeds.length] ?? Buffer.alloc(0));
      }
      const datagram = rand() < 0.8;
      const m = expectOnly(SipParseError, () => parseMessage(input, { datagram, maxMessageBytes: 2000 }));
      expectOnly(SipParseError, () => frameLength(input, 2000));
      if (m === undefined) rejected++;
      else {
        parsed++;
        exercise(m);
      }
    }
    // Both paths were exercised in earnest.
    expect(parsed).toBeGreaterThan(2000);
    expect(rejected).toBeGreaterThan(2000);
  });

  it('hostile shapes parse in linear time', () => {
    const n = 60_000;
    const values = ['<'.repeat(n), '"'.repeat(n), ';'.repeat(n), ';a='.repeat(n / 3), '\\"'.repeat(n / 2), '%'.repeat(n), `"${'\\'.repeat(n)}`];
    for (const v of values) {
      const raw = Buffer.from(`INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;${v}\r\nFrom: ${v}\r\nTo: <sip:x@y>${v}\r\nContact: ${v}\r\n\r\n`);
      const m = parseMessage(raw, { maxMessageBytes: 1_000_000 });
      exercise(m);
      expectOnly(SipParseError, () => parseUri(`sip:${v}@h`));
    }
    const lines = Buffer.from(`OPTIONS sip:a@b SIP/2.0\r\n${'X: y\r\n'.repeat(10_000)}\r\n`);
    expect(parseMessage(lines, { maxMessageBytes: 1_000_000 }).headers).toHaveLength(10_000);
    const folds = Buffer.from(`OPTIONS sip:a@b SIP/2.0\r\nX: y\r\n${' z\r\n'.repeat(10_000)}\r\n`);
    expect(parseMessage(folds, { maxMessageBytes: 1_000_000 }).headers[0]?.value.length).toBe(20_001);
    expect(frameLength(Buffer.from(`OPTIONS sip:a@b SIP/2.0\r\n${'a\n'.repeat(30_000)}`), 65535)).toBe('incomplete');
  });
});
