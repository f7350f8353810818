import { describe, expect, it } from 'vitest';
import { parseConfig } from './config.js';
import { configIssues } from './config-testing.js';

const issues = configIssues;

describe('sip.tls and trunks[].tls', () => {
  it('has no TLS listener unless sip.tls names a certificate and key; defaults port 5061, TLS 1.2, no client certificates', () => {
    expect(parseConfig({}).sip.tls).toBeUndefined();
    expect(parseConfig({ sip: { tls: { certFile: 'c.pem', keyFile: 'k.pem' } } }).sip.tls).toEqual({ port: 5061, certFile: 'c.pem', keyFile: 'k.pem', minVersion: '1.2', requireClientCert: false });
    expect(issues({ sip: { tls: { certFile: 'c.pem', minVersion: '1.1' } } })).toEqual([
      'sip.tls.keyFile: Invalid input: expected string, received undefined',
      'sip.tls.minVersion: Invalid option: expected one of "1.2"|"1.3"',
    ]);
  });

  it('takes tls as a trunk transport (port 5061 by default) only with the TLS listener; verify defaults to true', () => {
    const trunk = { name: 'secure', outbound: { proxy: { host: 'sip.carrier.example', transport: 'tls' } }, register: { user: 'acct' }, tls: { serverName: 'sip.carrier.example' } };
    const config = parseConfig({ sip: { tls: { certFile: 'c.pem', keyFile: 'k.pem' } }, trunks: [trunk] });
    const parsed = config.trunks[0];
    expect(parsed?.outbound?.proxy).toEqual({ host: 'sip.carrier.example', port: 5061, transport: 'tls' });
    expect(parsed?.register?.registrar).toEqual({ host: 'sip.carrier.example', port: 5061, transport: 'tls' });
    expect(parsed?.tls).toEqual({ serverName: 'sip.carrier.example', verify: true });
    expect(issues({ trunks: [trunk] })).toEqual([
      'trunks[0].outbound.proxy.transport: tls needs the TLS listener (sip.tls with certFile and keyFile)',
      'trunks[0].register.transport: tls needs the TLS listener (sip.tls with certFile and keyFile)',
    ]);
    expect(issues({ sip: { tls: { certFile: 'c', keyFile: 'k' } }, trunks: [{ ...trunk, tls: { certFile: 'client.pem' } }] })).toEqual(['trunks[0].tls.keyFile: certFile and keyFile go together']);
  });
});
