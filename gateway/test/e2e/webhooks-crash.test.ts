/**
 * A restart mid-retry loses nothing and sends nothing twice: the gateway runs as its own process with its store on
 * disk; a real call (the repo's SIP caller: INVITE, 180, 200, ACK, BYE) makes call.ringing, call.answered and
 * call.ended; the receiver (verifying every signature with `standardwebhooks`) fails every try until the gateway has
 * been SIGKILLed mid-retry; the gateway restarted on the same data dir delivers every event id, with a 2xx exactly
 * once per id, and its API shows the attempts from before the crash.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { SipCaller } from '../helpers/sip-caller.js';
import { freePort } from '../helpers/sipp.js';
import { waitFor } from '../helpers/wait-for.js';
import { startWebhookReceiver, TEST_SECRET, type WebhookReceiver } from '../helpers/webhook-receiver.js';

const GATEWAY_DIR = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = fileURLToPath(new URL('../support/webhook-gateway-main.ts', import.meta.url));

interface Child {
  readonly proc: ChildProcess;
  readonly exited: Promise<void>;
  output: string;
}

let dir: string;
let receiver: WebhookReceiver;
let failing = true;
const children: Child[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'patchbay-webhooks-crash-'));
  receiver = await startWebhookReceiver(TEST_SECRET, () => ({ status: failing ? 503 : 200 }));
});

afterAll(async () => {
  for (const c of children) {
    if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL');
    await c.exited;
  }
  await receiver.close();
  await rm(dir, { recursive: true, force: true });
});

async function startChild(sipPort: number, httpPort: number): Promise<Child> {
  const file = join(dir, 'patchbay.yaml');
  await writeFile(
    file,
    stringify({
      sip: { host: '127.0.0.1', port: sipPort, udp: true, tcp: false, publicAddress: '127.0.0.1', ringing: true },
      http: { host: '127.0.0.1', port: httpPort, admin: { host: '127.0.0.1', port: 0 } },
      media: { workers: 0 },
      numbers: { '*': { agent: 'echo' } },
      log: { level: 'warn' },
      webhooks: {
        endpoints: [{ name: 'crm', url: receiver.url, secretEnv: 'CRM_WEBHOOK_SECRET' }],
        timeoutMs: 1000,
        pollIntervalMs: 100,
        retry: { initialDelayMs: 100, maxDelayMs: 300 },
      },
    }),
  );
  const proc = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    cwd: GATEWAY_DIR,
    env: { PATH: process.env['PATH'] ?? '', PATCHBAY_CONFIG: file, PATCHBAY_TEST_DATA_DIR: dir, CRM_WEBHOOK_SECRET: TEST_SECRET },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const child: Child = { proc, exited: new Promise((resolve) => proc.once('exit', () => resolve())), output: '' };
  const append = (b: Buffer): void => void (child.output = (child.output + b.toString('utf8')).slice(-32_768));
  proc.stdout?.on('data', append);
  proc.stderr?.on('data', append);
  children.push(child);
  await waitFor(
    async () => {
      if (proc.exitCode !== null) throw new Error(`the gateway exited (${proc.exitCode}) while starting:\n${child.output}`);
      return fetch(`http://127.0.0.1:${httpPort}/healthz`, { signal: AbortSignal.timeout(1_000) }).then((r) => r.status === 200, () => false);
    },
    60_000,
    () => child.output,
  );
  return child;
}

describe('webhooks across a SIGKILL', () => {
  it('every event id is delivered with a 2xx exactly once after a restart mid-retry', async () => {
    const sipPort = await freePort('udp');
    const httpPort = await freePort('tcp');
    const first = await startChild(sipPort, httpPort);

    const caller = await SipCaller.call({ host: '127.0.0.1', port: sipPort, to: '+15550100001' });
    expect(await caller.bye()).toBe(200);
    await caller.close();

    // Mid-retry: all three events have failed at least twice, none delivered.
    const failures = (id: string): number => receiver.requests.filter((r) => r.id === id && r.status === 503).length;
    const ids = (): string[] => [...new Set(receiver.requests.map((r) => r.id))];
    await waitFor(() => ids().length === 3 && ids().every((id) => failures(id) >= 2), 20_000, () => JSON.stringify(receiver.requests.map((r) => [r.id, r.status])));
    expect(receiver.requests.every((r) => r.verified)).toBe(true);
    const types = receiver.requests.map((r) => (JSON.parse(r.body) as { type: string }).type);
    expect(new Set(types)).toEqual(new Set(['call.ringing', 'call.answered', 'call.ended']));
    first.proc.kill('SIGKILL');
    await first.exited;
    const before = receiver.requests.length;

    failing = false;
    await startChild(sipPort, httpPort);
    await waitFor(() => receiver.delivered.size === 3, 20_000, () => JSON.stringify([...receiver.delivered]));
    expect(receiver.requests.length).toBeGreaterThan(before);
    expect(ids()).toHaveLength(3); // no new ids: the same webhook-id after the restart

    // Every delivery is recorded delivered (so nothing more will be sent), with its attempts from before the crash.
    const api = `http://127.0.0.1:${httpPort}/v1/webhooks/deliveries`;
    await waitFor(async () => {
      const body = (await (await fetch(`${api}?status=delivered`)).json()) as { deliveries: unknown[] };
      return body.deliveries.length === 3;
    }, 5_000);
    for (const id of ids()) {
      expect(receiver.delivered.get(id), id).toBe(1);
      const d = (await (await fetch(`${api}/${id}`)).json()) as { attempts: number; attemptList: { statusCode: number | null }[] };
      // Each 503 the receiver gave is an attempt recorded, but for one whose POST was in flight at the kill.
      expect(d.attempts).toBeGreaterThanOrEqual(failures(id));
      expect(d.attempts).toBeLessThanOrEqual(failures(id) + 1);
      expect(d.attemptList.at(-1)?.statusCode).toBe(200);
      expect(d.attemptList.filter((a) => a.statusCode === 200)).toHaveLength(1);
    }
  }, 90_000);
});
