/** SRTP with SDES in offer/answer (RFC 4568) under each policy, and the 488s that policy refuses with. */
import { describe, expect, it } from 'vitest';
import { sdpAnswer, type SipAnswer } from '../call/sip-answers.js';
import { SRTP_SUITE_PREFERENCE, SRTP_SUITES, type SrtpSuite } from '../media/srtp/types.js';
import { SdpError } from './errors.js';
import { acceptAnswer, answerOffer, createOffer } from './offer-answer.js';
import { parseCryptoLine } from './sdes.js';
import type { LocalMedia, LocalSrtp, SrtpPolicy } from './types.js';

const RFC_KEY = 'PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR';
const GCM_KEY = Buffer.alloc(28, 9).toString('base64');

function keysOf(fill: number): LocalSrtp['keys'] {
  const keys: Partial<Record<SrtpSuite, { suite: SrtpSuite; masterKey: Uint8Array; masterSalt: Uint8Array }>> = {};
  for (const suite of SRTP_SUITE_PREFERENCE) {
    const info = SRTP_SUITES[suite];
    keys[suite] = { suite, masterKey: Buffer.alloc(info.keyLength, fill), masterSalt: Buffer.alloc(info.saltLength, fill + 1) };
  }
  return keys;
}

function local(policy: SrtpPolicy, suites: readonly SrtpSuite[] = SRTP_SUITE_PREFERENCE): LocalMedia {
  return { address: '203.0.113.5', port: 40000, codecs: ['PCMU'], sessionId: '1', sessionVersion: 1, srtp: { policy, suites, keys: keysOf(0x11) } };
}

function offer(media: string[]): string {
  return ['v=0', 'o=- 1 1 IN IP4 192.0.2.10', 's=-', 'c=IN IP4 192.0.2.10', 't=0 0', ...media].join('\r\n') + '\r\n';
}

const SAVP = ['m=audio 5000 RTP/SAVP 0', `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${RFC_KEY}|2^20`, `a=crypto:2 AEAD_AES_128_GCM inline:${GCM_KEY}`];
const AVP = ['m=audio 5000 RTP/AVP 0'];

function refusal(fn: () => unknown): SipAnswer {
  try {
    fn();
  } catch (err) {
    if (err instanceof SdpError) return sdpAnswer(err);
    throw err;
  }
  throw new Error('expected an SdpError, nothing was thrown');
}

const cryptoLines = (sdp: string): string[] => sdp.split('\r\n').filter((l) => l.startsWith('a=crypto:')).map((l) => l.slice(9));

