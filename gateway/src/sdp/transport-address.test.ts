/**
 * Issue 11: every remote address and port an SDP names is checked before it can become a media destination. An
 * `m=audio 65535` offer without `a=rtcp` used to make RTCP port 65536, and `dgram.send` throws on it synchronously.
 */
import { describe, expect, it } from 'vitest';
import { sdpAnswer, type SipAnswer } from '../call/sip-answers.js';
import { SdpError } from './errors.js';
import { acceptAnswer, answerOffer, createOffer } from './offer-answer.js';
import { readSdp } from './remote-sdp.js';
import type { LocalMedia } from './types.js';

const LOCAL: LocalMedia = { address: '203.0.113.5', port: 40000, codecs: ['PCMU'], sessionId: '1700000000', sessionVersion: 1 };

function offer(media: string[], session: string[] = ['c=IN IP4 192.0.2.10']): string {
  return ['v=0', 'o=- 1 1 IN IP4 192.0.2.10', 's=-', ...session, 't=0 0', ...media].join('\r\n') + '\r\n';
}

/** The SdpError `fn` throws, as the call core answers it on the wire. */
function refusal(fn: () => unknown): SipAnswer {
  try {
    fn();
  } catch (err) {
    if (err instanceof SdpError) return sdpAnswer(err);
    throw err;
  }
  throw new Error('expected an SdpError, nothing was thrown');
}

describe('remote RTP and RTCP ports', () => {
  it.each([
    ['m=audio 65535 without a=rtcp: RTP + 1 is no port, so no RTCP', ['m=audio 65535 RTP/AVP 0'], 65535, 0],
    ['m=audio 65534: RTCP on 65535', ['m=audio 65534 RTP/AVP 0'], 65534, 65535],
    ['m=audio 1', ['m=audio 1 RTP/AVP 0'], 1, 2],
    ['m=audio 65535 with a=rtcp', ['m=audio 65535 RTP/AVP 0', 'a=rtcp:5001'], 65535, 5001],
    ['a=rtcp:65535', ['m=audio 5000 RTP/AVP 0', 'a=rtcp:65535'], 5000, 65535],
    ['a=rtcp with the RTP address', ['m=audio 5000 RTP/AVP 0', 'a=rtcp:5001 IN IP4 192.0.2.10'], 5000, 5001],
    ['a=rtcp with another address: none sent to a third party', ['m=audio 5000 RTP/AVP 0', 'a=rtcp:5001 IN IP4 198.51.100.7'], 5000, 0],
  ])('%s', (_label, media, rtpPort, rtcpPort) => {
    const answer = answerOffer(offer(media), LOCAL);
    expect(answer.media.remote).toEqual({ address: '192.0.2.10', rtpPort, rtcpPort });
    expect(answer.sdp).toContain('m=audio 40000 RTP/AVP 0');
  });

  it('sends no RTCP to a held stream (c=0.0.0.0 would reach this host)', () => {
    expect(answerOffer(offer(['m=audio 5000 RTP/AVP 0'], ['c=IN IP4 0.0.0.0']), LOCAL).media.remote).toEqual({ address: '0.0.0.0', rtpPort: 5000, rtcpPort: 0 });
  });

  it.each([
    ['a=rtcp:0', /invalid a=rtcp port '0' in m= line 1/],
    ['a=rtcp:65536', /invalid a=rtcp port '65536'/],
    ['a=rtcp:99999999999', /invalid a=rtcp port/],
    ['a=rtcp:abc', /invalid a=rtcp port ''/],
    ['a=rtcp:5001 IN IP4 999.1.1.1', /a=rtcp address in m= line 1: '999\.1\.1\.1' is not an IPv4 address/],
    ['a=rtcp:5001 IN IP4 evil.example.com', /'evil\.example\.com' is not an IPv4 address/],
    ['a=rtcp:5001 IN IP6 192.0.2.10', /is not an IPv6 address/],
    ['a=rtcp:5001 IN IP4 224.0.0.1', /is a multicast address/],
    ['a=rtcp:5001 IN IP7 192.0.2.10', /unsupported address type IP7/],
  ])('refuses %s with 488 naming it', (attribute, reason) => {
    const err = refusal(() => answerOffer(offer(['m=audio 5000 RTP/AVP 0', attribute]), LOCAL));
    expect(err.status).toBe(488);
    expect(err.code).toBe('SDP_BAD_TRANSPORT_ADDRESS');
    expect(err.reason).toMatch(/^Not Acceptable Here - /);
    expect(err.reason).toMatch(reason);
  });

  it('still reads m= ports above 65535 as a malformed line (400)', () => {
    const err = refusal(() => answerOffer(offer(['m=audio 65536 RTP/AVP 0']), LOCAL));
    expect([err.status, err.code]).toEqual([400, 'SDP_PARSE']);
  });

  it('treats port 0 as a disabled stream, not an error, and answers the next usable one', () => {
    const answer = answerOffer(offer(['m=audio 0 RTP/AVP 0', 'a=rtcp:0', 'm=audio 5002 RTP/AVP 0']), LOCAL);
    expect(answer.media.remote.rtpPort).toBe(5002);
    expect(answer.sdp.split('\r\n').filter((l) => l.startsWith('m='))).toEqual(['m=audio 0 RTP/AVP 0', 'm=audio 40000 RTP/AVP 0']);
  });

  it('refuses an offer whose only audio stream is disabled with 488', () => {
    expect(refusal(() => answerOffer(offer(['m=audio 0 RTP/AVP 0']), LOCAL)).code).toBe('SDP_NO_AUDIO');
  });
});

