import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../config.js';
import { referToUri, TransferTargetError } from './transfer-target.js';

const peer = { domain: null, peerHost: '203.0.113.7' };

function targetError(fn: () => unknown): TransferTargetError {
  try {
    fn();
  } catch (err) {
    if (err instanceof TransferTargetError) return err;
    throw err;
  }
  throw new Error('expected a TransferTargetError');
}

describe('referToUri', () => {
  it('puts a phone number on the host the call came from', () => {
    expect(referToUri('+15557654321', peer)).toBe('sip:+15557654321@203.0.113.7');
    expect(referToUri('5557654321', peer)).toBe('sip:5557654321@203.0.113.7');
  });

  it('puts a phone number on sip.transferDomain when it is set, port included', () => {
    expect(referToUri('+15557654321', { domain: 'pbx.example.com', peerHost: '203.0.113.7' })).toBe('sip:+15557654321@pbx.example.com');
    expect(referToUri('+15557654321', { domain: 'pbx.example.com:5080', peerHost: '203.0.113.7' })).toBe('sip:+15557654321@pbx.example.com:5080');
  });

  it('brackets an IPv6 peer and escapes # in the user part', () => {
    expect(referToUri('100#', { domain: null, peerHost: '2001:db8::1' })).toBe('sip:100%23@[2001:db8::1]');
    expect(referToUri('*72', peer)).toBe('sip:*72@203.0.113.7');
  });

  it('uses a sip: or sips: URI as it is', () => {
    expect(referToUri('sip:desk@pbx.example.com;transport=tcp', peer)).toBe('sip:desk@pbx.example.com;transport=tcp');
    expect(referToUri('sips:+15557654321@carrier.example', peer)).toBe('sips:+15557654321@carrier.example');
  });

  it('refuses what is neither, and URIs that could break out of the header', () => {
    expect(targetError(() => referToUri('tel:+15557654321', peer)).code).toBe('TRANSFER_BAD_TARGET');
    expect(targetError(() => referToUri('desk', peer)).message).toMatch(/phone number .* or a sip:\/sips: URI/);
    expect(targetError(() => referToUri('sip:a@b>\r\nX-Evil: 1', peer)).message).toMatch(/not a usable SIP URI/);
    expect(targetError(() => referToUri('sip:a@b c', peer)).code).toBe('TRANSFER_BAD_TARGET');
    expect(targetError(() => referToUri('sip:', peer)).message).toMatch(/not a valid SIP URI/);
    expect(targetError(() => referToUri(`sip:${'a'.repeat(600)}@b`, peer)).code).toBe('TRANSFER_BAD_TARGET');
    expect(targetError(() => referToUri('+1'.padEnd(40, '5'), peer)).code).toBe('TRANSFER_BAD_TARGET');
  });
});

describe('sip.transferDomain', () => {
  it('defaults to null (the host the call came from) and takes a host, an address or host:port', () => {
    expect(parseConfig({}).sip.transferDomain).toBeNull();
    for (const domain of ['pbx.example.com', '198.51.100.4', 'pbx.example.com:5080', '[2001:db8::1]:5060']) {
      expect(parseConfig({ sip: { transferDomain: domain } }).sip.transferDomain).toBe(domain);
    }
  });

  it('refuses anything else, naming the key', () => {
    for (const domain of ['sip:pbx.example.com', 'pbx example', 'pbx.example.com:port', '']) {
      let issues: string[] = [];
      try {
        parseConfig({ sip: { transferDomain: domain } });
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        issues = err.issues;
      }
      expect(issues, domain).toEqual(['sip.transferDomain: must be a host name or address, optionally with :port']);
    }
  });
});
