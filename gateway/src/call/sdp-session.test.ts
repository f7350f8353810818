import { describe, expect, it } from 'vitest';
import { SdpError } from '../sdp/index.js';
import { localSrtp, SdpSession } from './sdp-session.js';

const KEY = 'PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR';
const offer = (media: string[]): string => ['v=0', 'o=- 1 1 IN IP4 192.0.2.10', 's=-', 'c=IN IP4 192.0.2.10', 't=0 0', ...media].join('\r\n') + '\r\n';
const SAVP = offer(['m=audio 5000 RTP/SAVP 0', `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${KEY}`]);
const AVP = offer(['m=audio 5000 RTP/AVP 0']);
const session = (): SdpSession => new SdpSession({ address: '203.0.113.5', port: 40000, codecs: ['PCMU'], srtp: localSrtp('optional', ['AES_CM_128_HMAC_SHA1_80']) });
const code = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (err) {
    if (err instanceof SdpError) return err.code;
    throw err;
  }
  return undefined;
};

describe('SdpSession and SRTP', () => {
  it('draws a fresh key per call and keeps it for the re-INVITEs', () => {
    const a = session();
    const first = a.answer(SAVP);
    expect(a.answer(SAVP)).toBe(first);
    const keyOf = (sdp: string): string | undefined => /inline:(\S+)/.exec(sdp)?.[1];
    expect(keyOf(session().answer(SAVP))).not.toBe(keyOf(first));
  });

  it('an optional call that went SRTP refuses a plain re-INVITE (no downgrade); a plain one refuses SRTP', () => {
    const secure = session();
    secure.answer(SAVP);
    expect(code(() => secure.answer(AVP))).toBe('SDP_SRTP_REQUIRED');
    expect(secure.negotiated?.srtp?.local.suite).toBe('AES_CM_128_HMAC_SHA1_80');
    expect(secure.offer()).toContain('RTP/SAVP');
    const plain = session();
    plain.answer(AVP);
    expect(code(() => plain.answer(SAVP))).toBe('SDP_UNSUPPORTED_TRANSPORT');
    expect(plain.negotiated?.srtp).toBeUndefined();
  });

  it('draws no keys with SRTP off', () => {
    expect(localSrtp('off', ['AEAD_AES_128_GCM']).keys).toEqual({});
    const k = localSrtp('required', ['AEAD_AES_128_GCM']).keys.AEAD_AES_128_GCM;
    expect([k?.masterKey.length, k?.masterSalt.length]).toEqual([16, 12]);
  });
});
