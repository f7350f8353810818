import { describe, expect, it } from 'vitest';
import { acceptRemoteCSeq, createInDialogRequest, createUacDialog, createUasDialog, dialogKey, requestDialogKey } from './dialog.js';
import { SipError } from './errors.js';
import { getHeader, getHeaders, type SipRequest } from './message.js';
import { parseNameAddr } from './headers.js';

function invite(extra: Array<[string, string]> = []): SipRequest {
  const headers = [
    ['Via', 'SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK776asdhds'],
    ['Max-Forwards', '70'],
    ['To', '<sip:+15550100001@gw.example.com;user=phone>'],
    ['From', '"Alice" <sip:+15550199999@carrier.example.com>;tag=1928301774'],
    ['Call-ID', 'a84b4c76e66710@carrier.example.com'],
    ['CSeq', '314159 INVITE'],
    ['Contact', '<sip:alice@10.0.0.1:5060>'],
    ...extra,
  ].map(([name, value]) => ({ name: name ?? '', value: value ?? '' }));
  return { kind: 'request', method: 'INVITE', uri: 'sip:+15550100001@gw.example.com;user=phone', headers, body: Buffer.alloc(0) };
}

const peer = { transport: 'udp' as const, address: '10.0.0.1', port: 5060 };

describe('UAS dialog', () => {
  it('is created from the INVITE with our tag, their tag, remote target and route set', () => {
    const d = createUasDialog(
      invite([
        ['Record-Route', '<sip:p2.example.com;lr>, <sip:p1.example.com;lr>'],
        ['Record-Route', '<sip:p0.example.com;lr>'],
      ]),
      'ourtag',
      peer,
    );
    expect(d.callId).toBe('a84b4c76e66710@carrier.example.com');
    expect(d.localTag).toBe('ourtag');
    expect(d.remoteTag).toBe('1928301774');
    expect(d.remoteTarget).toBe('sip:alice@10.0.0.1:5060');
    expect(d.routeSet).toEqual(['<sip:p2.example.com;lr>', '<sip:p1.example.com;lr>', '<sip:p0.example.com;lr>']);
    expect(d.remoteSeq).toBe(314159);
    expect(parseNameAddr(d.localNameAddr).tag).toBe('ourtag');
  });

  it('refuses an INVITE without Contact with 400', () => {
    const req = invite();
    req.headers.splice(req.headers.findIndex((h) => h.name === 'Contact'), 1);
    expect(() => createUasDialog(req, 't', peer)).toThrow(SipError);
  });

  it('finds in-dialog requests by Call-ID, To tag (ours) and From tag (theirs)', () => {
    const bye: SipRequest = {
      ...invite(),
      method: 'BYE',
      headers: invite().headers.map((h) => (h.name === 'To' ? { name: 'To', value: `${h.value};tag=ourtag` } : h)),
    };
    expect(requestDialogKey(bye)).toBe(dialogKey('a84b4c76e66710@carrier.example.com', 'ourtag', '1928301774'));
    expect(requestDialogKey(invite())).toBeUndefined();
  });

  it('accepts rising CSeqs and answers a lower one with 500', () => {
    const d = createUasDialog(invite(), 'ourtag', peer);
    const withSeq = (n: number): SipRequest => ({
      ...invite(),
      method: 'BYE',
      headers: invite().headers.map((h) => (h.name === 'CSeq' ? { name: 'CSeq', value: `${n} BYE` } : h)),
    });
    acceptRemoteCSeq(d, withSeq(314160));
    expect(d.remoteSeq).toBe(314160);
    try {
      acceptRemoteCSeq(d, withSeq(314150));
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(SipError);
      expect((err as SipError).status).toBe(500);
    }
  });

  it('builds in-dialog requests to the remote target with the route set, swapped From/To and rising CSeq', () => {
    const d = createUasDialog(invite([['Record-Route', '<sip:p1.example.com;lr>']]), 'ourtag', peer);
    const first = d.localSeq;
    const bye = createInDialogRequest(d, { method: 'BYE', via: { transport: 'udp', host: '192.0.2.5', port: 5060 }, contact: '<sip:patchbay@192.0.2.5:5060>' });
    expect(bye.uri).toBe('sip:alice@10.0.0.1:5060');
    expect(getHeaders(bye, 'route')).toEqual(['<sip:p1.example.com;lr>']);
    expect(parseNameAddr(getHeader(bye, 'from') ?? '').tag).toBe('ourtag');
    expect(parseNameAddr(getHeader(bye, 'to') ?? '').tag).toBe('1928301774');
    expect(getHeader(bye, 'cseq')).toBe(`${first + 1} BYE`);
    expect(getHeader(bye, 'via')).toMatch(/^SIP\/2\.0\/UDP 192\.0\.2\.5:5060;branch=z9hG4bK\S+;rport$/);
    const again = createInDialogRequest(d, { method: 'INFO', via: { transport: 'udp', host: '192.0.2.5', port: 5060 }, contact: '<sip:x@y>' });
    expect(getHeader(again, 'cseq')).toBe(`${first + 2} INFO`);
    expect(getHeader(again, 'via')).not.toBe(getHeader(bye, 'via'));
  });
});

