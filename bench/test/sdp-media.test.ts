import { describe, expect, it } from 'vitest';
import { codecProfile } from '../src/load/codec-profile.js';
import { answeredMedia, offerSdp } from '../src/load/sdp-media.js';

/** An answer as the gateway writes it (sdp-transform): session-level c=, one format, telephone-event after it. */
function answer(formats: string, rtpmaps: readonly string[], mediaConnection?: string): string {
  return [
    'v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', `m=audio 40002 RTP/AVP ${formats}`,
    ...(mediaConnection === undefined ? [] : [`c=IN IP4 ${mediaConnection}`]),
    ...rtpmaps, 'a=ptime:20', 'a=sendrecv', '',
  ].join('\r\n');
}

describe('offerSdp', () => {
  it.each([
    ['PCMU', 'm=audio 4000 RTP/AVP 0', 'a=rtpmap:0 PCMU/8000'],
    ['PCMA', 'm=audio 4000 RTP/AVP 8', 'a=rtpmap:8 PCMA/8000'],
    ['G722', 'm=audio 4000 RTP/AVP 9', 'a=rtpmap:9 G722/8000'],
    ['opus', 'm=audio 4000 RTP/AVP 111', 'a=rtpmap:111 opus/48000/2'],
  ] as const)('offers %s alone, with its RFC 3551 / RFC 7587 rtpmap', (codec, mLine, rtpmap) => {
    const lines = offerSdp(codecProfile(codec), 4000, 7).split('\r\n');
    expect(lines).toContain(mLine);
    expect(lines).toContain(rtpmap);
    expect(lines).toContain('a=ptime:20');
    expect(lines.filter((l) => l.startsWith('a=rtpmap:'))).toHaveLength(1);
  });
});

describe('answeredMedia', () => {
  it("takes the answer's payload type for a dynamic codec, not the one we offered", () => {
    const body = answer('96 101', ['a=rtpmap:96 OPUS/48000/2', 'a=rtpmap:101 telephone-event/48000']);
    expect(answeredMedia(body, codecProfile('opus'))).toEqual({ address: '127.0.0.1', port: 40002, payloadType: 96 });
  });

  it('knows a static payload type without an rtpmap, and PCMU/8000/1 as PCMU', () => {
    expect(answeredMedia(answer('9', []), codecProfile('G722'))?.payloadType).toBe(9);
    expect(answeredMedia(answer('0', ['a=rtpmap:0 PCMU/8000/1']), codecProfile('PCMU'))?.payloadType).toBe(0);
  });

  it('prefers the media-level connection address', () => {
    expect(answeredMedia(answer('8', ['a=rtpmap:8 PCMA/8000'], '127.0.0.2'), codecProfile('PCMA'))?.address).toBe('127.0.0.2');
  });

  it('is undefined when the answer does not carry our codec (another codec, or opus at another rate)', () => {
    expect(answeredMedia(answer('0', ['a=rtpmap:0 PCMU/8000']), codecProfile('G722'))).toBeUndefined();
    expect(answeredMedia(answer('111', ['a=rtpmap:111 opus/16000/1']), codecProfile('opus'))).toBeUndefined();
    expect(answeredMedia('v=0\r\n', codecProfile('PCMU'))).toBeUndefined();
  });
});
