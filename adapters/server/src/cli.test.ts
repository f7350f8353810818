import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { testLoader } from '../test/test-adapters.js';
import { dial, frame, startMessage } from '../test/ws-client.js';
import { runCli, type CliIo } from './cli.js';

const MAIN = join(dirname(fileURLToPath(import.meta.url)), 'main.ts');

const GOOD_YAML = [
  'listen: { host: 127.0.0.1, port: 0 }',
  'agents:',
  '  /echo: { adapter: echo }',
  '  /greeter: { adapter: greeter, greeting: hello, apiKeyEnv: GREETER_KEY }',
  '',
].join('\n');

function tempDir(files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'patchbay-adapters-cli-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

/** A fake process: captured output, the exit code as a promise, signal handlers to call. */
function fakeIo(cwd: string, env: Record<string, string> = {}) {
  const logs: Record<string, unknown>[] = [];
  let stderr = '';
  const handlers = new Map<string, () => void>();
  let exited: (code: number) => void = () => undefined;
  const exit = new Promise<number>((resolve) => {
    exited = resolve;
  });
  const io: CliIo = {
    env,
    cwd,
    stdout: { write: (line: string) => logs.push(JSON.parse(line) as Record<string, unknown>) },
    stderr: { write: (text: string) => (stderr += text) },
    exit: (code) => exited(code),
    onSignal: (signal, handler) => handlers.set(signal, handler),
    load: testLoader,
  };
  return {
    io,
    logs,
    exit,
    stderr: () => stderr,
    signal(name: 'SIGINT' | 'SIGTERM'): void {
      const handler = handlers.get(name);
      if (handler === undefined) throw new Error(`no ${name} handler`);
      handler();
    },
  };
}

describe('runCli', () => {
  it('serves the configured file, then closes calls with 1001 and exits 0 on SIGTERM', async () => {
    const dir = tempDir({ 'adapters.yaml': GOOD_YAML });
    const p = fakeIo(dir, { GREETER_KEY: 'k' });
    const server = await runCli(['--config', 'adapters.yaml'], p.io);
    if (server === undefined) throw new Error(`did not start: ${p.stderr()}`);

    const client = await dial(server.urls['/echo'] ?? '');
    client.ws.send(JSON.stringify(startMessage('call-1')));
    client.ws.send(frame(1));
    expect((await client.next('echoed frame')).data.equals(frame(1))).toBe(true);

    p.signal('SIGTERM');
    expect(await p.exit).toBe(0);
    expect((await client.closed).code).toBe(1001);

    const messages = p.logs.map((l) => l['msg']);
    expect(messages).toEqual(expect.arrayContaining(['adapter server listening', 'agent server: call started', 'shutting down']));
    const listening = p.logs.find((l) => l['msg'] === 'adapter server listening');
    expect(listening).toMatchObject({ level: 30, service: 'patchbay-adapters', agents: { '/echo': 'echo', '/greeter': 'greeter' } });
    // Call logs carry the call id and path, never the caller's number.
    expect(p.logs.find((l) => l['msg'] === 'agent server: call started')).toMatchObject({ callId: 'call-1', path: '/echo' });
    expect(JSON.stringify(p.logs)).not.toContain('+15550100001');
    expect(p.stderr()).toBe('');
  });

  it('finds the file through PATCHBAY_ADAPTERS_CONFIG, relative to the directory it was started from', async () => {
    const dir = tempDir({ 'other.yaml': GOOD_YAML });
    const p = fakeIo(dir, { GREETER_KEY: 'k', PATCHBAY_ADAPTERS_CONFIG: 'other.yaml' });
    const server = await runCli([], p.io);
    expect(Object.keys(server?.urls ?? {})).toEqual(['/echo', '/greeter']);
    p.signal('SIGINT');
    expect(await p.exit).toBe(0);
  });

  it('exits 2 listing every schema problem with its path', async () => {
    const dir = tempDir({ 'bad.yaml': 'listen: { port: 99999 }\nagents:\n  sales: { adapter: echo }\nverbose: true\n' });
    const p = fakeIo(dir);
    expect(await runCli(['-c', 'bad.yaml'], p.io)).toBeUndefined();
    expect(await p.exit).toBe(2);
    expect(p.stderr()).toContain(`patchbay-adapters: invalid configuration (${join(dir, 'bad.yaml')})`);
    expect(p.stderr()).toMatch(/\n {2}- listen\.port: /);
    expect(p.stderr()).toContain('\n  - agents.sales: must be a URL path starting with /');
    expect(p.stderr()).toContain('\n  - verbose: unknown key (check the spelling)');
  });

  it("exits 2 when an agent's options or secret are wrong, at the agent's path", async () => {
    const yaml = 'listen: { host: 127.0.0.1, port: 0 }\nagents:\n  /greeter: { adapter: greeter, greeting: hi, apiKeyEnv: GREETER_KEY }\n  /x: { adapter: echo, loud: true }\n';
    const p = fakeIo(tempDir({ 'adapters.yaml': yaml }));
    expect(await runCli([], p.io)).toBeUndefined(); // adapters.yaml in the directory, without --config
    expect(await p.exit).toBe(2);
    expect(p.stderr()).toContain('invalid configuration (agents)');
    expect(p.stderr()).toContain('  - agents."/greeter": greeter: environment variable GREETER_KEY is not set\n');
    expect(p.stderr()).toContain('  - agents."/x".loud: unknown option (check the spelling)\n');
  });

  it('exits 2 without a configuration, or with an unknown flag, printing the usage', async () => {
    const none = fakeIo(tempDir());
    await runCli([], none.io);
    expect(await none.exit).toBe(2);
    expect(none.stderr()).toContain('no configuration: pass --config <file> or set PATCHBAY_ADAPTERS_CONFIG');
    const flag = fakeIo(tempDir());
    await runCli(['--port', '1'], flag.io);
    expect(await flag.exit).toBe(2);
    expect(flag.stderr()).toMatch(/Unknown option '--port'[\s\S]*usage: npm run adapters -- --config/);
  });
});

describe('main.ts', () => {
  it('exits 2 with the report on stderr, resolving --config from INIT_CWD (where npm was started)', async () => {
    const dir = tempDir({ 'adapters.yaml': 'agents:\n  /sales: { adapter: nope }\n' });
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, '--config', 'adapters.yaml'], {
      cwd: dirname(MAIN),
      env: { PATH: process.env['PATH'] ?? '', INIT_CWD: dir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(stderr).toContain(`patchbay-adapters: invalid configuration (agents)`);
    expect(stderr).toContain(`  - agents."/sales".adapter: unknown adapter 'nope' (known: openai-realtime, pipeline, livekit, websocket)`);
    expect(code).toBe(2);
  }, 20_000);
});
