/**
 * The production path: `scripts/build.mjs` compiles the workspaces, and the gateway runs as `npm start` and the Docker
 * image run it (`node --conditions=patchbay-dist gateway/dist/main.js`) with its media on a worker thread. A
 * resolve hook preloaded in every thread fails any TypeScript file or tsx the build would still reach, so a pass
 * means JavaScript only: /healthz, a SIP OPTIONS, and a call to the echo agent heard back.
 */
import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { concat } from '../../src/media/audio/dsp-measure.js';
import { startGatewayProcess, type GatewayProcess } from '../helpers/gateway-process.js';
import { SipCaller } from '../helpers/sip-caller.js';
import { powerAt, sine } from '../helpers/tones.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const ECHO = '+15550100001';
const RATE = 8_000;
const GUARD_MARK = 'compiled-build-guard: thread';

/** Preloaded with --import (workers inherit it): refuses .ts modules and tsx, and says which thread it guards. */
const GUARD = `
import { registerHooks } from 'node:module';
import { threadId } from 'node:worker_threads';
registerHooks({
  resolve(specifier, context, next) {
    const resolved = next(specifier, context);
    if (/\\.[cm]?ts$/.test(resolved.url) || /\\/node_modules\\/tsx\\//.test(resolved.url)) {
      throw new Error('the build reached ' + resolved.url + ' (from ' + specifier + ')');
    }
    return resolved;
  },
});
process.stderr.write('${GUARD_MARK} ' + threadId + '\\n');
`;

/** One OPTIONS over UDP; resolves with the response's status line. */
function options(port: number): Promise<string> {
  const socket = createSocket('udp4');
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no answer to OPTIONS within 3 s')), 3_000);
    socket.on('message', (raw) => {
      clearTimeout(timer);
      resolve(raw.toString('utf8').split('\r\n')[0] ?? '');
    });
    socket.bind(0, '127.0.0.1', () => {
      const { port: local } = socket.address();
      const text = [
        `OPTIONS sip:${ECHO}@127.0.0.1:${port} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${local};branch=z9hG4bK-build-options;rport`,
        'Max-Forwards: 70',
        `From: <sip:probe@127.0.0.1:${local}>;tag=build`,
        `To: <sip:${ECHO}@127.0.0.1>`,
        'Call-ID: compiled-build-options@127.0.0.1',
        'CSeq: 1 OPTIONS',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n');
      socket.send(text, port, '127.0.0.1');
    });
  }).finally(() => socket.close());
}

describe('the compiled gateway (npm start, the Docker image)', () => {
  let gw: GatewayProcess | undefined;
  let dir: string | undefined;

  beforeAll(async () => {
    await promisify(execFile)(process.execPath, ['scripts/build.mjs', '--quiet'], { cwd: ROOT });
    dir = await mkdtemp(join(tmpdir(), 'patchbay-build-'));
    const guard = join(dir, 'guard.mjs');
    await writeFile(guard, GUARD);
    gw = await startGatewayProcess({ media: { workers: 1 }, numbers: { [ECHO]: { agent: 'echo' } } }, 20_000, {
      kind: 'build',
      nodeArgs: ['--import', guard],
    });
  }, 30_000);

  afterAll(async () => {
    await gw?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('answers /healthz and a SIP OPTIONS, with the guard on the main thread and the media worker', async () => {
    if (!gw) throw new Error('gateway did not start');
    const health = await fetch(`http://127.0.0.1:${gw.httpPort}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok' });
    expect(await options(gw.sipPort)).toBe('SIP/2.0 200 OK');
    const threads = [...gw.output.matchAll(new RegExp(`${GUARD_MARK} (\\d+)`, 'g'))].map((m) => Number(m[1]));
    expect(threads, gw.output).toContain(0);
    expect(threads.some((t) => t > 0), `no worker thread loaded the guard:\n${gw.output}`).toBe(true);
  });

  it('carries a call on the media worker: the echo agent sends the caller its tone back', async () => {
    if (!gw) throw new Error('gateway did not start');
    const caller = await SipCaller.call({ host: '127.0.0.1', port: gw.sipPort, to: ECHO });
    try {
      await caller.sendAudio(sine(RATE, 440, -15, 1_000));
      const stats = (await (await fetch(`http://127.0.0.1:${gw.adminPort}/stats`)).json()) as { media: { workers?: number; activeCalls: number } };
      expect(stats.media).toMatchObject({ workers: 1, activeCalls: 1 });
      const heard = concat(caller.received.map((p) => p.pcm));
      expect(heard.length, `received ${caller.received.length} packets`).toBeGreaterThan(4_000);
      expect(powerAt(heard, RATE, 440)).toBeGreaterThan(100 * powerAt(heard, RATE, 1_000));
      expect(await caller.bye()).toBe(200);
    } finally {
      caller.close();
    }
    expect(gw.exit).toBeUndefined();
    expect(gw.output).not.toMatch(/the build reached/);
  });
});