describe('remote connection addresses', () => {
  it.each([
    ['a host name', 'c=IN IP4 evil.example.com', /invalid c= line at session level: 'evil\.example\.com' is not an IPv4 address/],
    ['an address out of range', 'c=IN IP4 999.1.1.1', /'999\.1\.1\.1' is not an IPv4 address/],
    ['a multicast group with TTL', 'c=IN IP4 224.2.1.1/127', /'224\.2\.1\.1\/127' is not an IPv4 address/],
    ['a multicast group', 'c=IN IP4 239.1.1.1', /'239\.1\.1\.1' is a multicast address/],
    ['IPv6 multicast', 'c=IN IP6 ff02::1', /'ff02::1' is a multicast address/],
    ['an IPv4 address typed IP6', 'c=IN IP6 192.0.2.10', /is not an IPv6 address/],
    ['an IPv6 address typed IP4', 'c=IN IP4 2001:db8::1', /is not an IPv4 address/],
    ['an unknown address type', 'c=IN IP9 1.2.3.4', /unsupported address type IP9/],
    ['no address', 'c=IN IP4 ', /malformed c= line at session level/],
  ])('refuses %s with 488 naming it', (_label, line, reason) => {
    const err = refusal(() => answerOffer(offer(['m=audio 5000 RTP/AVP 0'], [line]), LOCAL));
    expect(err.status).toBe(488);
    expect(err.code).toBe('SDP_BAD_TRANSPORT_ADDRESS');
    expect(err.reason).toMatch(reason);
  });

  it('names a media-level c= by its m= line, and the media level wins over a bad session level', () => {
    const err = refusal(() => answerOffer(offer(['m=audio 5000 RTP/AVP 0', 'c=IN IP4 example.net']), LOCAL));
    expect(err.reason).toMatch(/invalid c= line at m= line 1 level/);
    const ok = answerOffer(offer(['m=audio 5000 RTP/AVP 0', 'c=IN IP4 192.0.2.77'], ['c=IN IP4 example.net']), LOCAL);
    expect(ok.media.remote.address).toBe('192.0.2.77');
  });

  it('skips a stream with a bad address for a later good one', () => {
    const answer = answerOffer(offer(['m=audio 5000 RTP/AVP 0', 'c=IN IP4 example.net', 'm=audio 5002 RTP/AVP 0', 'c=IN IP4 192.0.2.11']), LOCAL);
    expect(answer.media.remote).toEqual({ address: '192.0.2.11', rtpPort: 5002, rtcpPort: 5003 });
  });

  it('keeps the reason short and printable whatever the offer holds', () => {
    const err = refusal(() => answerOffer(offer(['m=audio 5000 RTP/AVP 0'], [`c=IN IP4 ${'x'.repeat(500)}\u0001"`]), LOCAL));
    expect(err.reason.length).toBeLessThan(160);
    expect(err.reason).toMatch(/^[\x20-\x7e]+$/);
  });

  it('records a=rtcp and its address on the stream', () => {
    const [stream] = readSdp(offer(['m=audio 5000 RTP/AVP 0', 'a=rtcp:6001 IN IP6 2001:db8::9'])).streams;
    expect(stream).toMatchObject({ rtcpPort: 6001, rtcpAddress: '2001:db8::9' });
    expect(stream?.fault).toBeUndefined();
  });
});

describe('answers to our offer', () => {
  const answer = (media: string[], session?: string[]): string => offer(media, session);

  it('answers an m=audio 65535 answer without RTCP', () => {
    createOffer(LOCAL);
    expect(acceptAnswer(LOCAL, answer(['m=audio 65535 RTP/AVP 0'])).remote).toEqual({ address: '192.0.2.10', rtpPort: 65535, rtcpPort: 0 });
  });

  it.each([
    ['a host name', ['m=audio 5000 RTP/AVP 0'], ['c=IN IP4 evil.example.com']],
    ['a bad a=rtcp', ['m=audio 5000 RTP/AVP 0', 'a=rtcp:70000'], undefined],
  ])('refuses an answer with %s with 488', (_label, media, session) => {
    const err = refusal(() => acceptAnswer(LOCAL, answer(media, session)));
    expect([err.status, err.code]).toEqual([488, 'SDP_BAD_TRANSPORT_ADDRESS']);
  });
});
