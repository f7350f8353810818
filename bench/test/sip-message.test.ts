import { describe, expect, it } from 'vitest';
import { hostPortOf, parseSipMessage, tagOf, uriOf, userOf } from '../src/load/sip-message.js';

describe('parseSipMessage', () => {
  it('reads a request: method, Request-URI, compact headers expanded, every Via kept for the response, the body', () => {
    const m = parseSipMessage([
      'INVITE sip:+15552000001@127.0.0.1:5070 SIP/2.0', 'v: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKa', 'Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKb',
      'f: <sip:pb@127.0.0.1>;tag=1', 't: <sip:+15552000001@127.0.0.1>', 'i: abc', 'CSeq:  7   INVITE', 'm: <sip:pb@127.0.0.1:5060>',
      'Content-Length: 3', '', 'v=0',
    ].join('\r\n'));
    expect(m?.method).toBe('INVITE');
    expect(m?.uri).toBe('sip:+15552000001@127.0.0.1:5070');
    expect(m?.status).toBe(0);
    expect(m?.callId).toBe('abc');
    expect(m?.cseq).toBe('7 INVITE');
    expect(m?.headers.get('contact')).toBe('<sip:pb@127.0.0.1:5060>');
    expect(m?.headers.get('via')).toContain('z9hG4bKa');
    expect(m?.dialogLines).toHaveLength(6);
    expect(m?.body).toBe('v=0');
  });

  it('reads a response status, and refuses what is neither', () => {
    expect(parseSipMessage('SIP/2.0 486 Busy Here\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\n\r\n')).toMatchObject({ method: undefined, status: 486, cseq: '1 INVITE' });
    expect(parseSipMessage('HTTP/1.1 200 OK\r\n\r\n')).toBeUndefined();
  });

  it('takes tags, URIs, users and host:port apart', () => {
    expect(tagOf('<sip:a@b>;tag=xyz;foo')).toBe('xyz');
    expect(tagOf('<sip:a@b>')).toBe('');
    expect(uriOf('"Bob" <sip:bob@10.0.0.1:5062;transport=udp>;tag=1')).toBe('sip:bob@10.0.0.1:5062;transport=udp');
    expect(userOf('sip:+15552000001@127.0.0.1:5070')).toBe('+15552000001');
    expect(hostPortOf('sip:bob@10.0.0.1:5062;transport=udp')).toEqual({ host: '10.0.0.1', port: 5062 });
    expect(hostPortOf('sip:10.0.0.1')).toEqual({ host: '10.0.0.1', port: 5060 });
    expect(hostPortOf('tel:+1555')).toBeUndefined();
  });
});
