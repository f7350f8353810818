import { describe, expect, it } from 'vitest';
import { ScannerMatcher, SCANNER_USER_AGENTS, userAgents } from './scanners.js';

function request(headers: string[], body = ''): Buffer {
  return Buffer.from(['OPTIONS sip:100@192.0.2.1 SIP/2.0', 'Via: SIP/2.0/UDP 198.51.100.1:5060;branch=z9hG4bK1', ...headers, `Content-Length: ${body.length}`, '', body].join('\r\n'));
}

describe('scanner User-Agents', () => {
  const matcher = new ScannerMatcher(SCANNER_USER_AGENTS);

  it.each([
    'friendly-scanner',
    'sipvicious',
    'SIPVicious 0.3.4',
    'sipcli/v1.8',
    'VaxSIPUserAgent/3.1',
    'iWar',
    'sundayddr',
    'pplsip',
    'sip-scan',
    'SIPScan 1.0',
  ])('drops %s', (ua) => {
    expect(matcher.matches(request([`User-Agent: ${ua}`]))).toBe(true);
  });

  it.each(['PortSIP VoIP SDK 11.2', 'Asterisk PBX 20.5.0', 'FreeSWITCH-mod_sofia/1.10', 'Linphone/5.2', 'baresip v3.10', 'sipsak 0.9.8', 'Twilio Gateway', 'Patchbay'])(
    'lets %s through (real products and tools are not scanners)',
    (ua) => {
      expect(matcher.matches(request([`User-Agent: ${ua}`]))).toBe(false);
    },
  );

  it('reads the header name case-insensitively, with space before the colon, and every User-Agent header', () => {
    expect(matcher.matches(request(['user-agent: friendly-scanner']))).toBe(true);
    expect(matcher.matches(request(['USER-AGENT   :friendly-scanner']))).toBe(true);
    expect(matcher.matches(request(['User-Agent: Linphone', 'User-Agent: sipcli']))).toBe(true);
    expect([...userAgents(request(['User-Agent: a', 'X-User-Agent: b', 'User-Agents: c']))]).toEqual(['a']);
  });

  it('never looks in the body, nor at a header that only contains the name', () => {
    expect(matcher.matches(request(['Subject: friendly-scanner']))).toBe(false);
    expect(matcher.matches(request(['Content-Type: text/plain'], 'User-Agent: friendly-scanner'))).toBe(false);
    expect(matcher.matches(request([]))).toBe(false);
  });

  it('takes its list from configuration (an empty list matches nothing)', () => {
    expect(new ScannerMatcher(['evil-ua']).matches(request(['User-Agent: Evil-UA 2']))).toBe(true);
    expect(new ScannerMatcher([]).matches(request(['User-Agent: friendly-scanner']))).toBe(false);
  });
});
