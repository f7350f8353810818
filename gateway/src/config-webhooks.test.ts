import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from './config.js';

const SECRET = `whsec_${Buffer.alloc(32, 1).toString('base64')}`;
const issues = (raw: unknown, env: Record<string, string> = {}): string[] => {
  try {
    parseConfig(raw, env);
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.issues;
    throw err;
  }
};

describe('webhooks: configuration', () => {
  it('defaults: no endpoints, 5 s timeout, 4 per endpoint, 5 s → 1 h backoff for 24 h', () => {
    const c = parseConfig({});
    expect(c.webhooks).toEqual({
      endpoints: [],
      timeoutMs: 5000,
      maxConcurrentPerEndpoint: 4,
      retry: { initialDelayMs: 5000, maxDelayMs: 3_600_000, giveUpAfterMs: 86_400_000 },
      pollIntervalMs: 1000,
    });
  });

  it('reads each secret from its environment variable at start', () => {
    const c = parseConfig({ webhooks: { endpoints: [{ name: 'crm', url: 'https://crm.example/hooks', secretEnv: 'CRM_SECRET', events: ['call.ended'] }] } }, { CRM_SECRET: SECRET });
    expect(c.webhooks.endpoints[0]).toMatchObject({ name: 'crm', secret: SECRET, events: ['call.ended'] });
  });

  it('a missing or malformed secret is a start-up error naming the variable, global or per number', () => {
    expect(issues({ webhooks: { endpoints: [{ name: 'crm', url: 'https://crm.example/h', secretEnv: 'CRM_SECRET' }] } })).toEqual([
      'webhooks.endpoints[0].secretEnv: environment variable CRM_SECRET is not set',
    ]);
    expect(issues({ webhooks: { endpoints: [{ name: 'crm', url: 'https://crm.example/h', secretEnv: 'CRM_SECRET' }] } }, { CRM_SECRET: 'hunter2' })[0]).toContain("CRM_SECRET must start with 'whsec_'");
    expect(issues({ webhooks: { endpoints: [{ name: 'crm', url: 'https://crm.example/h', secretEnv: 'S' }] } }, { S: 'whsec_c2hvcnQ=' })[0]).toContain('openssl rand -base64 32');
    const numbers = { '+15550100001': { agent: 'echo', webhooks: [{ url: 'https://a.example/h', secretEnv: 'NUM_SECRET' }] } };
    expect(issues({ numbers })).toEqual(['numbers."+15550100001".webhooks[0].secretEnv: environment variable NUM_SECRET is not set']);
    expect(issues({ numbers }, { NUM_SECRET: SECRET })).toEqual([]);
  });

  it('refuses unknown event types, duplicate names, non-HTTP URLs and bad number patterns', () => {
    const env = { S: SECRET };
    const e = (extra: Record<string, unknown>) => ({ name: 'a', url: 'http://127.0.0.1/h', secretEnv: 'S', ...extra });
    expect(issues({ webhooks: { endpoints: [e({ events: ['call.started'] })] } }, env)[0]).toMatch(/^webhooks\.endpoints\[0\]\.events\[0\]:/);
    expect(issues({ webhooks: { endpoints: [e({}), e({})] } }, env)).toEqual(["webhooks.endpoints[1].name: duplicate webhook endpoint name 'a'"]);
    expect(issues({ webhooks: { endpoints: [e({ url: 'ftp://x/h' })] } }, env)[0]).toContain('http:// or https://');
    expect(issues({ webhooks: { endpoints: [e({ numbers: ['+1*5'] })] } }, env)[0]).toMatch(/^webhooks\.endpoints\[0\]\.numbers\[0\]:/);
    expect(issues({ webhooks: { retry: { initialDelayMs: 10, maxDelayMs: 5 } } })).toEqual(['webhooks.retry.maxDelayMs: must be >= initialDelayMs']);
  });
});
