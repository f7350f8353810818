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

  it('frames linearly: a 64 KiB head trickled in 20-byte chunks is examined about once, like one chunk', () => {
    const head = `OPTIONS sip:b@x SIP/2.0\r\nX-Pad: ${'a'.repeat(65_000)}\r\nContent-Length: 0\r\n\r\n`;
    const raw = Buffer.from(head);
    const whole = new StreamFramer(70_000);
    expect(whole.push(raw).messages).toHaveLength(1);
    const trickled = new StreamFramer(70_000);
    const got: Buffer[] = [];
    for (let i = 0; i < raw.length; i += 20) got.push(...trickled.push(raw.subarray(i, i + 20)).messages);
    expect(got.map((m) => m.toString())).toEqual([head]);
    // Rescanning the buffered head on each chunk would examine ~raw.length² / 40 bytes (~100 MB here).
    expect(whole.examined).toBeLessThanOrEqual(raw.length);
    expect(trickled.examined).toBeLessThanOrEqual(raw.length + 3 * Math.ceil(raw.length / 20));
  });

  it('gives the same messages however the stream is split, and they survive later pushes', () => {
    const stream = [message('a', 'hello'), '\r\n\r\n', message('b'), '\r\n', message('c', 'x'.repeat(300)), message('d')].join('');
    const raw = Buffer.from(stream);
    for (const size of [1, 2, 3, 7, 64, 1000]) {
      const framer = new StreamFramer(65_535);
      const got: Buffer[] = [];
      let pings = 0;
      for (let i = 0; i < raw.length; i += size) {
        const out = framer.push(raw.subarray(i, i + size));
        got.push(...out.messages);
        pings += out.pings;
      }
      expect(got.map((m) => m.toString())).toEqual([message('a', 'hello'), message('b'), message('c', 'x'.repeat(300)), message('d')]);
      expect(pings).toBe(1);
      expect(framer.buffered).toBe(0);
    }
  });

  it('dblreq: a REGISTER with Content-Length 0 followed by an INVITE in one segment gives two messages', () => {
    const register =
      'REGISTER sip:example.com SIP/2.0\r\nTo: sip:j.user@example.com\r\nCSeq: 8 REGISTER\r\nContent-Length: 0\r\n\r\n';
    const invite = 'INVITE sip:joe@example.com SIP/2.0\r\nt: sip:joe@example.com\r\nl: 3\r\n\r\nv=0';
    const out = new StreamFramer(65_535).push(Buffer.from(register + invite));
    expect(out.messages.map((m) => m.toString())).toEqual([register, invite]);
  });
});
