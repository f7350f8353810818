import { describe, expect, it } from 'vitest';
import type { SipRequest } from '../sip/message.js';
import { acceptsSdp } from './accepts-sdp.js';

function invite(...accept: string[]): SipRequest {
  return { kind: 'request', method: 'INVITE', uri: 'sip:a@b', headers: accept.map((value) => ({ name: 'Accept', value })), body: Buffer.alloc(0) };
}

describe('acceptsSdp (RFC 3261 §20.1)', () => {
  it('accepts no Accept, application/sdp, media ranges, and a list that includes SDP', () => {
    expect(acceptsSdp(invite())).toBe(true);
    expect(acceptsSdp(invite('application/sdp'))).toBe(true);
    expect(acceptsSdp(invite('Application/SDP;level=1'))).toBe(true);
    expect(acceptsSdp(invite('*/*'))).toBe(true);
    expect(acceptsSdp(invite('application/*;q=0.5'))).toBe(true);
    expect(acceptsSdp(invite('text/plain', 'multipart/mixed, application/sdp'))).toBe(true);
  });

  it('refuses an Accept without SDP (RFC 4475 sdp01), an empty one, and q=0', () => {
    expect(acceptsSdp(invite('text/nobodyKnowsThis'))).toBe(false);
    expect(acceptsSdp(invite(''))).toBe(false);
    expect(acceptsSdp(invite('application/sdp;q=0'))).toBe(false);
    expect(acceptsSdp(invite('application/sdp; q = 0.0'))).toBe(false);
  });
});
