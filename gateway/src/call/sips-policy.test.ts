import { describe, expect, it } from 'vitest';
import { SIPS_REFUSALS, sipsRefusal } from './sips-policy.js';

describe('sips: Request-URIs', () => {
  it('over TLS, and sip: over anything, pass', () => {
    expect(sipsRefusal('sips:+15550100001@gw.example', 'tls', true)).toBeUndefined();
    expect(sipsRefusal('sip:+15550100001@gw.example', 'udp', true)).toBeUndefined();
    expect(sipsRefusal('tel:+15550100001', 'tcp', false)).toBeUndefined();
  });

  it('over UDP or TCP with a TLS listener: 480 with Warning 380 (RFC 5630 §5.3); without one: 416 (RFC 3261 §8.2.2.1)', () => {
    const notSecure = sipsRefusal('SIPS:+15550100001@gw.example', 'udp', true);
    expect(notSecure).toMatchObject({ status: 480, reason: 'Temporarily Unavailable', code: 'SIPS_NOT_SECURE' });
    expect(notSecure?.headers).toEqual([{ name: 'Warning', value: '380 patchbay "SIPS Not Allowed"' }]);
    expect(sipsRefusal('sips:x@gw.example', 'tcp', false)).toMatchObject({ status: 416, reason: 'Unsupported URI Scheme', code: 'SIPS_UNSUPPORTED', headers: [] });
    expect(Object.keys(SIPS_REFUSALS)).toEqual(['SIPS_UNSUPPORTED', 'SIPS_NOT_SECURE']);
  });
});
