import { describe, expect, it } from 'vitest';
import { SipParseError } from '../errors.js';
import { StreamFramer } from './stream-framer.js';

function message(callId: string, body = ''): string {
  return (
    `OPTIONS sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/TCP 192.0.2.1:5060;branch=z9hG4bK${callId}\r\n` +
    `Call-ID: ${callId}\r\nCSeq: 1 OPTIONS\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  );
}

describe('StreamFramer', () => {
  it('reassembles one message split in three chunks', () => {
    const raw = Buffer.from(message('a', 'v=0\r\n'));
    const framer = new StreamFramer(65_535);
    expect(framer.push(raw.subarray(0, 10)).messages).toEqual([]);
    expect(framer.push(raw.subarray(10, raw.length - 3)).messages).toEqual([]);
    expect(framer.buffered).toBe(raw.length - 3);
    const out = framer.push(raw.subarray(raw.length - 3));
    expect(out.messages.map((m) => m.toString())).toEqual([raw.toString()]);
    expect(framer.buffered).toBe(0);
  });

  it('splits two messages that arrive in one chunk, keeping a trailing partial', () => {
    const a = message('a', 'hello');
    const b = message('b');
    const c = message('c');
    const framer = new StreamFramer(65_535);
    const out = framer.push(Buffer.from(a + b + c.slice(0, 20)));
    expect(out.messages.map((m) => m.toString())).toEqual([a, b]);
    expect(framer.push(Buffer.from(c.slice(20))).messages.map((m) => m.toString())).toEqual([c]);
  });

  it('drops keep-alives and counts CRLFCRLF pings (RFC 5626)', () => {
    const framer = new StreamFramer(65_535);
    expect(framer.push(Buffer.from('\r\n\r\n'))).toEqual({ messages: [], pings: 1 });
    expect(framer.push(Buffer.from('\r\n')).pings).toBe(0);
    const out = framer.push(Buffer.from(message('a')));
    expect(out.messages.length).toBe(1);
    expect(out.pings).toBe(0);
  });

  it('throws on a missing Content-Length and stays failed', () => {
    const framer = new StreamFramer(65_535);
    const raw = 'OPTIONS sip:b@x SIP/2.0\r\nCall-ID: x\r\n\r\n';
    expect(() => framer.push(Buffer.from(raw))).toThrow(SipParseError);
    expect(() => framer.push(Buffer.from(message('a')))).toThrow(SipParseError);
  });

  it('bounds the buffer: a head that never ends fails once it passes the limit', () => {
    const framer = new StreamFramer(200);
    expect(framer.push(Buffer.from(`OPTIONS sip:b@x SIP/2.0\r\nX: ${'a'.repeat(100)}\r\n`)).messages).toEqual([]);
    expect(() => framer.push(Buffer.from(`Y: ${'b'.repeat(200)}\r\n`))).toThrow(SipParseError);
    expect(framer.buffered).toBe(0);
  });

  it('rejects a message whose Content-Length exceeds the limit before buffering the body', () => {
    const framer = new StreamFramer(300);
    const head = 'OPTIONS sip:b@x SIP/2.0\r\nContent-Length: 100000\r\n\r\n';
    let error: unknown;
    try {
      framer.push(Buffer.from(head));
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(SipParseError);
    expect((error as SipParseError).status).toBe(513);
  });
});
