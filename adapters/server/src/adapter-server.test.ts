import { signCallToken } from '@patchbay/agents';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { testLoader } from '../test/test-adapters.js';
import { dial, frame, startMessage } from '../test/ws-client.js';
import { startAdapterServer, type AdapterServer } from './adapter-server.js';
import { parseAdapterServerConfig } from './config.js';
import { AdapterServerConfigError } from './errors.js';

const SECRET = 'a-secret-of-24-characters';
const ENV = { GREETER_KEY: 'k-123', S: SECRET };
const logger = pino({ level: 'silent' });

/** `/echo` plays frames back; `/greeter` says its greeting as a mark and answers digits with digits. */
const AGENTS = {
  '/echo': { adapter: 'echo' },
  '/greeter': { adapter: 'greeter', greeting: 'hello', apiKeyEnv: 'GREETER_KEY' },
};

let server: AdapterServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(raw: Record<string, unknown>, env: Record<string, string> = ENV): Promise<AdapterServer> {
  const config = parseAdapterServerConfig({ listen: { host: '127.0.0.1', port: 0 }, agents: AGENTS, ...raw }, env);
  server = await startAdapterServer(config, { env, logger, load: testLoader });
  return server;
}

/** The issues starting the server with `agents` reports; `registry: 'real'` uses the real registry. */
async function buildIssues(agents: Record<string, unknown>, registry: 'real' | 'test' = 'test'): Promise<readonly string[]> {
  const config = parseAdapterServerConfig({ listen: { host: '127.0.0.1', port: 0 }, agents }, {});
  const err = await startAdapterServer(config, { env: {}, logger, ...(registry === 'test' ? { load: testLoader } : {}) }).then(
    (s) => {
      server = s;
      return undefined;
    },
    (e: unknown) => e,
  );
  if (!(err instanceof AdapterServerConfigError)) throw new Error(`expected AdapterServerConfigError, got ${String(err)}`);
  return err.issues;
}

describe('building the agents', () => {
  it('reports an unknown adapter from the real registry at its path, naming the known ones', async () => {
    const found = await buildIssues({ '/sales': { adapter: 'nope' } }, 'real');
    expect(found).toEqual([expect.stringMatching(/^agents\."\/sales"\.adapter: unknown adapter 'nope' \(known: openai-realtime, pipeline, livekit, websocket\)/)]);
  });

  it("lists every path's bad options with their paths, and a missing secret, all at once", async () => {
    const found = await buildIssues({
      '/a': { adapter: 'greeter', greeting: '', repeat: 9, apiKeyEnv: 'GREETER_KEY', colour: 'red' },
      '/b': { adapter: 'greeter', greeting: 'hi', apiKeyEnv: 'MISSING_KEY' },
      '/c': { adapter: 'shouter' },
      '/d': { adapter: 'echo' },
    });
    expect(found).toEqual([
      expect.stringMatching(/^agents\."\/a"\.greeting: Too small/),
      expect.stringMatching(/^agents\."\/a"\.repeat: Too big/),
      'agents."/a".colour: unknown option (check the spelling)',
      'agents."/b": greeter: environment variable MISSING_KEY is not set',
      "agents.\"/c\".adapter: unknown adapter 'shouter' (known: echo, greeter)",
    ]);
  });
});

