import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadAdapterServerConfig, parseAdapterServerConfig } from './config.js';
import { AdapterServerConfigError } from './errors.js';

const SECRET = 'a-secret-of-24-characters';

function issues(raw: unknown, env: Record<string, string> = {}): readonly string[] {
  try {
    parseAdapterServerConfig(raw, env);
  } catch (err) {
    if (err instanceof AdapterServerConfigError) return err.issues;
    throw err;
  }
  throw new Error('expected an AdapterServerConfigError');
}

describe('parseAdapterServerConfig', () => {
  it('fills the defaults and keeps each agent spec as written', () => {
    const config = parseAdapterServerConfig({ agents: { '/sales': { adapter: 'openai-realtime', model: 'm', apiKeyEnv: 'K' } } }, {});
    expect(config).toEqual({
      listen: { host: '0.0.0.0', port: 8790 },
      tokenSecret: undefined,
      publicUrl: undefined,
      agents: { '/sales': { adapter: 'openai-realtime', model: 'm', apiKeyEnv: 'K' } },
      log: { level: 'info' },
    });
  });

  it('resolves the token secret from the named environment variable only', () => {
    const config = parseAdapterServerConfig(
      { listen: { host: '127.0.0.1' }, tokenSecretEnv: 'PATCHBAY_TOKEN_SECRET', agents: { '/a': { adapter: 'pipeline' } } },
      { PATCHBAY_TOKEN_SECRET: SECRET },
    );
    expect(config.tokenSecret).toBe(SECRET);
  });

  it('lists every problem at once, each with its path', () => {
    const found = issues({
      listen: { port: 70000, hots: 'x' },
      agents: { sales: { adapter: 'openai-realtime' }, '/support': { model: 'x' }, '/ok': { adapter: 'Bad Name' }, '/ws': { adapter: 'websocket', url: 'ws://x' } },
      tokenSecret: 'inline secrets are not allowed',
      log: { level: 'loud' },
    });
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^listen\.port: /),
        'listen.hots: unknown key (check the spelling)',
        expect.stringMatching(/^agents\.sales: must be a URL path starting with \//),
        expect.stringMatching(/^agents\."\/support"\.adapter: /),
        expect.stringMatching(/^agents\."\/ok"\.adapter: must be an adapter name/),
        expect.stringMatching(/^agents\."\/ws"\.adapter: websocket is for the gateway/),
        'tokenSecret: unknown key (check the spelling)',
        expect.stringMatching(/^log\.level: /),
      ]),
    );
    expect(found).toHaveLength(8);
  });

  it('requires at least one agent', () => {
    expect(issues({})).toEqual([expect.stringMatching(/^agents: /)]);
    expect(issues({ agents: {} })).toEqual([expect.stringMatching(/^agents: must name at least one path/)]);
  });

  it('reports a missing or short token secret under tokenSecretEnv, naming the variable but never a value', () => {
    const base = { listen: { host: '127.0.0.1' }, tokenSecretEnv: 'PATCHBAY_TOKEN_SECRET', agents: { '/a': { adapter: 'pipeline' } } };
    expect(issues(base)).toEqual(['tokenSecretEnv: environment variable PATCHBAY_TOKEN_SECRET is not set']);
    expect(issues(base, { PATCHBAY_TOKEN_SECRET: '' })).toEqual(['tokenSecretEnv: environment variable PATCHBAY_TOKEN_SECRET is not set']);
    const short = issues(base, { PATCHBAY_TOKEN_SECRET: 'tooshort' });
    expect(short).toEqual(['tokenSecretEnv: environment variable PATCHBAY_TOKEN_SECRET must hold at least 16 characters']);
    expect(issues({ ...base, tokenSecretEnv: 'not a name' })).toEqual([expect.stringMatching(/^tokenSecretEnv: must be an environment variable name/)]);
  });

  it('requires publicUrl with a token on a wildcard address, where the URL the gateway dials is unknown', () => {
    const agents = { '/a': { adapter: 'pipeline' } };
    const env = { S: SECRET };
    expect(issues({ tokenSecretEnv: 'S', agents }, env)).toEqual([expect.stringMatching(/^publicUrl: is required with tokenSecretEnv when listening on 0\.0\.0\.0: .*ws:\/\/adapters:8790/)]);
    expect(parseAdapterServerConfig({ tokenSecretEnv: 'S', publicUrl: 'ws://adapters:8790', agents }, env).publicUrl).toBe('ws://adapters:8790');
    expect(parseAdapterServerConfig({ agents }, {}).tokenSecret).toBeUndefined(); // no token: no URL needed
  });

  it.each(['http://adapters:8790', 'ws://', 'wss://a.example/x?tenant=1', 'adapters:8790'])('rejects publicUrl %s', (publicUrl) => {
    expect(issues({ publicUrl, listen: { host: '127.0.0.1' }, agents: { '/a': { adapter: 'pipeline' } } })).toEqual([expect.stringMatching(/^publicUrl: /)]);
  });
});

describe('loadAdapterServerConfig', () => {
  const dir = mkdtempSync(join(tmpdir(), 'patchbay-adapters-config-'));
  const write = (name: string, text: string): string => {
    const file = join(dir, name);
    writeFileSync(file, text);
    return file;
  };

  it('reads the YAML of the README', () => {
    const file = write(
      'ok.yaml',
      [
        'listen: { host: 0.0.0.0, port: 8790 }',
        'tokenSecretEnv: PATCHBAY_TOKEN_SECRET',
        'publicUrl: ws://adapters:8790',
        'agents:',
        '  /sales:   { adapter: openai-realtime, instructions: "Sell.", apiKeyEnv: OPENAI_API_KEY }',
        '  /support: { adapter: pipeline }',
        '',
      ].join('\n'),
    );
    const config = loadAdapterServerConfig(file, { PATCHBAY_TOKEN_SECRET: SECRET });
    expect(Object.keys(config.agents)).toEqual(['/sales', '/support']);
    expect(config.agents['/sales']).toEqual({ adapter: 'openai-realtime', instructions: 'Sell.', apiKeyEnv: 'OPENAI_API_KEY' });
    expect(config.tokenSecret).toBe(SECRET);
  });

  it('reports a missing file and a YAML syntax error with the file name', () => {
    const missing = join(dir, 'nope.yaml');
    expect(() => loadAdapterServerConfig(missing, {})).toThrow(AdapterServerConfigError);
    expect(() => loadAdapterServerConfig(missing, {})).toThrow(`${missing}: cannot read`);
    const bad = write('bad.yaml', 'agents:\n  /a: { adapter: pipeline\n');
    expect(() => loadAdapterServerConfig(bad, {})).toThrow(`${bad}: YAML syntax error`);
  });

  it('names the file as the source of schema errors', () => {
    const file = write('unknown.yaml', 'agents:\n  /a: { adapter: pipeline }\nlisten: { port: -1 }\n');
    try {
      loadAdapterServerConfig(file, {});
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(AdapterServerConfigError);
      const e = err as AdapterServerConfigError;
      expect(e.code).toBe('ADAPTER_SERVER_CONFIG_INVALID');
      expect(e.source).toBe(file);
      expect(e.issues).toEqual([expect.stringMatching(/^listen\.port: /)]);
    }
  });
});
