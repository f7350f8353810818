import { AdapterConfigError } from '@patchbay/adapter-kit';
import { describe, expect, it } from 'vitest';
import { adapter } from './index.js';
import { recordingLogger } from './test-support/fake-context.js';

const ENV = { LIVEKIT_API_KEY: 'APIkey', LIVEKIT_API_SECRET: 'secret-secret-secret-secret-secret' };

function parse(options: Record<string, unknown>) {
  return adapter.options.safeParse(options);
}

function issues(options: Record<string, unknown>): string[] {
  const result = parse(options);
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

function configError(run: () => unknown): AdapterConfigError {
  try {
    run();
  } catch (err) {
    if (err instanceof AdapterConfigError) return err;
    throw err;
  }
  throw new Error('expected an AdapterConfigError');
}

describe('livekit options', () => {
  it('fills the documented defaults', () => {
    const result = parse({ url: 'wss://example.livekit.cloud' });
    expect(result.success && result.data).toEqual({
      url: 'wss://example.livekit.cloud',
      apiKeyEnv: 'LIVEKIT_API_KEY',
      apiSecretEnv: 'LIVEKIT_API_SECRET',
      room: 'patchbay-{callId}',
      identity: 'sip-{callId}',
      participantName: 'Phone caller',
      participantKind: 'sip',
      agentTimeoutMs: 20_000,
      silencePeak: 100,
      spurtHangoverMs: 400,
      interruptHoldMaxMs: 2000,
    });
  });

  it('wants exactly one of url and urlEnv', () => {
    expect(issues({})).toEqual(['url: set exactly one of url or urlEnv']);
    expect(issues({ url: 'wss://a.example', urlEnv: 'LIVEKIT_URL' })).toEqual(['url: set exactly one of url or urlEnv']);
    expect(issues({ urlEnv: 'LIVEKIT_URL' })).toEqual([]);
    expect(issues({ apiKeyEnv: 'not a name' })).toEqual(['apiKeyEnv: must be an environment variable name', 'url: set exactly one of url or urlEnv']);
  });

  it('lists every problem with its path', () => {
    expect(
      issues({ url: 'https://a.example', apiKeyEnv: 'not a name', room: 'call-{from}', agentTimeoutMs: -1, extra: true }),
    ).toEqual(
      expect.arrayContaining([
        'url: must be a ws:// or wss:// URL',
        'apiKeyEnv: must be an environment variable name',
        'room: unknown placeholder {from} (known: {callId}, {streamId}, {direction})',
        expect.stringMatching(/^agentTimeoutMs: /),
        expect.stringMatching(/^: Unrecognized key.*extra/),
      ]),
    );
  });
});

describe('livekit adapter create()', () => {
  const options = (extra: Record<string, unknown> = {}) => {
    const result = adapter.options.safeParse({ url: 'wss://example.livekit.cloud', ...extra });
    if (!result.success) throw result.error;
    return result.data;
  };

  it('builds the agent when the credentials are there', () => {
    expect(adapter.create(options(), { env: ENV, logger: recordingLogger() }).name).toBe('livekit');
  });

  it('fails at start-up, naming the variable, when a secret is missing', () => {
    const err = configError(() => adapter.create(options({ apiSecretEnv: 'LK_SECRET' }), { env: ENV, logger: recordingLogger() }));
    expect(err.code).toBe('ADAPTER_SECRET_MISSING');
    expect(err.message).toBe('livekit apiSecretEnv: environment variable LK_SECRET is not set');
    expect(err.message).not.toContain(ENV.LIVEKIT_API_SECRET);
  });

  it('reads the URL from urlEnv, and refuses one that is not ws(s)', () => {
    const base = adapter.options.parse({ urlEnv: 'LK_URL' });
    expect(configError(() => adapter.create(base, { env: ENV, logger: recordingLogger() })).message).toBe(
      'livekit urlEnv: environment variable LK_URL is not set',
    );
    const bad = configError(() => adapter.create(base, { env: { ...ENV, LK_URL: 'https://x.example' }, logger: recordingLogger() }));
    expect(bad.code).toBe('ADAPTER_BAD_OPTIONS');
    expect(bad.message).toContain('LK_URL');
    expect(adapter.create(base, { env: { ...ENV, LK_URL: 'wss://x.example' }, logger: recordingLogger() }).name).toBe('livekit');
  });
});
