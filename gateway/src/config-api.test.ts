import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from './config.js';

const KEY = '0123456789abcdef0123';

function issues(raw: unknown, env: Record<string, string> = {}): string[] {
  try {
    parseConfig(raw, env);
  } catch (err) {
    if (err instanceof ConfigError) return err.issues;
    throw err;
  }
  return [];
}

describe('api:', () => {
  it('defaults: no keys, 60 calls a minute, 64 KiB bodies', () => {
    expect(parseConfig({}).api).toEqual({ keys: [], rateLimit: { callsPerMinute: 60 }, bodyLimitBytes: 65536 });
  });

  it('reads each key from its environment variable', () => {
    const config = parseConfig({ api: { keys: [{ name: 'backend', keyEnv: 'PB_KEY' }], rateLimit: { callsPerMinute: 5 }, bodyLimitBytes: 2048 } }, { PB_KEY: KEY });
    expect(config.api).toEqual({ keys: [{ name: 'backend', key: KEY }], rateLimit: { callsPerMinute: 5 }, bodyLimitBytes: 2048 });
  });

  it('lists every problem: unset or short variables, duplicate names, inline keys, bad limits', () => {
    const found = issues(
      {
        api: {
          keys: [{ name: 'a', keyEnv: 'UNSET' }, { name: 'b', keyEnv: 'SHORT' }, { name: 'c', key: KEY, keyEnv: 'GOOD' }],
          rateLimit: { callsPerMinute: 0 },
          bodyLimitBytes: 10,
        },
      },
      { SHORT: 'abc', GOOD: KEY },
    );
    expect(found.some((i) => i.includes('api.keys[0].keyEnv') && i.includes('UNSET is not set'))).toBe(true);
    expect(found.some((i) => i.includes('api.keys[1].keyEnv') && i.includes('at least 16 characters'))).toBe(true);
    expect(found.some((i) => i.includes('api.keys[2]') && i.includes('key'))).toBe(true);
    expect(found.some((i) => i.includes('api.rateLimit.callsPerMinute'))).toBe(true);
    expect(found.some((i) => i.includes('api.bodyLimitBytes'))).toBe(true);
    expect(issues({ api: { keys: [{ name: 'a', keyEnv: 'K1' }, { name: 'a', keyEnv: 'K2' }] } }, { K1: KEY, K2: `${KEY}x` })).toEqual([
      expect.stringContaining("duplicate API key name 'a'"),
    ]);
  });
});
