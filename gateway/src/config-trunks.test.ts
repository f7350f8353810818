import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, parseConfig } from './config.js';
import { configIssues } from './config-testing.js';
import { defaultContactUser } from './config-trunks.js';

const issues = configIssues;

const ENV = { CARRIER_PASS: 'carrier-secret', REG_PASS: 'reg-secret' };

describe('trunks: outbound and register', () => {
  it('reads the README example: outbound side, registration, secrets from env', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pb-trunks-'));
    try {
      writeFileSync(
        join(dir, 'patchbay.yaml'),
        [
          'trunks:',
          '  - name: carrier',
          '    allow: [203.0.113.0/24]',
          '    outbound:',
          '      proxy: { host: sip.carrier.example, port: 5060, transport: udp }',
          '      auth: { username: acct-1234, passwordEnv: CARRIER_PASS }',
          '      numberFormat: e164-no-plus',
          '      callerId: { user: "+15550100001", displayName: Acme, pAssertedIdentity: "+15550100001", privacy: [id] }',
          '      codecs: [PCMU, PCMA]',
          '      maxConcurrentCalls: 20',
          '      callsPerSecond: 2',
          '      allow: ["+1555", "+44"]',
          '    register:',
          '      user: acct-1234',
          '      domain: carrier.example',
          '      expiresS: 600',
        ].join('\n'),
      );
      const config = loadConfig({ cwd: dir, env: ENV });
      const trunk = config.trunks[0];
      expect(trunk?.outbound).toEqual({
        proxy: { host: 'sip.carrier.example', port: 5060, transport: 'udp' },
        auth: { username: 'acct-1234', password: 'carrier-secret' },
        numberFormat: 'e164-no-plus',
        callerId: { user: '+15550100001', displayName: 'Acme', pAssertedIdentity: '+15550100001', privacy: ['id'] },
        codecs: ['PCMU', 'PCMA'],
        maxConcurrentCalls: 20,
        callsPerSecond: 2,
        allow: ['+1555', '+44'],
        deny: [],
      });
      // The registrar, transport and credentials default to the outbound side's.
      expect(trunk?.register).toEqual({
        registrar: { host: 'sip.carrier.example', port: 5060, transport: 'udp' },
        aor: { user: 'acct-1234', domain: 'carrier.example' },
        auth: { username: 'acct-1234', password: 'carrier-secret' },
        expiresS: 600,
        contactUser: defaultContactUser('carrier', 'acct-1234', 'carrier-secret'),
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('defaults: e164, 10 calls, 1 call per second, nothing allowed; 3600 s and a derived contact user', () => {
    const config = parseConfig({
      trunks: [{ name: 'reg-only', register: { host: '192.0.2.10', transport: 'tcp', user: 'alice', auth: { username: 'alice', passwordEnv: 'REG_PASS' } } }],
    }, ENV);
    const trunk = config.trunks[0];
    expect(trunk?.allow).toEqual([]); // a registration admits calls: no allowlist needed
    expect(trunk?.register).toMatchObject({ registrar: { host: '192.0.2.10', port: 5060, transport: 'tcp' }, aor: { user: 'alice', domain: '192.0.2.10' }, expiresS: 3600 });
    expect(trunk?.register?.contactUser).toMatch(/^pb-[0-9a-f]{16}$/);
    // Another password, another contact user: it cannot be derived from the file alone.
    expect(defaultContactUser('reg-only', 'alice', 'other')).not.toBe(trunk?.register?.contactUser);
    const outbound = parseConfig({ trunks: [{ name: 'o', outbound: { proxy: { host: '192.0.2.1' } } }] }).trunks[0]?.outbound;
    expect(outbound).toMatchObject({ proxy: { port: 5060, transport: 'udp' }, numberFormat: 'e164', maxConcurrentCalls: 10, callsPerSecond: 1, allow: [], deny: [], callerId: {} });
  });

  it('lists every problem at its path', () => {
    expect(
      issues({
        sip: { tcp: false },
        trunks: [
          {
            name: 'a',
            outbound: {
              proxy: { host: 'bad host', transport: 'tls' },
              auth: { username: 'u', password: 'inline' },
              numberFormat: 'local',
              callerId: { user: 'a b', displayName: 'Ac"me', pAssertedIdentity: 'http://x', privacy: ['none', 'id'] },
              maxConcurrentCalls: 0,
              callsPerSecond: 0,
              allow: ['1555', '+1555'],
            },
          },
          { name: 'b', register: { user: 'bob', auth: { username: 'bob', passwordEnv: 'MISSING' } } },
          { name: 'c', outbound: { proxy: { host: '192.0.2.1', transport: 'tcp' }, numberFormat: 'national' }, register: { user: 'c', expiresS: 0 } },
        ],
      }),
    ).toEqual([
      'trunks[0].outbound.proxy.host: must be a host name or IP address (no port: use port)',
      'trunks[0].outbound.auth.password: carrier passwords are read from the environment only: name the variable in passwordEnv',
      "trunks[0].outbound.numberFormat: Invalid option: expected one of \"e164\"|\"e164-no-plus\"|\"national\"",
      'trunks[0].outbound.callerId.user: must be 1 to 64 letters, digits or + . _ ~ -',
      'trunks[0].outbound.callerId.displayName: must be 1 to 64 characters without quotes, backslashes or control characters',
      'trunks[0].outbound.callerId.pAssertedIdentity: must be an E.164 number (+15550100001) or a sip:, sips: or tel: URI',
      'trunks[0].outbound.callerId.privacy: none stands alone',
      'trunks[0].outbound.maxConcurrentCalls: Too small: expected number to be >=1',
      'trunks[0].outbound.callsPerSecond: Too small: expected number to be >0',
      "trunks[0].outbound.allow[0]: '1555' is neither an E.164 prefix (+1555) nor a SIP domain (pbx.example.com, *.example.com, an IP address)",
      'trunks[1].register.auth.passwordEnv: environment variable MISSING is not set',
      'trunks[1].register.host: is required when the trunk has no outbound proxy',
      'trunks[2].register.expiresS: Too small: expected number to be >=1',
      'trunks[0].outbound.proxy.transport: tls needs the TLS listener (sip.tls with certFile and keyFile)',
      'trunks[2].outbound.proxy.transport: tcp is disabled (sip.tcp: false)',
      'trunks[2].outbound.countryCode: is required for numberFormat national (or set sip.defaultCountryCode)',
    ]);
  });

  it('refuses two registrations with the same contact user, and a transport sip: does not listen on', () => {
    expect(
      issues({
        sip: { udp: false },
        trunks: [
          { name: 'a', register: { host: '192.0.2.1', transport: 'tcp', user: 'a', contactUser: 'patchbay' } },
          { name: 'b', register: { host: '192.0.2.2', transport: 'tcp', user: 'b', contactUser: 'patchbay' } },
          { name: 'c', register: { host: '192.0.2.3', user: 'c' } },
        ],
      }),
    ).toEqual([
      "trunks[1].register.contactUser: 'patchbay' is also trunks[0]'s contact user",
      'trunks[2].register.transport: udp is disabled (sip.udp: false)',
    ]);
  });

  it('keeps inbound-only trunks as they were', () => {
    const config = parseConfig({ trunks: [{ name: 'in', allow: ['10.0.0.0/8'] }] });
    expect(config.trunks).toEqual([{ name: 'in', allow: ['10.0.0.0/8'], transferBy: 'refer' }]);
  });

  it('transferBy: bridge needs the trunk\'s outbound side (docs/forwarding.md)', () => {
    expect(issues({ trunks: [{ name: 'in', allow: ['10.0.0.0/8'], transferBy: 'bridge' }] })).toEqual([
      "trunks[0].transferBy: bridge needs the trunk's outbound side (outbound.proxy) to ring the target",
    ]);
    const config = parseConfig({ trunks: [{ name: 'both', allow: ['10.0.0.0/8'], transferBy: 'bridge', outbound: { proxy: { host: '192.0.2.1' } } }] });
    expect(config.trunks[0]?.transferBy).toBe('bridge');
  });
});
