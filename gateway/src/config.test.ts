import { SCANNER_USER_AGENTS } from './edge/index.js';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_CONFIG_FILE, formatPath, loadConfig, parseConfig } from './config.js';

const EXAMPLE = `
sip:
  port: 5070
  ringing: true
  defaultCountryCode: 1
numbers:
  "+15550100001": { agent: echo }
  +15550100002: { agent: "ws://127.0.0.1:9000/bot" }
  "+1555*": { agent: demo, ringing: true, answerDelayMs: 500, parameters: { lang: en } }
trunks:
  - name: carrier-a
    allow: ["127.0.0.1/32", "10.0.0.0/8"]
    auth: { username: carrier-a, password: secret }
  - name: carrier-b
    allow: []
    auth: { username: carrier-b, passwordEnv: CARRIER_B_PASSWORD }
log:
  level: debug
`;

/** The ConfigError thrown by `fn`; fails the test when `fn` returns or throws something else. */
function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'patchbay-config-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('loadConfig', () => {
  it('returns the defaults when there is no file and no env', () => {
    const config = loadConfig({ cwd: dir, env: {} });
    expect(config).toEqual({
      sip: {
        host: '0.0.0.0',
        port: 5060,
        udp: true,
        tcp: true,
        tcpLimits: { maxConnections: 1000, maxConnectionsPerIp: 50, idleTimeoutMs: 300_000, incompleteMessageTimeoutMs: 10_000 },
        publicAddress: null,
        maxMessageBytes: 65535,
        maxTransactions: 100_000,
        maxConcurrentCalls: 1000,
        retryAfterSeconds: 5,
        ringing: false,
        answerDelayMs: 0,
        defaultCountryCode: null,
        userAgent: 'Patchbay',
        timers: { t1Ms: 500, t2Ms: 4000, t4Ms: 5000 },
        authRealm: 'patchbay',
        authThrottle: { maxFailures: 10, windowMs: 60_000, lockoutMs: 300_000, maxSources: 10_000, maxFailuresPerNonce: 3 },
        edge: { enabled: true, requestsPerSecond: 50, burst: 200, banSeconds: 60, maxBanSeconds: 3600, maxSources: 10_000, exempt: ['127.0.0.0/8', '::1'] },
        unknownSources: 'answer',
        scannerUserAgents: [...SCANNER_USER_AGENTS],
        transferDomain: null,
      },
      // The main listener public; /metrics and /stats without a key on loopback only (docs/http.md); no HTTPS.
      http: { host: '0.0.0.0', port: 8080, admin: { host: '127.0.0.1', port: 9464 }, tls: null },
      media: {
        portMin: 20000,
        portMax: 30000,
        workers: 0,
        codecs: ['G722', 'PCMU', 'PCMA', 'opus'],
        ptimeMs: 20,
        jitter: { mode: 'immediate', minMs: 20, maxMs: 200, startMs: 40 },
        opus: { application: 'restricted_lowdelay', complexity: 1, fec: false, packetLossPercent: 10, bitrate: 32_000 },
        leadMs: 40,
        maxPlayoutMs: 120_000,
        maxUplinkMs: 2000,
        rtcpIntervalMs: 5000,
        rtpTimeoutMs: 60_000,
        latch: 'signalling-ip',
        srtp: 'optional',
        srtpSuites: ['AEAD_AES_128_GCM', 'AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'],
        bargeIn: 'gateway',
        speech: {},
        interruptGuardMs: 500,
      },
      numbers: { '*': { agent: 'demo', parameters: {} } },
      trunks: [],
      transfer: { allow: [], deny: [] },
      agents: { connectTimeoutMs: 3000, onFailure: 'apology', failover: { redial: 1, earlyHangupS: 2, silenceS: 15 }, rejectStatus: 503, tls: {}, tokenSecret: undefined },
      api: { keys: [], rateLimit: { callsPerMinute: 60 }, bodyLimitBytes: 65536 },
      webhooks: { endpoints: [], timeoutMs: 5000, maxConcurrentPerEndpoint: 4, retry: { initialDelayMs: 5000, maxDelayMs: 3_600_000, giveUpAfterMs: 86_400_000 }, pollIntervalMs: 1000 },
      database: { enabled: true, dataDir: './data', poolSize: 10, retentionDays: 90, queue: { maxOps: 10_000, maxSpillBytes: 268_435_456, batchOps: 500 } },
      drain: { timeoutS: 3600, retryAfterS: 60, logIntervalS: 30 },
      log: { level: 'info' },
    });
  });

  it('reads patchbay.yaml from cwd, keeping number keys as written', () => {
    writeFileSync(join(dir, DEFAULT_CONFIG_FILE), EXAMPLE);
    const config = loadConfig({ cwd: dir, env: { CARRIER_B_PASSWORD: 'from-env' } });
    expect(config.sip.port).toBe(5070);
    expect(config.sip.ringing).toBe(true);
    expect(config.sip.defaultCountryCode).toBe('1');
    expect(config.sip.udp).toBe(true);
    expect(config.numbers).toEqual({
      '+15550100001': { agent: 'echo', parameters: {} },
      '+15550100002': { agent: 'ws://127.0.0.1:9000/bot', parameters: {} },
      '+1555*': { agent: 'demo', ringing: true, answerDelayMs: 500, parameters: { lang: 'en' } },
    });
    expect(config.trunks).toEqual([
      { name: 'carrier-a', allow: ['127.0.0.1/32', '10.0.0.0/8'], transferBy: 'refer', auth: { username: 'carrier-a', password: 'secret', algorithms: ['SHA-256', 'MD5'] } },
      { name: 'carrier-b', allow: [], transferBy: 'refer', auth: { username: 'carrier-b', password: 'from-env', algorithms: ['SHA-256', 'MD5'] } },
    ]);
    expect(config.log.level).toBe('debug');
  });

  it('applies env overrides over the file', () => {
    writeFileSync(join(dir, DEFAULT_CONFIG_FILE), 'sip:\n  port: 5070\nhttp:\n  host: 127.0.0.1\n');
    const config = loadConfig({
      cwd: dir,
      env: {
        PATCHBAY_SIP_PORT: '0',
        PATCHBAY_HTTP_PORT: '9090',
        PATCHBAY_ADMIN_PORT: '9465',
        PATCHBAY_LOG_LEVEL: 'warn',
        PATCHBAY_PUBLIC_ADDRESS: '203.0.113.5',
        PATCHBAY_DATA_DIR: '/var/lib/patchbay',
      },
    });
    expect(config.sip.port).toBe(0);
    expect(config.database.dataDir).toBe('/var/lib/patchbay');
    expect(config.sip.publicAddress).toBe('203.0.113.5');
    expect(config.http).toEqual({ host: '127.0.0.1', port: 9090, admin: { host: '127.0.0.1', port: 9465 }, tls: null });
    expect(config.log.level).toBe('warn');
  });

  it('ignores empty env overrides', () => {
    expect(loadConfig({ cwd: dir, env: { PATCHBAY_SIP_PORT: '' } }).sip.port).toBe(5060);
  });

  it('reports bad env overrides under the variable name, with the file errors', () => {
    writeFileSync(join(dir, DEFAULT_CONFIG_FILE), 'http:\n  port: 99999\n');
    const err = configError(() =>
      loadConfig({ cwd: dir, env: { PATCHBAY_SIP_PORT: 'fifty', PATCHBAY_LOG_LEVEL: 'loud' } }),
    );
    expect(err.issues).toHaveLength(3);
    expect(err.issues[0]).toMatch(/^PATCHBAY_SIP_PORT: must be a port number .*'fifty'/);
    expect(err.issues[1]).toMatch(/^PATCHBAY_LOG_LEVEL: must be one of .*'loud'/);
    expect(err.issues[2]).toMatch(/^http\.port: /);
  });

  it('loads PATCHBAY_CONFIG relative to cwd instead of patchbay.yaml', () => {
    writeFileSync(join(dir, DEFAULT_CONFIG_FILE), 'sip:\n  port: 1111\n');
    mkdirSync(join(dir, 'etc'));
    writeFileSync(join(dir, 'etc', 'gw.yaml'), 'sip:\n  port: 2222\n');
    expect(loadConfig({ cwd: dir, env: { PATCHBAY_CONFIG: 'etc/gw.yaml' } }).sip.port).toBe(2222);
  });

  it('fails clearly when PATCHBAY_CONFIG names a missing file', () => {
    writeFileSync(join(dir, DEFAULT_CONFIG_FILE), 'sip:\n  port: 1111\n');
    const err = configError(() => loadConfig({ cwd: dir, env: { PATCHBAY_CONFIG: 'nope.yaml' } }));
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.issues).toEqual([`PATCHBAY_CONFIG=nope.yaml: file not found: ${join(dir, 'nope.yaml')} (relative to ${dir}, where the command was run)`]);
  });

  it('reports a YAML syntax error with its line and column', () => {
    const file = join(dir, DEFAULT_CONFIG_FILE);
    writeFileSync(file, 'sip:\n  port: 5060\n  host: [a, b\nhttp: {}\n');
    const err = configError(() => loadConfig({ cwd: dir, env: {} }));
    expect(err.issues).toHaveLength(1);
    expect(err.issues[0]).toMatch(new RegExp(`^${file}: YAML syntax error: .* at line 4, column 1`));
  });

  it('reports duplicate YAML keys as syntax errors', () => {
    writeFileSync(join(dir, DEFAULT_CONFIG_FILE), 'sip:\n  port: 1\n  port: 2\n');
    const err = configError(() => loadConfig({ cwd: dir, env: {} }));
    expect(err.issues[0]).toMatch(/Map keys must be unique at line 3/);
  });

  it('treats an empty file as defaults', () => {
    writeFileSync(join(dir, DEFAULT_CONFIG_FILE), '# nothing yet\n');
    expect(loadConfig({ cwd: dir, env: {} }).sip.port).toBe(5060);
  });
});

