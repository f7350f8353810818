import { AdapterConfigError } from '@patchbay/adapter-kit';
import { describe, expect, it } from 'vitest';
import { adapter } from './index.js';
import { realtimeOptions } from './options.js';

const logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

function issues(input: unknown): string[] {
  const result = realtimeOptions.safeParse(input);
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('options', () => {
  it('has sensible defaults', () => {
    expect(realtimeOptions.parse({})).toEqual({
      model: 'gpt-realtime',
      apiKeyEnv: 'OPENAI_API_KEY',
      bargeIn: 'gateway',
      turnDetection: { type: 'server_vad' },
      tools: { endCall: true, transferCall: true, warmTransfer: true, sendDtmf: true },
      dtmfToText: true,
      dtmfFlushMs: 1_000,
      connectTimeoutMs: 5_000,
      maxGoodbyeMs: 15_000,
      transcript: 'final',
    });
  });

  it('accepts the README example', () => {
    expect(issues({ model: 'gpt-realtime', voice: 'marin', instructions: 'You are the front desk of …', apiKeyEnv: 'OPENAI_API_KEY' })).toEqual([]);
  });

  it('is strict, and lists every problem with its path', () => {
    expect(issues({ temperature: 0.8 })).toEqual([': Unrecognized key: "temperature"']);
    expect(issues({ turnDetection: { type: 'semantic_vad', threshold: 0.5 }, baseUrl: 'ftp://x', apiKeyEnv: 'not a name' })).toEqual([
      'apiKeyEnv: must be an environment variable name',
      'baseUrl: must be an http(s):// or ws(s):// URL',
      'turnDetection.threshold: only applies to server_vad',
    ]);
    expect(issues({ transferTargets: { sales: 'call me' } })).toEqual(['transferTargets.sales: must be a phone number (+15551234567) or a sip: URI']);
    expect(issues({ turnDetection: { eagerness: 'high' } })).toEqual(['turnDetection.eagerness: only applies to semantic_vad']);
  });

  it('a missing API key fails at start-up, naming the variable (never a value)', () => {
    for (const [options, name] of [
      [{}, 'OPENAI_API_KEY'],
      [{ apiKeyEnv: 'FRONT_DESK_KEY' }, 'FRONT_DESK_KEY'],
    ] as const) {
      let err: unknown;
      try {
        adapter.create(realtimeOptions.parse(options), { env: { OPENAI_API_KEY: name === 'OPENAI_API_KEY' ? ' ' : 'sk-set' }, logger });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(AdapterConfigError);
      expect((err as AdapterConfigError).code).toBe('ADAPTER_SECRET_MISSING');
      expect((err as AdapterConfigError).message).toBe(`openai-realtime apiKeyEnv: environment variable ${name} is not set`);
    }
  });

  it('with the key set, create() returns an agent without connecting anywhere', () => {
    const agent = adapter.create(realtimeOptions.parse({}), { env: { OPENAI_API_KEY: 'sk-x' }, logger });
    expect(agent.name).toBe('openai-realtime');
  });
});
