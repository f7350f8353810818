import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from './config.js';

describe('database: config', () => {
  it('defaults to SQLite in ./data, 90 days, a 10,000-op queue', () => {
    expect(parseConfig({}).database).toEqual({
      enabled: true,
      dataDir: './data',
      url: undefined,
      poolSize: 10,
      retentionDays: 90,
      queue: { maxOps: 10_000, maxSpillBytes: 256 * 1024 * 1024, batchOps: 500 },
    });
  });

  it('reads the PostgreSQL URL from urlEnv, so the password stays out of the file', () => {
    const db = parseConfig({ database: { urlEnv: 'PB_DB' } }, { PB_DB: 'postgres://u:p@127.0.0.1/db' }).database;
    expect(db.url).toBe('postgres://u:p@127.0.0.1/db');
  });

  it('lists every problem: url and urlEnv both, a missing variable, a URL that is not PostgreSQL', () => {
    const issues = (raw: unknown, env = {}): string[] => {
      try {
        parseConfig(raw, env);
        return [];
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        return err.issues;
      }
    };
    expect(issues({ database: { url: 'postgres://h/db', urlEnv: 'X' } }).join('\n')).toContain('database.url: set either url or urlEnv, not both');
    expect(issues({ database: { urlEnv: 'NOPE' } }).join('\n')).toContain('database.urlEnv: environment variable NOPE is not set');
    expect(issues({ database: { url: 'mysql://h/db' } }).join('\n')).toContain('database.url: must be a postgres:// or postgresql:// URL');
    expect(issues({ database: { retentionDays: -1, queue: { maxOps: 0 } } })).toHaveLength(2);
  });

  it('enabled false with webhooks configured is an error: webhooks are sent from the store', () => {
    const env = { HOOK: `whsec_${Buffer.alloc(32, 7).toString('base64')}` };
    expect(parseConfig({ database: { enabled: false } }).database.enabled).toBe(false);
    let issues: string[] = [];
    try {
      parseConfig({
        database: { enabled: false },
        webhooks: { endpoints: [{ name: 'crm', url: 'http://127.0.0.1:9/hook', secretEnv: 'HOOK' }] },
        numbers: { '+15550100001': { agent: 'echo', webhooks: [{ url: 'http://127.0.0.1:9/n', secretEnv: 'HOOK' }] } },
      }, env);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      issues = err.issues;
    }
    expect(issues).toEqual(expect.arrayContaining([
      expect.stringContaining('webhooks.endpoints: webhooks need the database: database.enabled is false'),
      expect.stringContaining('numbers."+15550100001".webhooks: webhooks need the database'),
    ]));
  });
});