describe('serving', () => {
  it('serves two paths with two different agents over protocol v1', async () => {
    const { urls } = await start({});
    expect(Object.keys(urls)).toEqual(['/echo', '/greeter']);

    const echo = await dial(urls['/echo'] ?? '', { callId: 'call-1' });
    const greeter = await dial(urls['/greeter'] ?? '', { callId: 'call-2' });
    echo.ws.send(JSON.stringify(startMessage('call-1')));
    greeter.ws.send(JSON.stringify(startMessage('call-2')));
    const frames = [frame(1), frame(2), frame(3)];
    for (const f of frames) {
      echo.ws.send(f);
      greeter.ws.send(f);
    }
    greeter.ws.send(JSON.stringify({ type: 'dtmf', digit: '7', durationMs: 80, source: 'rfc4733' }));

    for (const [i, f] of frames.entries()) {
      const got = await echo.next(`echoed frame ${i}`);
      expect(got.binary).toBe(true);
      expect(got.data.equals(f)).toBe(true);
    }
    // The greeter never plays audio: its first messages are its greeting, then the digit it was sent.
    expect(await greeter.nextJson('greeting')).toEqual({ type: 'mark', name: 'hello' });
    expect(await greeter.nextJson('digit')).toEqual({ type: 'dtmf', digits: '7' });
  });

  it('refuses unknown paths with 404', async () => {
    const { url } = await start({});
    for (const path of ['/', '/nope', '/echo/', '/ECHO', '/echo/x']) {
      await expect(dial(`${url}${path}`), path).rejects.toThrow('HTTP 404');
    }
  });

  it('close() ends open calls with 1001 and frees the port', async () => {
    const s = await start({});
    const client = await dial(s.urls['/echo'] ?? '');
    client.ws.send(JSON.stringify(startMessage()));
    await s.close();
    expect((await client.closed).code).toBe(1001);
    await expect(dial(s.urls['/echo'] ?? '')).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe('with tokenSecretEnv', () => {
  const token = (url: string, callId = 'call-1', secret = SECRET): string => signCallToken(secret, { callId, streamId: `stream-${callId}`, url });

  it("refuses upgrades without a valid token for the path's own URL (401), and serves one with", async () => {
    const { urls } = await start({ tokenSecretEnv: 'S' });
    const echoUrl = urls['/echo'] ?? '';
    const greeterUrl = urls['/greeter'] ?? '';
    await expect(dial(echoUrl)).rejects.toThrow('HTTP 401');
    await expect(dial(echoUrl, { token: 'a.b.c' })).rejects.toThrow('HTTP 401');
    await expect(dial(echoUrl, { token: token(echoUrl, 'call-1', 'another-secret-of-24-chars') })).rejects.toThrow('HTTP 401');
    // A token issued for the greeter is no key to the echo path.
    await expect(dial(echoUrl, { token: token(greeterUrl) })).rejects.toThrow('HTTP 401');
    await expect(dial(echoUrl, { token: token(echoUrl), callId: 'someone-else' })).rejects.toThrow('HTTP 401');

    const client = await dial(echoUrl, { token: token(echoUrl), callId: 'call-1' });
    client.ws.send(JSON.stringify(startMessage('call-1')));
    client.ws.send(frame(5));
    expect((await client.next('echoed frame')).data.equals(frame(5))).toBe(true);
  });

  it('closes with 1008 when start names another call than the token', async () => {
    const { urls } = await start({ tokenSecretEnv: 'S' });
    const url = urls['/greeter'] ?? '';
    const client = await dial(url, { token: token(url, 'call-1') });
    client.ws.send(JSON.stringify(startMessage('call-9')));
    expect(await client.closed).toEqual({ code: 1008, reason: 'callId mismatch' });
  });

  it('checks tokens against publicUrl followed by the path (a proxy that strips a prefix)', async () => {
    const publicUrl = 'wss://voice.example.com/adapters/';
    const { urls } = await start({ tokenSecretEnv: 'S', publicUrl });
    const echoUrl = urls['/echo'] ?? '';
    await expect(dial(echoUrl, { token: token(echoUrl) })).rejects.toThrow('HTTP 401');
    await expect(dial(echoUrl, { token: token('wss://voice.example.com/echo') })).rejects.toThrow('HTTP 401');
    const client = await dial(`${echoUrl}?tenant=a`, { token: token('wss://voice.example.com/adapters/echo?tenant=a') });
    client.ws.send(JSON.stringify(startMessage()));
    client.ws.send(frame(6));
    expect((await client.next('echoed frame')).data.equals(frame(6))).toBe(true);
  });
});