describe('answering an RTP/SAVP offer', () => {
  it.each(['optional', 'required'] as const)('%s: picks our preferred suite, echoes its tag, gives our own key', (policy) => {
    const { sdp, media } = answerOffer(offer(SAVP), local(policy));
    expect(sdp).toContain('m=audio 40000 RTP/SAVP 0\r\n');
    const lines = cryptoLines(sdp);
    expect(lines).toHaveLength(1);
    const ours = parseCryptoLine(lines[0] ?? '');
    if (!('key' in ours)) throw new Error(`our line was skipped: ${ours.skip}`);
    expect(ours.tag).toBe(2);
    expect(ours.key.suite).toBe('AEAD_AES_128_GCM');
    expect(Buffer.from(ours.key.masterKey)).toEqual(Buffer.alloc(16, 0x11));
    expect(media.srtp?.local.suite).toBe('AEAD_AES_128_GCM');
    expect(Buffer.from(media.srtp?.remote.masterKey ?? [])).toEqual(Buffer.alloc(16, 9));
    expect(Buffer.from(media.srtp?.remote.masterSalt ?? [])).toEqual(Buffer.alloc(12, 9));
  });

  it('takes the suite our list prefers (AES_CM 80 when GCM is not ours)', () => {
    const { sdp, media } = answerOffer(offer(SAVP), local('optional', ['AES_CM_128_HMAC_SHA1_80']));
    expect(cryptoLines(sdp)).toHaveLength(1);
    expect(cryptoLines(sdp)[0]).toMatch(/^1 AES_CM_128_HMAC_SHA1_80 inline:/);
    expect(media.srtp?.remote.suite).toBe('AES_CM_128_HMAC_SHA1_80');
    expect(Buffer.from(media.srtp?.remote.masterKey ?? [])).toEqual(Buffer.from(RFC_KEY, 'base64').subarray(0, 16));
  });

  it('off: refuses RTP/SAVP with 488 saying SRTP is off', () => {
    const answer = refusal(() => answerOffer(offer(SAVP), local('off')));
    expect([answer.status, answer.code]).toEqual([488, 'SDP_UNSUPPORTED_TRANSPORT']);
    expect(answer.reason).toBe('Not Acceptable Here - unsupported transport RTP/SAVP (need RTP/AVP: SRTP is off)');
    expect(answer.headers).toEqual([{ name: 'Warning', value: `304 patchbay "${answer.reason}"` }]);
  });

  it('refuses a crypto-less or unusable SAVP offer with 488 naming the suites offered', () => {
    const bad = ['m=audio 5000 RTP/SAVP 0', `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${RFC_KEY}|2^20|1:4`, `a=crypto:2 AES_256_CM_HMAC_SHA1_80 inline:${RFC_KEY}`];
    const answer = refusal(() => answerOffer(offer(bad), local('required')));
    expect([answer.status, answer.code]).toEqual([488, 'SDP_NO_COMMON_CRYPTO']);
    expect(answer.reason).toMatch(/no usable a=crypto \(offered: AES_CM_128_HMAC_SHA1_80, AES_256_CM_HMAC_SHA1_80;/);
    expect(refusal(() => answerOffer(offer(['m=audio 5000 RTP/SAVP 0']), local('optional'))).reason).toMatch(/offered: none/);
  });

  it('optional: a best-effort offer (SAVP then AVP) gets SRTP; with no usable crypto, the AVP stream', () => {
    const both = answerOffer(offer([...SAVP, 'm=audio 5002 RTP/AVP 0']), local('optional'));
    expect(both.media.remote.rtpPort).toBe(5000);
    expect(both.media.srtp).toBeDefined();
    const fallback = answerOffer(offer(['m=audio 5000 RTP/SAVP 0', 'a=crypto:1 BOGUS inline:xx', 'm=audio 5002 RTP/AVP 0']), local('optional'));
    expect(fallback.media.remote.rtpPort).toBe(5002);
    expect(fallback.media.srtp).toBeUndefined();
    expect(fallback.sdp).toContain('m=audio 0 RTP/SAVP 0\r\nm=audio 40000 RTP/AVP 0\r\n');
  });

  it('required: takes the SAVP stream of a best-effort offer', () => {
    const { media } = answerOffer(offer(['m=audio 5002 RTP/AVP 0', ...SAVP]), local('required'));
    expect(media.remote.rtpPort).toBe(5000);
    expect(media.srtp?.local.suite).toBe('AEAD_AES_128_GCM');
  });
});

describe('answering a plain offer', () => {
  it.each(['off', 'optional'] as const)('%s: plain RTP/AVP, no crypto', (policy) => {
    const { sdp, media } = answerOffer(offer(AVP), local(policy));
    expect(sdp).toContain('m=audio 40000 RTP/AVP 0\r\n');
    expect(cryptoLines(sdp)).toEqual([]);
    expect(media.srtp).toBeUndefined();
  });

  it('required: 488 SRTP required', () => {
    const answer = refusal(() => answerOffer(offer(AVP), local('required')));
    expect([answer.status, answer.code, answer.reason]).toEqual([488, 'SDP_SRTP_REQUIRED', 'Not Acceptable Here - SRTP required (offered RTP/AVP)']);
  });
});

describe('transports we never take', () => {
  it.each([
    ['UDP/TLS/RTP/SAVPF', /unsupported transport UDP\/TLS\/RTP\/SAVPF \(need RTP\/AVP or RTP\/SAVP with SDES; DTLS-SRTP is not supported\)/],
    ['UDP/TLS/RTP/SAVP', /DTLS-SRTP is not supported/],
    ['RTP/SAVPF', /unsupported transport RTP\/SAVPF \(need RTP\/AVP or RTP\/SAVP with SDES\)$/],
  ])('%s: 488', (protocol, reason) => {
    const answer = refusal(() => answerOffer(offer([`m=audio 5000 ${protocol} 0`, `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${RFC_KEY}`]), local('optional')));
    expect([answer.status, answer.code]).toEqual([488, 'SDP_UNSUPPORTED_TRANSPORT']);
    expect(answer.reason).toMatch(reason);
  });
});

describe('our offers', () => {
  it('required: RTP/SAVP with one line per suite, GCM first, tags 1..n', () => {
    const sdp = createOffer(local('required'));
    expect(sdp).toContain('m=audio 40000 RTP/SAVP 0 101\r\n');
    expect(cryptoLines(sdp).map((l) => l.split(' ').slice(0, 2).join(' '))).toEqual(['1 AEAD_AES_128_GCM', '2 AES_CM_128_HMAC_SHA1_80', '3 AES_CM_128_HMAC_SHA1_32']);
  });

  it.each(['off', 'optional'] as const)('%s: plain RTP/AVP', (policy) => {
    const sdp = createOffer(local(policy));
    expect(sdp).toContain('m=audio 40000 RTP/AVP 0 101\r\n');
    expect(cryptoLines(sdp)).toEqual([]);
  });

  it('accepts an answer choosing one of our lines, with the answerer key', () => {
    const media = acceptAnswer(local('required'), offer(['m=audio 6000 RTP/SAVP 0', `a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:${RFC_KEY}`]));
    expect(media.srtp?.local.suite).toBe('AES_CM_128_HMAC_SHA1_80');
    expect(Buffer.from(media.srtp?.local.masterKey ?? [])).toEqual(Buffer.alloc(16, 0x11));
    expect(Buffer.from(media.srtp?.remote.masterKey ?? [])).toEqual(Buffer.from(RFC_KEY, 'base64').subarray(0, 16));
  });

  it.each([
    ['a plain answer', ['m=audio 6000 RTP/AVP 0'], 'SDP_SRTP_REQUIRED'],
    ['a tag we did not offer', ['m=audio 6000 RTP/SAVP 0', `a=crypto:9 AES_CM_128_HMAC_SHA1_80 inline:${RFC_KEY}`], 'SDP_NO_COMMON_CRYPTO'],
    ['our tag with another suite', ['m=audio 6000 RTP/SAVP 0', `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${RFC_KEY}`], 'SDP_NO_COMMON_CRYPTO'],
    ['no crypto', ['m=audio 6000 RTP/SAVP 0'], 'SDP_NO_COMMON_CRYPTO'],
  ])('refuses %s to our SAVP offer with 488', (_label, media, code) => {
    const answer = refusal(() => acceptAnswer(local('required'), offer(media)));
    expect([answer.status, answer.code]).toEqual([488, code]);
  });

  it('refuses an SAVP answer to our plain offer', () => {
    const answer = refusal(() => acceptAnswer(local('optional'), offer(SAVP)));
    expect([answer.status, answer.code]).toEqual([488, 'SDP_UNSUPPORTED_TRANSPORT']);
  });
});
