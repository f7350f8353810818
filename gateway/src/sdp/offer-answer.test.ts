import { parse } from 'sdp-transform';
import { describe, expect, it } from 'vitest';
import { SdpError } from './errors.js';
import { SDP_STATUS_OF_CODE, sdpAnswer } from '../call/sip-answers.js';
import { acceptAnswer, answerOffer, createOffer } from './offer-answer.js';
import type { LocalMedia } from './types.js';

const crlf = (lines: string[]): string => lines.join('\r\n') + '\r\n';

const LOCAL: LocalMedia = {
  address: '203.0.113.5',
  port: 40000,
  codecs: ['PCMU', 'PCMA'],
  sessionId: '1700000000',
  sessionVersion: 1,
};

/** SIPp's built-in uac scenario, as it goes out with 127.0.0.1 and media port 6000. */
const SIPP_OFFER = crlf([
  'v=0',
  'o=user1 53655765 2353687637 IN IP4 127.0.0.1',
  's=-',
  'c=IN IP4 127.0.0.1',
  't=0 0',
  'm=audio 6000 RTP/AVP 0',
  'a=rtpmap:0 PCMU/8000',
]);

/** Linphone desktop: many codecs, three telephone-event rates, a video stream. */
const LINPHONE_OFFER = crlf([
  'v=0',
  'o=alice 2796 2396 IN IP4 192.168.1.20',
  's=Talk',
  'c=IN IP4 192.168.1.20',
  't=0 0',
  'a=rtcp-xr:rcvr-rtt=all:10000 stat-summary=loss,dup,jitt,TTL voip-metrics',
  'm=audio 7078 RTP/AVP 96 97 98 0 8 18 101 99 100',
  'a=rtpmap:96 opus/48000/2',
  'a=fmtp:96 useinbandfec=1',
  'a=rtpmap:97 speex/16000',
  'a=fmtp:97 vbr=on',
  'a=rtpmap:98 speex/8000',
  'a=fmtp:98 vbr=on',
  'a=fmtp:18 annexb=yes',
  'a=rtpmap:101 telephone-event/48000',
  'a=rtpmap:99 telephone-event/16000',
  'a=rtpmap:100 telephone-event/8000',
  'a=rtcp-fb:* trr-int 1000',
  'm=video 9078 RTP/AVP 96 97',
  'a=rtpmap:96 VP8/90000',
  'a=rtpmap:97 H264/90000',
  'a=fmtp:97 profile-level-id=42801F',
]);

const OPUS_G722_OFFER = crlf([
  'v=0',
  'o=- 8000 8000 IN IP4 198.51.100.7',
  's=-',
  'c=IN IP4 198.51.100.7',
  't=0 0',
  'm=audio 30000 RTP/AVP 107 9 0 110',
  'a=rtpmap:107 opus/48000/2',
  'a=fmtp:107 useinbandfec=1;stereo=0',
  'a=rtpmap:9 G722/8000',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:110 telephone-event/8000',
  'a=fmtp:110 0-15',
  'a=ptime:20',
  'a=maxptime:40',
]);

/** Chrome-style WebRTC audio offer (trimmed). */
const WEBRTC_OFFER = crlf([
  'v=0',
  'o=- 4611731400430051336 2 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'a=group:BUNDLE 0',
  'a=msid-semantic: WMS',
  'm=audio 9 UDP/TLS/RTP/SAVPF 111 9 0 8 126',
  'c=IN IP4 0.0.0.0',
  'a=rtcp:9 IN IP4 0.0.0.0',
  'a=ice-ufrag:Vk1x',
  'a=ice-pwd:ZD3Wu6SJqU7Yf8R1qmkTHqVu',
  'a=fingerprint:sha-256 19:E2:1C:3B:4B:9F:81:E6:B8:5C:F4:A5:A8:D8:73:04:BB:05:2F:70:9F:04:A9:0E:05:E9:26:33:E8:70:88:A2',
  'a=setup:actpass',
  'a=mid:0',
  'a=sendrecv',
  'a=rtcp-mux',
  'a=rtpmap:111 opus/48000/2',
  'a=fmtp:111 minptime=10;useinbandfec=1',
  'a=rtpmap:9 G722/8000',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:126 telephone-event/8000',
]);

