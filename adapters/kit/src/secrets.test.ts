import { describe, expect, it } from 'vitest';
import { AdapterConfigError, secretFromEnv } from './index.js';

describe('secretFromEnv', () => {
  it('reads the named variable', () => {
    expect(secretFromEnv({ OPENAI_API_KEY: 'sk-test' }, 'OPENAI_API_KEY', 'openai-realtime apiKeyEnv')).toBe('sk-test');
  });

  it('names the variable, never a value, when it is unset or blank', () => {
    for (const env of [{}, { OPENAI_API_KEY: '  ' }]) {
      const err = (() => {
        try {
          secretFromEnv(env, 'OPENAI_API_KEY', 'openai-realtime apiKeyEnv');
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(err).toBeInstanceOf(AdapterConfigError);
      expect((err as AdapterConfigError).code).toBe('ADAPTER_SECRET_MISSING');
      expect((err as AdapterConfigError).message).toBe('openai-realtime apiKeyEnv: environment variable OPENAI_API_KEY is not set');
    }
  });
});
