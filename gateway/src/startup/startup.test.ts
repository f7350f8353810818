import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfigWithSource, parseConfig } from '../config.js';
import { SipTransportError, SipTransportErrorCode } from '../sip/transport/transport-error.js';
import { describeTarget, invocationDir, listenFailure, routesSummary, safeUrl, startBanner } from './index.js';

let root = '';
let userDir = '';
let gatewayDir = '';
beforeEach(() => {
  // A checkout: the user's patchbay.yaml at the top, the process running in gateway/ (as `npm start` runs it).
  root = mkdtempSync(join(tmpdir(), 'patchbay-startup-'));
  userDir = root;
  gatewayDir = join(root, 'gateway');
  mkdirSync(gatewayDir);
  writeFileSync(join(userDir, 'patchbay.yaml'), 'numbers:\n  "+15550100001": { agent: echo }\n');
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** What main.ts does: the directory from INIT_CWD (else the working directory), then the file from it. */
const load = (env: Record<string, string>, cwd = gatewayDir) => loadConfigWithSource({ cwd: invocationDir(env, cwd), env });

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('where the configuration comes from', () => {
  it('npm start: reads patchbay.yaml where npm was run (INIT_CWD), not from gateway/', () => {
    writeFileSync(join(gatewayDir, 'patchbay.yaml'), 'numbers:\n  "*": { agent: demo }\n'); // must not win
    const { config, source } = load({ INIT_CWD: userDir });
    expect(source).toEqual({ kind: 'file', path: join(userDir, 'patchbay.yaml'), via: 'patchbay.yaml' });
    expect(Object.keys(config.numbers)).toEqual(['+15550100001']);
  });

  it('run directly (no INIT_CWD, or an empty or relative one): the working directory', () => {
    expect(invocationDir({}, '/srv/patchbay')).toBe('/srv/patchbay');
    expect(invocationDir({ INIT_CWD: '' }, '/srv/patchbay')).toBe('/srv/patchbay');
    expect(invocationDir({ INIT_CWD: 'relative/dir' }, '/srv/patchbay')).toBe('/srv/patchbay');
    expect(invocationDir({ INIT_CWD: '/home/me' }, '/srv/patchbay')).toBe('/home/me');
    expect(load({}, userDir).source).toEqual({ kind: 'file', path: join(userDir, 'patchbay.yaml'), via: 'patchbay.yaml' });
  });

  it('no patchbay.yaml where the command was run: the embedded defaults, and says so with the directory', () => {
    rmSync(join(userDir, 'patchbay.yaml'));
    const { config, source } = load({ INIT_CWD: userDir });
    expect(source).toEqual({ kind: 'defaults', dir: userDir });
    expect(routesSummary(config)).toBe('1 route: * → built-in demo agent');
  });

  it('a relative PATCHBAY_CONFIG is resolved from where the command was run; an absolute one as is', () => {
    mkdirSync(join(userDir, 'etc'));
    writeFileSync(join(userDir, 'etc', 'gw.yaml'), 'sip:\n  port: 2222\n');
    const relative = load({ INIT_CWD: userDir, PATCHBAY_CONFIG: 'etc/gw.yaml' });
    expect(relative.source).toEqual({ kind: 'file', path: join(userDir, 'etc', 'gw.yaml'), via: 'PATCHBAY_CONFIG' });
    expect(relative.config.sip.port).toBe(2222);
    const absolute = load({ INIT_CWD: '/', PATCHBAY_CONFIG: join(userDir, 'etc', 'gw.yaml') });
    expect(absolute.source).toMatchObject({ path: join(userDir, 'etc', 'gw.yaml') });
  });

  it('a missing PATCHBAY_CONFIG is named as given, as resolved, and from where', () => {
    const err = configError(() => load({ INIT_CWD: userDir, PATCHBAY_CONFIG: 'conf/missing.yaml' }));
    expect(err.issues).toEqual([
      `PATCHBAY_CONFIG=conf/missing.yaml: file not found: ${join(userDir, 'conf', 'missing.yaml')} (relative to ${userDir}, where the command was run)`,
    ]);
    const abs = join(userDir, 'nope.yaml');
    expect(configError(() => load({ PATCHBAY_CONFIG: abs })).issues).toEqual([`PATCHBAY_CONFIG=${abs}: file not found: ${abs}`]);
  });
});

describe('the start banner', () => {
  const config = parseConfig(
    {
      sip: { host: '0.0.0.0', tcp: false },
      numbers: {
        '+15550100001': { agent: 'echo' },
        '+1555*': { agent: 'wss://user:pass@bots.example.com:8443/support?token=s3cret#frag', protocol: 'twilio' },
        support: { agent: { adapter: 'openai-realtime', model: 'gpt-realtime', apiKeyEnv: 'OPENAI_API_KEY' } },
        '*': { agent: 'ws://127.0.0.1:9000' },
      },
    },
    {},
  );

  it('names the file and what each route reaches, secrets and query strings left out', () => {
    const text = startBanner({ config, source: { kind: 'file', path: '/home/me/patchbay.yaml', via: 'patchbay.yaml' }, sipPort: 5060, httpPort: 8080 });
    expect(text).toBe(
      [
        'Patchbay is listening: SIP on udp 0.0.0.0:5060, HTTP on http://0.0.0.0:8080/healthz',
        'Configuration: /home/me/patchbay.yaml',
        'Numbers (the longest match wins):',
        '  +15550100001  → built-in echo agent',
        '  +1555*        → wss://bots.example.com:8443/support (Twilio Media Streams)',
        '  support       → openai-realtime adapter (gpt-realtime)',
        '  *             → ws://127.0.0.1:9000',
        'Try it: call sip:anything@127.0.0.1:5060 → ws://127.0.0.1:9000',
        '',
      ].join('\n'),
    );
    expect(text).not.toMatch(/s3cret|pass|frag|OPENAI_API_KEY/);
  });

  it('with the embedded defaults: the directory searched, and the demo agent', () => {
    const defaults = parseConfig({}, {});
    const text = startBanner({ config: defaults, source: { kind: 'defaults', dir: '/home/me/patchbay' }, sipPort: 5060, httpPort: 8080 });
    expect(text).toBe(
      [
        'Patchbay is listening: SIP on udp/tcp 0.0.0.0:5060, HTTP on http://0.0.0.0:8080/healthz',
        'Configuration: no patchbay.yaml in /home/me/patchbay: embedded defaults',
        'Numbers (the longest match wins):',
        '  *  → built-in demo agent',
        'Try it: call sip:anything@127.0.0.1:5060 → built-in demo agent',
        '',
      ].join('\n'),
    );
  });

  it('without a catch-all, the example dials the first exact number; PATCHBAY_CONFIG is named', () => {
    const one = parseConfig({ sip: { host: '127.0.0.1' }, numbers: { '+1555*': { agent: 'demo' }, '+15550100009': { agent: 'echo' } } }, {});
    const text = startBanner({ config: one, source: { kind: 'file', path: '/etc/patchbay/gw.yaml', via: 'PATCHBAY_CONFIG' }, sipPort: 5070, httpPort: 8081 });
    expect(text).toContain('Configuration: /etc/patchbay/gw.yaml (PATCHBAY_CONFIG)\n');
    expect(text).toContain('Try it: call sip:+15550100009@127.0.0.1:5070 → built-in echo agent\n');
  });

  it('says where call records are stored (SQLite file, or the PostgreSQL URL as given, already redacted) and how to list them', () => {
    const defaults = parseConfig({}, {});
    const sqlite = startBanner({ config: defaults, source: { kind: 'defaults', dir: '/home/me' }, sipPort: 5060, httpPort: 8080, records: { engine: 'sqlite', where: '/home/me/data/patchbay.db' } });
    expect(sqlite.split('\n').at(-2)).toBe('Call records: SQLite at /home/me/data/patchbay.db; list them with GET http://127.0.0.1:8080/v1/calls');
    const pg = startBanner({ config: defaults, source: { kind: 'defaults', dir: '/home/me' }, sipPort: 5060, httpPort: 8081, records: { engine: 'postgres', where: 'postgres://patchbay:***@db.example:5432/patchbay' } });
    expect(pg).toContain('Call records: PostgreSQL at postgres://patchbay:***@db.example:5432/patchbay; list them with GET http://127.0.0.1:8081/v1/calls\n');
  });

  it('names the SIP over TLS port when sip.tls is set', () => {
    const withTls = parseConfig({ sip: { host: '127.0.0.1', tls: { certFile: 'c.pem', keyFile: 'k.pem' } } }, {});
    const text = startBanner({ config: withTls, source: { kind: 'defaults', dir: '/home/me' }, sipPort: 5060, tlsPort: 5061, httpPort: 8080 });
    expect(text.split('\n')[0]).toBe('Patchbay is listening: SIP on udp/tcp 127.0.0.1:5060, SIP over TLS on 127.0.0.1:5061, HTTP on http://0.0.0.0:8080/healthz');
  });

  it('the log line sums the routes up in one line', () => {
    expect(routesSummary(config)).toBe(
      '4 routes: +15550100001 → built-in echo agent; +1555* → wss://bots.example.com:8443/support (Twilio Media Streams); ' +
        'support → openai-realtime adapter (gpt-realtime); * → ws://127.0.0.1:9000',
    );
    expect(describeTarget({ agent: { adapter: 'pipeline' }, parameters: {} })).toBe('pipeline adapter');
    expect(safeUrl('ws://h/bot/?a=1')).toBe('ws://h/bot/');
  });
});

describe('a listener that cannot open', () => {
  const config = parseConfig({ sip: { port: 5060 }, http: { port: 8080 } }, {});
  const sysErr = (code: string, syscall: string, address: string, port: number): Error =>
    Object.assign(new Error(`${syscall} ${code}: ${address}:${port}`), { code, syscall, address, port, errno: -98 });

  it('SIP over UDP: the port, and sip.port / PATCHBAY_SIP_PORT', () => {
    const err = new SipTransportError('cannot bind UDP 0.0.0.0:5060', SipTransportErrorCode.NotListening, sysErr('EADDRINUSE', 'bind', '0.0.0.0', 5060));
    expect(listenFailure(err, config)).toEqual({
      code: 'START_PORT_IN_USE',
      listener: 'sip-udp',
      host: '0.0.0.0',
      port: 5060,
      message:
        'SIP port 5060 (UDP on 0.0.0.0) is already in use by another program (another Patchbay, a SIP server, a web server?): ' +
        'set sip.port in patchbay.yaml or PATCHBAY_SIP_PORT (e.g. PATCHBAY_SIP_PORT=5070 npm start).',
    });
  });

  it('SIP over TCP and HTTP are told apart; a privileged port says why', () => {
    const tcp = new SipTransportError('cannot listen on TCP', SipTransportErrorCode.NotListening, sysErr('EADDRINUSE', 'listen', '0.0.0.0', 5060));
    expect(listenFailure(tcp, config)).toMatchObject({ listener: 'sip-tcp', message: expect.stringMatching(/^SIP port 5060 \(TCP on 0\.0\.0\.0\).*PATCHBAY_SIP_PORT/) });
    expect(listenFailure(sysErr('EADDRINUSE', 'listen', '127.0.0.1', 8080), config)).toMatchObject({
      listener: 'http',
      message: expect.stringMatching(/^HTTP port 8080 \(TCP on 127\.0\.0\.1\) is already in use.*set http\.port in patchbay\.yaml or PATCHBAY_HTTP_PORT \(e\.g\. PATCHBAY_HTTP_PORT=8081 npm start\)/),
    });
    expect(listenFailure(sysErr('EACCES', 'listen', '0.0.0.0', 80), config)).toMatchObject({ code: 'START_PORT_FORBIDDEN', message: expect.stringMatching(/HTTP port 80 .*needs privileges/) });
    expect(listenFailure(sysErr('EADDRNOTAVAIL', 'bind', '192.0.2.1', 5060), config)).toMatchObject({ code: 'START_ADDRESS_UNAVAILABLE', message: expect.stringMatching(/set sip\.host/) });
  });

  it('SIP over TLS: its own port and sip.tls.port', () => {
    const withTls = parseConfig({ sip: { port: 5060, tls: { port: 5061, certFile: 'c.pem', keyFile: 'k.pem' } } }, {});
    const err = new SipTransportError('cannot listen on TLS', SipTransportErrorCode.NotListening, sysErr('EADDRINUSE', 'listen', '0.0.0.0', 5061));
    expect(listenFailure(err, withTls)).toMatchObject({ listener: 'sip-tls', port: 5061, message: expect.stringMatching(/^SIP over TLS port 5061 \(TLS on 0\.0\.0\.0\) is already in use.*set sip\.tls\.port in patchbay\.yaml \(e\.g\. 5071\)\.$/) });
  });

  it('anything else is not described (the caller reports it as it is)', () => {
    expect(listenFailure(new Error('boom'), config)).toBeUndefined();
    expect(listenFailure(sysErr('ENOENT', 'open', '', 0), config)).toBeUndefined();
    expect(listenFailure('a string', config)).toBeUndefined();
  });
});