function offerWith(mediaLines: string[], session: string[] = ['c=IN IP4 192.0.2.10']): string {
  return crlf(['v=0', 'o=- 1 1 IN IP4 192.0.2.10', 's=-', ...session, 't=0 0', ...mediaLines]);
}

/** `status`: what the call core answers the code with (call/sip-answers.test.ts checks that mapping). */
function expectSdpError(fn: () => unknown, status: number, code: string, reason?: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(SdpError);
  if (caught instanceof SdpError) {
    expect(SDP_STATUS_OF_CODE[caught.code]).toBe(status);
    expect(caught.code).toBe(code);
    if (reason !== undefined) expect(sdpAnswer(caught).reason).toMatch(reason); // as the call core answers it
  }
}

describe('answerOffer', () => {
  it("answers SIPp's default offer byte for byte", () => {
    const { sdp, media } = answerOffer(SIPP_OFFER, LOCAL);
    expect(sdp).toBe(
      crlf([
        'v=0',
        'o=- 1700000000 1 IN IP4 203.0.113.5',
        's=-',
        'c=IN IP4 203.0.113.5',
        't=0 0',
        'm=audio 40000 RTP/AVP 0',
        'a=rtpmap:0 PCMU/8000',
        'a=ptime:20',
        'a=sendrecv',
      ]),
    );
    expect(media).toEqual({
      codec: { name: 'PCMU', payloadType: 0, clockRate: 8000, channels: 1 },
      remote: { address: '127.0.0.1', rtpPort: 6000, rtcpPort: 6001 },
      direction: 'sendrecv',
      onHold: false,
      ptimeMs: 20,
    });
  });

  it('accepts a static payload type without rtpmap', () => {
    const { media } = answerOffer(offerWith(['m=audio 6000 RTP/AVP 8 0']), { ...LOCAL, codecs: ['PCMA'] });
    expect(media.codec).toEqual({ name: 'PCMA', payloadType: 8, clockRate: 8000, channels: 1 });
  });

  it('picks by our preference, not the offer order, and keeps the offerer payload types (Linphone)', () => {
    const { sdp, media } = answerOffer(LINPHONE_OFFER, LOCAL);
    expect(media.codec.name).toBe('PCMU');
    expect(media.telephoneEvent).toEqual({ payloadType: 100, clockRate: 8000 });
    const answer = parse(sdp);
    expect(answer.media).toHaveLength(2);
    expect(answer.media[0]).toMatchObject({ type: 'audio', port: 40000, payloads: '0 100' });
    expect(answer.media[0]?.rtp).toEqual([
      { payload: 0, codec: 'PCMU', rate: 8000 },
      { payload: 100, codec: 'telephone-event', rate: 8000 },
    ]);
    expect(answer.media[1]).toMatchObject({ type: 'video', port: 0, protocol: 'RTP/AVP', payloads: '96 97' });
    expect(sdp).toContain('m=video 0 RTP/AVP 96 97\r\n');
  });

  it('negotiates opus with its dynamic payload type and matching telephone-event rate (Linphone)', () => {
    const { sdp, media } = answerOffer(LINPHONE_OFFER, { ...LOCAL, codecs: ['opus', 'PCMU'] });
    expect(media.codec).toEqual({ name: 'opus', payloadType: 96, clockRate: 48000, channels: 2, fmtp: 'useinbandfec=1' });
    expect(media.telephoneEvent).toEqual({ payloadType: 101, clockRate: 48000 });
    expect(sdp).toContain('m=audio 40000 RTP/AVP 96 101\r\n');
    expect(sdp).toContain('a=rtpmap:96 opus/48000/2\r\n');
    expect(sdp).toContain('a=rtpmap:101 telephone-event/48000\r\n');
  });

  it('negotiates G722 (RTP clock 8000) from an opus+G722 offer and honours ptime', () => {
    const { sdp, media } = answerOffer(OPUS_G722_OFFER, { ...LOCAL, codecs: ['G722', 'PCMU'], ptimeMs: 30 });
    expect(media.codec).toEqual({ name: 'G722', payloadType: 9, clockRate: 8000, channels: 1 });
    expect(media.telephoneEvent).toEqual({ payloadType: 110, clockRate: 8000 });
    expect(media.ptimeMs).toBe(20);
    expect(sdp).toContain('m=audio 40000 RTP/AVP 9 110\r\n');
    expect(sdp).toContain('a=ptime:30\r\n');
    expect(sdp).toContain('a=fmtp:110 0-16\r\n');
  });

  it('falls back to telephone-event/8000 for opus and omits it when disabled', () => {
    const withTe = answerOffer(OPUS_G722_OFFER, { ...LOCAL, codecs: ['opus'] });
    expect(withTe.media.codec.payloadType).toBe(107);
    expect(withTe.media.telephoneEvent).toEqual({ payloadType: 110, clockRate: 8000 });
    const without = answerOffer(OPUS_G722_OFFER, { ...LOCAL, codecs: ['opus'], telephoneEvent: false });
    expect(without.media.telephoneEvent).toBeUndefined();
    expect(without.sdp).toContain('m=audio 40000 RTP/AVP 107\r\n');
    expect(without.sdp).not.toContain('telephone-event');
  });

  it('matches codec names case-insensitively and checks rate and channels', () => {
    const offer = offerWith([
      'm=audio 5000 RTP/AVP 96 97 98',
      'a=rtpmap:96 OPUS/48000/1',
      'a=rtpmap:97 pcmu/16000',
      'a=rtpmap:98 Opus/48000/2',
    ]);
    expect(answerOffer(offer, { ...LOCAL, codecs: ['opus'] }).media.codec.payloadType).toBe(98);
    expectSdpError(() => answerOffer(offer, LOCAL), 488, 'SDP_NO_COMMON_CODEC');
  });

  it('rejects a WebRTC RTP/SAVPF offer with 488', () => {
    expectSdpError(() => answerOffer(WEBRTC_OFFER, { ...LOCAL, codecs: ['opus'] }), 488, 'SDP_UNSUPPORTED_TRANSPORT', /UDP\/TLS\/RTP\/SAVPF/);
  });

  it('uses a later RTP/AVP audio stream when the first is SRTP (best-effort SRTP offers)', () => {
    const offer = offerWith([
      'm=audio 5000 RTP/SAVP 0',
      'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR',
      'm=audio 5002 RTP/AVP 0',
    ]);
    const { sdp, media } = answerOffer(offer, LOCAL);
    expect(media.remote.rtpPort).toBe(5002);
    expect(parse(sdp).media.map((m) => m.port)).toEqual([0, 40000]);
  });

  it('answers every other m= line with port 0, in order', () => {
    const offer = offerWith([
      'm=video 9000 RTP/AVP 96',
      'a=rtpmap:96 H264/90000',
      'm=audio 0 RTP/AVP 0',
      'm=audio 5000 RTP/AVP 8 0',
      'm=audio 5010 RTP/AVP 0',
      'm=image 6000 udptl t38',
    ]);
    const { sdp, media } = answerOffer(offer, LOCAL);
    expect(media.codec.payloadType).toBe(0);
    expect(media.remote.rtpPort).toBe(5000);
    const lines = sdp.split('\r\n').filter((l) => l.startsWith('m='));
    expect(lines).toEqual([
      'm=video 0 RTP/AVP 96',
      'm=audio 0 RTP/AVP 0',
      'm=audio 40000 RTP/AVP 0',
      'm=audio 0 RTP/AVP 0',
      'm=image 0 udptl t38',
    ]);
  });

  it('reports no common codec with 488 naming what was offered', () => {
    const offer = offerWith(['m=audio 5000 RTP/AVP 18 3 101', 'a=rtpmap:18 G729/8000', 'a=rtpmap:101 telephone-event/8000']);
    expectSdpError(
      () => answerOffer(offer, LOCAL),
      488,
      'SDP_NO_COMMON_CODEC',
      /^Not Acceptable Here - no common codec \(offered: G729\/8000, GSM\/8000, telephone-event\/8000\)$/,
    );
  });

  it('rejects offers without usable audio with 488', () => {
    expectSdpError(() => answerOffer(offerWith(['m=video 5000 RTP/AVP 96']), LOCAL), 488, 'SDP_NO_AUDIO');
    expectSdpError(() => answerOffer(offerWith(['m=audio 0 RTP/AVP 0']), LOCAL), 488, 'SDP_NO_AUDIO');
  });

  it('maps remote direction to ours', () => {
    const cases: [string, LocalMedia['direction'], string][] = [
      ['sendonly', 'sendrecv', 'recvonly'],
      ['recvonly', 'sendrecv', 'sendonly'],
      ['inactive', 'sendrecv', 'inactive'],
      ['sendrecv', 'sendrecv', 'sendrecv'],
      ['sendrecv', 'sendonly', 'sendonly'],
      ['sendrecv', 'recvonly', 'recvonly'],
      ['sendonly', 'sendonly', 'inactive'],
      ['recvonly', 'recvonly', 'inactive'],
    ];
    for (const [remote, desired, expected] of cases) {
      const { sdp, media } = answerOffer(offerWith(['m=audio 5000 RTP/AVP 0', `a=${remote}`]), { ...LOCAL, direction: desired });
      expect(media.direction, `${remote} + ${String(desired)}`).toBe(expected);
      expect(sdp).toContain(`a=${expected}\r\n`);
    }
  });

  it('detects hold and unhold across re-INVITEs', () => {
    const hold = answerOffer(offerWith(['m=audio 5000 RTP/AVP 0', 'a=sendonly']), { ...LOCAL, sessionVersion: 2 });
    expect(hold.media.onHold).toBe(true);
    expect(hold.sdp).toContain('o=- 1700000000 2 IN IP4 203.0.113.5\r\n');
    const inactive = answerOffer(offerWith(['m=audio 5000 RTP/AVP 0', 'a=inactive']), LOCAL);
    expect(inactive.media.onHold).toBe(true);
    const resume = answerOffer(offerWith(['m=audio 5000 RTP/AVP 0', 'a=sendrecv']), { ...LOCAL, sessionVersion: 3 });
    expect(resume.media).toMatchObject({ onHold: false, direction: 'sendrecv' });
    expect(resume.sdp).toContain('o=- 1700000000 3 IN IP4 203.0.113.5\r\n');
    const recvonly = answerOffer(offerWith(['m=audio 5000 RTP/AVP 0', 'a=recvonly']), LOCAL);
    expect(recvonly.media.onHold).toBe(false);
  });

  it('treats c=0.0.0.0 as RFC 2543 hold: we stop sending', () => {
    const { sdp, media } = answerOffer(offerWith(['m=audio 5000 RTP/AVP 0'], ['c=IN IP4 0.0.0.0']), LOCAL);
    expect(media).toMatchObject({ onHold: true, direction: 'recvonly', remote: { address: '0.0.0.0' } });
    expect(sdp).toContain('a=recvonly\r\n');
  });

  it('prefers media-level c= and direction over session-level ones', () => {
    const offer = offerWith(
      ['m=audio 5000 RTP/AVP 0', 'c=IN IP4 192.0.2.99', 'a=sendrecv', 'm=audio 0 RTP/AVP 0'],
      ['c=IN IP4 0.0.0.0', 'a=sendonly'],
    );
    expect(answerOffer(offer, LOCAL).media).toMatchObject({ onHold: false, direction: 'sendrecv', remote: { address: '192.0.2.99' } });
    const sessionOnly = offerWith(['m=audio 5000 RTP/AVP 0'], ['c=IN IP4 192.0.2.10', 'a=sendonly']);
    expect(answerOffer(sessionOnly, LOCAL).media).toMatchObject({ onHold: true, direction: 'recvonly' });
  });

  it('works over IPv6', () => {
    const offer = crlf(['v=0', 'o=- 1 1 IN IP6 2001:db8::1', 's=-', 'c=IN IP6 2001:db8::1', 't=0 0', 'm=audio 5000 RTP/AVP 0']);
    const { sdp, media } = answerOffer(offer, { ...LOCAL, address: '2001:db8::5' });
    expect(media.remote).toEqual({ address: '2001:db8::1', rtpPort: 5000, rtcpPort: 5001 });
    expect(sdp).toContain('o=- 1700000000 1 IN IP6 2001:db8::5\r\n');
    expect(sdp).toContain('c=IN IP6 2001:db8::5\r\n');
  });

  it('takes the RTCP port from a=rtcp', () => {
    const { media } = answerOffer(offerWith(['m=audio 5000 RTP/AVP 0', 'a=rtcp:5555 IN IP4 192.0.2.10']), LOCAL);
    expect(media.remote.rtcpPort).toBe(5555);
  });

  it.each([
    ['ptime 30', ['a=ptime:30'], 30],
    ['ptime capped by maxptime', ['a=ptime:60', 'a=maxptime:40'], 40],
    ['maxptime below ours', ['a=maxptime:10'], 10],
    ['ptime not a multiple of 10', ['a=ptime:25'], 20],
    ['ptime too large', ['a=ptime:80'], 20],
    ['fractional ptime', ['a=ptime:20.5'], 20],
    ['maxptime invalid', ['a=ptime:60', 'a=maxptime:45'], 60],
  ])('negotiates ptime: %s', (_label, attrs, expected) => {
    expect(answerOffer(offerWith(['m=audio 5000 RTP/AVP 0', ...attrs]), LOCAL).media.ptimeMs).toBe(expected);
  });

  it.each([
    ['empty', '', /empty SDP/],
    ['not SDP', 'hello world', /v=0/],
    ['JSON', '{"v":0}', /v=0/],
    ['bad line', 'v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nthis is not sdp\r\n', /line 3/],
    ['no o=', 'v=0\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nm=audio 5000 RTP/AVP 0\r\n', /missing o= line/],
    ['no m=', offerWith([]), /missing m= line/],
    ['bad m= port', offerWith(['m=audio x RTP/AVP 0']), /malformed m= line 1/],
    ['port too large', offerWith(['m=audio 70000 RTP/AVP 0']), /malformed m= line 1/],
    ['bad payload type', offerWith(['m=audio 5000 RTP/AVP 0 200']), /payload type outside/],
    ['no formats', offerWith(['m=audio 5000 RTP/AVP']), /malformed m= line 1|no formats/],
    ['no c=', offerWith(['m=audio 5000 RTP/AVP 0'], []), /missing c= line for m= line 1/],
  ])('rejects %s with 400', (_label, sdp, reason) => {
    let caught: unknown;
    try {
      answerOffer(sdp, LOCAL);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(SdpError);
    if (caught instanceof SdpError) {
      expect(SDP_STATUS_OF_CODE[caught.code]).toBe(400);
      expect(caught.message).toMatch(reason);
    }
  });

  it('never throws anything but SdpError on random junk', () => {
    let seed = 42;
    const rand = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const pieces = ['v=0', 'o=- 1 1 IN IP4 1.2.3.4', 'c=IN IP4 1.2.3.4', 'm=audio 5000 RTP/AVP 0', 'a=rtpmap:0', 'a=rtpmap:96 /', 'm=', 'c=', 'a=ptime:', '\u0000', '=', 'x'];
    for (let i = 0; i < 500; i++) {
      const lines = Array.from({ length: 1 + Math.floor(rand() * 8) }, () => pieces[Math.floor(rand() * pieces.length)] ?? '');
      try {
        answerOffer(crlf(lines), LOCAL);
      } catch (err) {
        expect(err).toBeInstanceOf(SdpError);
      }
    }
  });

  it('refuses invalid local media with 500', () => {
    expectSdpError(() => answerOffer(SIPP_OFFER, { ...LOCAL, codecs: ['G729'] }), 500, 'SDP_BAD_LOCAL_MEDIA', /G729/);
    expectSdpError(() => answerOffer(SIPP_OFFER, { ...LOCAL, codecs: [] }), 500, 'SDP_BAD_LOCAL_MEDIA');
    expectSdpError(() => answerOffer(SIPP_OFFER, { ...LOCAL, codecs: ['telephone-event'] }), 500, 'SDP_BAD_LOCAL_MEDIA');
    expectSdpError(() => answerOffer(SIPP_OFFER, { ...LOCAL, port: 0 }), 500, 'SDP_BAD_LOCAL_MEDIA');
    expectSdpError(() => answerOffer(SIPP_OFFER, { ...LOCAL, sessionId: 'abc' }), 500, 'SDP_BAD_LOCAL_MEDIA');
  });
});

describe('createOffer / acceptAnswer', () => {
  const local: LocalMedia = { ...LOCAL, codecs: ['opus', 'G722', 'PCMU'], username: 'patchbay', sessionName: 'Patchbay' };

  it('writes a late offer with our codecs, telephone-event, ptime and direction', () => {
    expect(createOffer(local)).toBe(
      crlf([
        'v=0',
        'o=patchbay 1700000000 1 IN IP4 203.0.113.5',
        's=Patchbay',
        'c=IN IP4 203.0.113.5',
        't=0 0',
        'm=audio 40000 RTP/AVP 111 9 0 101',
        'a=rtpmap:111 opus/48000/2',
        'a=rtpmap:9 G722/8000',
        'a=rtpmap:0 PCMU/8000',
        'a=rtpmap:101 telephone-event/8000',
        'a=fmtp:111 minptime=10;useinbandfec=1',
        'a=fmtp:101 0-16',
        'a=ptime:20',
        'a=sendrecv',
      ]),
    );
    expect(createOffer({ ...LOCAL, direction: 'sendonly', telephoneEvent: false })).toContain('m=audio 40000 RTP/AVP 0 8\r\na=rtpmap:0');
    expect(createOffer({ ...LOCAL, direction: 'sendonly' })).toContain('a=sendonly\r\n');
  });

  it('round-trips: our offer answered by our own answerer', () => {
    const answerer: LocalMedia = { ...LOCAL, address: '198.51.100.9', port: 50000, codecs: ['G722', 'PCMU'] };
    const { sdp, media: theirs } = answerOffer(createOffer(local), answerer);
    expect(theirs.codec.name).toBe('G722');
    const ours = acceptAnswer(local, sdp);
    expect(ours).toEqual({
      codec: { name: 'G722', payloadType: 9, clockRate: 8000, channels: 1 },
      telephoneEvent: { payloadType: 101, clockRate: 8000 },
      remote: { address: '198.51.100.9', rtpPort: 50000, rtcpPort: 50001 },
      direction: 'sendrecv',
      onHold: false,
      ptimeMs: 20,
    });
  });

  it("uses the answer's first offered codec and its payload type number", () => {
    const answer = offerWith(['m=audio 7000 RTP/AVP 8 0 102', 'a=rtpmap:102 opus/48000/2', 'a=ptime:30']);
    const media = acceptAnswer({ ...LOCAL, codecs: ['PCMU', 'PCMA', 'opus'] }, answer);
    expect(media.codec).toEqual({ name: 'PCMA', payloadType: 8, clockRate: 8000, channels: 1 });
    expect(media.telephoneEvent).toBeUndefined();
    expect(media.ptimeMs).toBe(30);
    const opusFirst = offerWith(['m=audio 7000 RTP/AVP 102 0', 'a=rtpmap:102 opus/48000/2']);
    expect(acceptAnswer({ ...LOCAL, codecs: ['PCMU', 'opus'] }, opusFirst).codec.payloadType).toBe(102);
  });

  it('maps answer direction to ours', () => {
    const media = acceptAnswer({ ...LOCAL, direction: 'sendonly' }, offerWith(['m=audio 7000 RTP/AVP 0', 'a=recvonly']));
    expect(media).toMatchObject({ direction: 'sendonly', onHold: false });
  });

  it('rejects answers that refuse the stream or share no codec', () => {
    expectSdpError(() => acceptAnswer(LOCAL, offerWith(['m=audio 0 RTP/AVP 0'])), 488, 'SDP_NO_AUDIO');
    expectSdpError(() => acceptAnswer(LOCAL, offerWith(['m=audio 7000 RTP/AVP 18'])), 488, 'SDP_NO_COMMON_CODEC', /G729/);
    expectSdpError(() => acceptAnswer(LOCAL, offerWith(['m=audio 7000 RTP/SAVP 0'])), 488, 'SDP_UNSUPPORTED_TRANSPORT');
    expectSdpError(() => acceptAnswer(LOCAL, offerWith(['m=video 7000 RTP/AVP 96'])), 400, 'SDP_PARSE');
    expectSdpError(() => acceptAnswer(LOCAL, 'garbage'), 400, 'SDP_PARSE');
  });
});