describe('UAC dialog', () => {
  const ours: SipRequest = {
    kind: 'request',
    method: 'INVITE',
    uri: 'sip:+15557654321@carrier.example.com',
    headers: [
      { name: 'Via', value: 'SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bKours' },
      { name: 'From', value: '<sip:+15550100001@carrier.example.com>;tag=ourtag' },
      { name: 'To', value: '<sip:+15557654321@carrier.example.com>' },
      { name: 'Call-ID', value: 'out-1@patchbay' },
      { name: 'CSeq', value: '2 INVITE' },
    ],
    body: Buffer.alloc(0),
  };
  const ok = (extra: Array<[string, string]>) => ({
    kind: 'response' as const,
    status: 200,
    reason: 'OK',
    headers: [
      { name: 'To', value: '<sip:+15557654321@carrier.example.com>;tag=theirs' },
      ...extra.map(([name, value]) => ({ name, value })),
    ],
    body: Buffer.alloc(0),
  });

  it('takes their tag, Contact and the reversed Record-Route from the 2xx; our CSeq goes on from the INVITE', () => {
    const d = createUacDialog(ours, ok([['Contact', '<sip:callee@10.0.0.9:5070>'], ['Record-Route', '<sip:p1.example.com;lr>, <sip:p2.example.com;lr>']]), peer);
    expect(d).toMatchObject({ callId: 'out-1@patchbay', localTag: 'ourtag', remoteTag: 'theirs', remoteTarget: 'sip:callee@10.0.0.9:5070', localSeq: 2 });
    expect(d.routeSet).toEqual(['<sip:p2.example.com;lr>', '<sip:p1.example.com;lr>']);
    const bye = createInDialogRequest(d, { method: 'BYE', via: { transport: 'udp', host: '10.0.0.2', port: 5060 }, contact: '<sip:patchbay@10.0.0.2>' });
    expect(bye.uri).toBe('sip:callee@10.0.0.9:5070');
    expect(getHeader(bye, 'cseq')).toBe('3 BYE');
    expect(parseNameAddr(getHeader(bye, 'from') ?? '').tag).toBe('ourtag');
    expect(parseNameAddr(getHeader(bye, 'to') ?? '').tag).toBe('theirs');
    expect(getHeaders(bye, 'route')).toEqual(['<sip:p2.example.com;lr>', '<sip:p1.example.com;lr>']);
    // a request from them names the dialog under the same key as ours
    expect(dialogKey(d.callId, d.localTag, d.remoteTag)).toBe(dialogKey('out-1@patchbay', 'ourtag', 'theirs'));
  });

  it('refuses a 2xx without a To tag or a Contact', () => {
    const noTag = { ...ok([['Contact', '<sip:callee@10.0.0.9>']]), headers: [{ name: 'To', value: '<sip:x@y>' }, { name: 'Contact', value: '<sip:callee@10.0.0.9>' }] };
    expect(() => createUacDialog(ours, noTag, peer)).toThrow(SipError);
    expect(() => createUacDialog(ours, ok([]), peer)).toThrow(SipError);
  });
});