describe('parseConfig', () => {
  it('lists every error at once, one line each with its path', () => {
    const err = configError(() =>
      parseConfig({
        sip: { port: 70000 },
        media: { codecs: ['PCMU', 'GSM'] },
        numbers: { '+15550100001': { agent: 'robot' } },
        log: { level: 'loud' },
      }),
    );
    expect(err.issues).toEqual([
      'sip.port: Too big: expected number to be <=65535',
      expect.stringMatching(/^media\.codecs\[1\]: Invalid option/),
      `numbers."+15550100001".agent: must be a built-in agent (echo, demo) or a ws:// or wss:// URL, got 'robot'`,
      expect.stringMatching(/^log\.level: Invalid option: expected one of "fatal"\|/),
    ]);
    expect(err.message.split('\n')).toHaveLength(5);
    expect(err.message).toContain('4 errors');
    for (const issue of err.issues) expect(err.message).toContain(`  ${issue}`);
  });

  it('rejects unknown keys at any depth', () => {
    const err = configError(() => parseConfig({ sip: { prot: 5060, timers: { t3Ms: 1 } }, extra: true }));
    expect(err.issues).toEqual([
      'sip.timers.t3Ms: unknown key (check the spelling)',
      'sip.prot: unknown key (check the spelling)',
      'extra: unknown key (check the spelling)',
    ]);
  });

  it('rejects an unknown key inside a number entry', () => {
    const err = configError(() => parseConfig({ numbers: { '*': { agent: 'demo', ring: true } } }));
    expect(err.issues).toEqual(['numbers."*".ring: unknown key (check the spelling)']);
  });

  it('resolves passwordEnv from the env it is given', () => {
    const config = parseConfig(
      { trunks: [{ name: 'a', allow: ['10.0.0.0/8'], auth: { username: 'u', passwordEnv: 'A_PASS' } }] },
      { A_PASS: 's3cret' },
    );
    expect(config.trunks[0]?.auth).toEqual({ username: 'u', password: 's3cret', algorithms: ['SHA-256', 'MD5'] });
  });

  it('takes the digest challenge order per trunk and refuses unknown or repeated algorithms', () => {
    const ok = parseConfig({ trunks: [{ name: 'a', auth: { username: 'u', password: 'p', algorithms: ['MD5'] } }] });
    expect(ok.trunks[0]?.auth?.algorithms).toEqual(['MD5']);
    expect(() => parseConfig({ trunks: [{ name: 'a', auth: { username: 'u', password: 'p', algorithms: ['SHA-512'] } }] })).toThrow(/algorithms/);
    expect(() => parseConfig({ trunks: [{ name: 'a', auth: { username: 'u', password: 'p', algorithms: ['MD5', 'MD5'] } }] })).toThrow(/repeat/);
  });

  it('takes barge-in and speech settings per number, and rejects bad ones', () => {
    const config = parseConfig({ media: { speech: { vadMode: 2 } }, numbers: { '+1555*': { agent: 'demo', bargeIn: 'agent', speech: { confirm: 'silero', confirmThreshold: 0.7, graceMs: 300 } } } });
    expect(config.media.speech).toEqual({ vadMode: 2 });
    expect(config.numbers['+1555*']).toMatchObject({ bargeIn: 'agent', speech: { confirm: 'silero', confirmThreshold: 0.7, graceMs: 300 } });
    expect(() => parseConfig({ numbers: { '*': { agent: 'demo', bargeIn: 'sometimes' } } })).toThrow(/bargeIn/);
    expect(() => parseConfig({ media: { speech: { vadMode: 4 } } })).toThrow(/vadMode/);
    expect(() => parseConfig({ media: { speech: { confirm: 'whisper' } } })).toThrow(/confirm/);
  });

  it('takes the Opus encoder settings; FEC only with a mode that has it', () => {
    expect(parseConfig({ media: { opus: { application: 'voip', complexity: 5, fec: true } } }).media.opus)
      .toEqual({ application: 'voip', complexity: 5, fec: true, packetLossPercent: 10, bitrate: 32_000 });
    expect(() => parseConfig({ media: { opus: { fec: true } } })).toThrow(/media.opus: fec: true needs application voip or audio/);
    expect(() => parseConfig({ media: { opus: { complexity: 11 } } })).toThrow(/media.opus.complexity/);
    expect(() => parseConfig({ media: { opus: { application: 'music' } } })).toThrow(/media.opus.application/);
  });

  it('takes the uplink ordering mode, immediate unless told otherwise', () => {
    expect(parseConfig({ media: { jitter: { minMs: 40, startMs: 60 } } }).media.jitter).toEqual({ mode: 'immediate', minMs: 40, maxMs: 200, startMs: 60 });
    expect(parseConfig({ media: { jitter: { mode: 'adaptive' } } }).media.jitter.mode).toBe('adaptive');
    expect(() => parseConfig({ media: { jitter: { mode: 'fast' } } })).toThrow(/media.jitter.mode/);
  });

  it('resolves the agent token secret from env, and rejects a short one', () => {
    const config = parseConfig({ agents: { tokenSecretEnv: 'PB_SECRET', onFailure: 'reject', rejectStatus: 480 } }, { PB_SECRET: 'a-long-enough-secret' });
    expect(config.agents).toMatchObject({ tokenSecret: 'a-long-enough-secret', onFailure: 'reject', rejectStatus: 480 });
    expect(() => parseConfig({ agents: { tokenSecret: 'short' } })).toThrow(/agents.tokenSecret: must be at least 16/);
    expect(() => parseConfig({ agents: { tokenSecretEnv: 'NOPE' } }, {})).toThrow(/NOPE is not set/);
    expect(() => parseConfig({ media: { jitter: { minMs: 100, startMs: 40 } } })).toThrow(/minMs <= startMs/);
  });

  it('reports a missing passwordEnv variable, and password given twice or not at all', () => {
    const err = configError(() =>
      parseConfig({
        trunks: [
          { name: 'a', auth: { username: 'u', passwordEnv: 'A_PASS' } },
          { name: 'b', auth: { username: 'u', password: 'x', passwordEnv: 'B_PASS' } },
          { name: 'c', auth: { username: 'u' } },
        ],
      }),
    );
    expect(err.issues).toEqual([
      'trunks[0].auth.passwordEnv: environment variable A_PASS is not set',
      'trunks[1].auth.password: set either password or passwordEnv, not both',
      'trunks[2].auth.password: password or passwordEnv is required',
    ]);
  });

  it('rejects a bad CIDR, naming it', () => {
    const err = configError(() => parseConfig({ trunks: [{ name: 'a', allow: ['10.0.0.0/8', '300.1.1.1/8'] }] }));
    expect(err.issues).toEqual([
      "trunks[0].allow[1]: invalid CIDR '300.1.1.1/8': '300.1.1.1' is not an IPv4 or IPv6 address",
    ]);
  });

  it('requires an allowlist or auth on each trunk, and unique names', () => {
    const err = configError(() => parseConfig({ trunks: [{ name: 'a' }, { name: 'a', allow: ['10.0.0.1'] }] }));
    expect(err.issues).toEqual([
      'trunks[0].allow: must not be empty unless auth, register or outbound is set',
      "trunks[1].name: duplicate trunk name 'a'",
    ]);
  });

  it.each([
    ['http://example.com/bot', 'must be a built-in agent'],
    ['ws://', "'ws://' is not a valid URL"],
    ['wss://exa mple.com/bot', 'is not a valid URL'],
    ['Echo', 'must be a built-in agent'],
  ])('rejects the agent %j', (agent, why) => {
    const err = configError(() => parseConfig({ numbers: { '*': { agent } } }));
    expect(err.issues).toEqual([expect.stringContaining(`numbers."*".agent: `)]);
    expect(err.issues[0]).toContain(why);
  });

  it("refuses a webhook number without its own agent (its fallback route), and an agent of no kind, saying so", () => {
    const err = configError(() => parseConfig({ numbers: { '+15550100010': { webhook: { url: 'http://127.0.0.1:9/route' } }, '*': { agent: 42 } } }));
    expect(err.issues).toEqual([
      `numbers."+15550100010".agent: required: the agent that takes the call (a built-in name, a ws:// URL or an adapter block); with 'webhook:' too, as the fallback route`,
      'numbers."*".agent: must be a built-in name (echo, demo), a ws:// or wss:// URL, or an adapter block ({adapter: openai-realtime, ...})',
    ]);
  });

  it('accepts ws:// and wss:// agent URLs', () => {
    const config = parseConfig({ numbers: { a: { agent: 'wss://agents.example.com:443/v1?x=1' }, b: { agent: 'ws://[::1]:9000' } } });
    expect(config.numbers['a']?.agent).toBe('wss://agents.example.com:443/v1?x=1');
  });

  it('rejects a bad pattern and still validates its value', () => {
    const err = configError(() => parseConfig({ numbers: { '+1*5': { agent: 'ftp://x' }, 'alice*': { agent: 'echo' } } }));
    expect(err.issues).toEqual([
      expect.stringMatching(/^numbers\."\+1\*5"\.agent: must be a built-in agent/),
      `numbers."+1*5": invalid number pattern '+1*5': '*' may appear only at the end (prefix) or alone (catch-all)`,
      expect.stringMatching(/^numbers\."alice\*": invalid number pattern 'alice\*': a prefix must be digits/),
    ]);
  });

  it('rejects number keys that are the same after normalisation, using defaultCountryCode', () => {
    const numbers = { '+15550100001': { agent: 'echo' }, '5550100001': { agent: 'demo' } };
    expect(() => parseConfig({ numbers })).not.toThrow();
    const err = configError(() => parseConfig({ sip: { defaultCountryCode: '+1' }, numbers }));
    expect(err.issues).toEqual([
      `numbers."5550100001": duplicate number pattern: '+15550100001' and '5550100001' both normalise to '+15550100001'`,
    ]);
  });

  it('validates the media port range, ptime and codecs', () => {
    const err = configError(() =>
      parseConfig({ media: { portMin: 30001, portMax: 30000, ptimeMs: 25, codecs: ['PCMU', 'PCMU'] } }),
    );
    expect(err.issues).toEqual([
      'media.portMin: must be even (RTP uses even ports, RTCP the next odd one)',
      expect.stringMatching(/^media\.codecs: must not list a codec twice/),
      expect.stringMatching(/^media\.ptimeMs: .*10/),
      'media.portMax: must be greater than portMin (at least 2 ports)',
    ]);
    expect(parseConfig({ media: { portMin: 40000, portMax: 40001, ptimeMs: 60, codecs: ['opus', 'G722'] } }).media)
      .toMatchObject({ portMin: 40000, portMax: 40001, ptimeMs: 60, codecs: ['opus', 'G722'] });
  });

  it('takes media.workers as a count or auto, and names a bad one', () => {
    expect(parseConfig({ media: { workers: 'auto' } }).media.workers).toBe('auto');
    expect(parseConfig({ media: { workers: 2 } }).media.workers).toBe(2);
    expect(configError(() => parseConfig({ media: { workers: -1 } })).issues).toEqual([expect.stringMatching(/^media\.workers: /)]);
    expect(configError(() => parseConfig({ media: { workers: 'many' } })).issues).toEqual([expect.stringMatching(/^media\.workers: /)]);
  });

  it('validates SIP timers and the country code', () => {
    const err = configError(() => parseConfig({ sip: { timers: { t1Ms: 500, t2Ms: 100 }, defaultCountryCode: '1234' } }));
    expect(err.issues).toEqual([
      'sip.defaultCountryCode: must be a country calling code of 1 to 3 digits, e.g. 1 or 44',
      'sip.timers.t2Ms: must be >= t1Ms',
    ]);
  });

  it('reports a non-object document at the root', () => {
    expect(configError(() => parseConfig(['sip'])).issues).toEqual([expect.stringMatching(/^\(root\): /)]);
  });

  it('accepts an empty numbers map (every call is then refused)', () => {
    expect(parseConfig({ numbers: {} }).numbers).toEqual({});
  });
});

describe('formatPath', () => {
  it('quotes keys that are not identifiers and brackets indices', () => {
    expect(formatPath(['numbers', '+1555', 'agent'])).toBe('numbers."+1555".agent');
    expect(formatPath(['trunks', 0, 'allow', 1])).toBe('trunks[0].allow[1]');
    expect(formatPath([])).toBe('(root)');
  });
});
