/**
 * Graceful drain of the gateway as its own process (src/main.ts, docs/drain.md), the test:
 * - 20 SIPp calls to `echo` are up; SIGTERM → /readyz 503 at once, OPTIONS and a new INVITE 503 with Retry-After,
 *   the 20 calls go on and end with the caller's BYE (200), their records say `remote-bye` (none `shutdown`), and the
 *   process exits 0 when the last one ends, long before `drain.timeoutS`.
 * - `drain.timeoutS: 2` with a call that would last longer: at the deadline the agent gets
 *   `stop{reason: "gateway_shutdown"}` and the caller a BYE (Reason `shutdown`); exit 0.
 * - A second SIGTERM during the drain hangs up at once (drain.timeoutS 1 h).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { startGatewayProcess, type GatewayProcess } from '../helpers/gateway-process.js';
import { pcmuOffer, RawSipPeer } from '../helpers/raw-sip-peer.js';
import { runSipp } from '../helpers/sipp.js';
import { header } from '../helpers/sip-text.js';
import { waitFor } from '../helpers/wait-for.js';
import { startWsAgentServer, type WsAgentServer } from '../helpers/ws-agent-server.js';

const NUMBER = '+15550100001';
const CALLS = 20;
const RETRY_AFTER_S = 9;

let gw: GatewayProcess | undefined;
let peer: RawSipPeer | undefined;
let agent: WsAgentServer | undefined;
const dirs: string[] = [];

afterEach(async () => {
  peer?.close();
  peer = undefined;
  await gw?.close();
  gw = undefined;
  await agent?.close();
  agent = undefined;
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function get(path: string): Promise<Response> {
  if (!gw) throw new Error('gateway did not start');
  return fetch(`http://127.0.0.1:${gw.httpPort}${path}`, { signal: AbortSignal.timeout(3_000) });
}

/** The process's JSON log lines (pino), parsed. */
function logLines(output: string): { msg?: string; [key: string]: unknown }[] {
  return output.split('\n').flatMap((line) => {
    try {
      return [JSON.parse(line) as { msg?: string }];
    } catch {
      return [];
    }
  });
}

async function exited(child: GatewayProcess, timeoutMs: number): Promise<number | string | undefined> {
  await waitFor(() => child.exit !== undefined, timeoutMs, () => `still running:\n${child.output.slice(-3_000)}`);
  return child.exit;
}

describe('graceful drain (SIGTERM)', () => {
  it('20 live calls: new calls and probes refused 503 + Retry-After, the 20 end normally, exit 0 at the last', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'patchbay-drain-'));
    dirs.push(dataDir);
    gw = await startGatewayProcess({
      media: { portMin: 32_000, portMax: 32_199 },
      log: { level: 'info' },
      numbers: { [NUMBER]: { agent: 'echo' } },
      drain: { timeoutS: 120, retryAfterS: RETRY_AFTER_S, logIntervalS: 1 },
      database: { dataDir },
    });
    peer = await RawSipPeer.open('127.0.0.1', gw.sipPort);
    expect((await get('/readyz')).status).toBe(200);
    expect((await peer.probe()).status).toBe(200);

    // 20 calls that stay up 8 s after their answer, then BYE (uac-call.xml's pause).
    const sipp = runSipp({ scenario: 'uac-call.xml', host: '127.0.0.1', port: gw.sipPort, transport: 'udp', service: NUMBER, calls: CALLS, rate: 40, limit: CALLS, pauseMs: 8_000, timeoutMs: 40_000, traceMessages: false });
    const running = gw;
    await waitFor(async () => (await running.stats()).activeCalls === CALLS, 10_000, () => running.output.slice(-2_000));

    const signalledAt = performance.now();
    gw.signal('SIGTERM');
    await waitFor(async () => (await get('/readyz')).status === 503, 2_000, () => 'readyz still 200');
    const health = (await (await get('/healthz')).json()) as { status: string; drain?: { phase: string; liveCalls: number; deadline?: string } };
    expect(health).toMatchObject({ status: 'draining', drain: { phase: 'draining', liveCalls: CALLS } });

    const probe = await peer.probe();
    expect(probe.status).toBe(503);
    expect(header(probe, 'retry-after')).toBe(String(RETRY_AFTER_S));
    const invite = await peer.invite(NUMBER, pcmuOffer(40_000));
    expect(invite.status).toBe(503);
    expect(header(invite.final, 'retry-after')).toBe(String(RETRY_AFTER_S));
    const metrics = await (await get('/metrics')).text();
    expect(metrics).toMatch(/^patchbay_drain_state 1$/m);
    expect(metrics).toMatch(new RegExp(`^patchbay_active_calls ${CALLS}$`, 'm'));

    // The 20 calls end as the caller ends them: each BYE answered 200, none hung up by us.
    const result = await sipp;
    expect(result.successfulCalls, result.errorLog).toBe(CALLS);
    expect(result.failedCalls).toBe(0);
    expect(await exited(gw, 15_000)).toBe(0);
    const drainedS = (performance.now() - signalledAt) / 1000;
    expect(drainedS).toBeLessThan(60); // drain.timeoutS is 120: the drain ended with the last call

    const logs = logLines(gw.output);
    const started = logs.find((l) => l.msg?.startsWith('drain started') === true);
    expect(started?.['drain']).toMatchObject({ phase: 'draining', liveCalls: CALLS });
    expect(logs.some((l) => l.msg === 'drain completed: every live call ended on its own')).toBe(true);
    expect(logs.filter((l) => l.msg?.startsWith('draining:') === true).length).toBeLessThan(30); // per second, not per packet

    // The records were written and flushed before the exit (the store closes last).
    const db = new DatabaseSync(join(dataDir, 'patchbay.db'), { readOnly: true });
    try {
      const rows = db.prepare('SELECT end_reason AS reason, count(*) AS n FROM calls GROUP BY end_reason').all() as { reason: string | null; n: number }[];
      expect(Object.fromEntries(rows.map((r) => [r.reason, r.n]))).toEqual({ 'remote-bye': CALLS });
    } finally {
      db.close();
    }
  }, 90_000);

  it('drain.timeoutS passes: the agent gets stop gateway_shutdown, the caller a BYE, exit 0', async () => {
    const stops: unknown[] = [];
    agent = await startWsAgentServer((ws) => {
      ws.on('message', (data, isBinary) => {
        if (isBinary) return;
        const msg = JSON.parse(data.toString()) as { type?: string };
        if (msg.type === 'stop') stops.push(msg);
      });
    });
    gw = await startGatewayProcess({
      media: { portMin: 32_200, portMax: 32_299 },
      log: { level: 'info' },
      numbers: { [NUMBER]: { agent: agent.url } },
      drain: { timeoutS: 2 },
      database: { enabled: false },
    });
    peer = await RawSipPeer.open('127.0.0.1', gw.sipPort);
    const call = await peer.invite(NUMBER, pcmuOffer(40_002));
    expect(call.status).toBe(200);
    peer.ack(call);

    const signalledAt = performance.now();
    gw.signal('SIGTERM');
    await waitFor(async () => (await get('/readyz')).status === 503, 2_000, () => 'readyz still 200');
    const bye = await peer.byeFor(call, 10_000);
    const afterS = (performance.now() - signalledAt) / 1000;
    expect(afterS).toBeGreaterThanOrEqual(1.5); // not before the deadline
    expect(header(bye, 'reason')).toMatch(/text="shutdown"/);
    await waitFor(() => stops.length > 0, 5_000, () => 'the agent got no stop');
    expect(stops).toEqual([{ type: 'stop', reason: 'gateway_shutdown' }]);
    expect(await exited(gw, 10_000)).toBe(0);
    expect(logLines(gw.output).some((l) => l.msg === 'drain timed-out: hanging up 1 live call')).toBe(true);
  }, 60_000);

  it('a second SIGTERM during the drain hangs up at once', async () => {
    gw = await startGatewayProcess({
      media: { portMin: 32_300, portMax: 32_399 },
      log: { level: 'info' },
      numbers: { [NUMBER]: { agent: 'echo' } },
      drain: { timeoutS: 3600 },
      database: { enabled: false },
    });
    peer = await RawSipPeer.open('127.0.0.1', gw.sipPort);
    const call = await peer.invite(NUMBER, pcmuOffer(40_004));
    expect(call.status).toBe(200);
    peer.ack(call);
    gw.signal('SIGTERM');
    await waitFor(async () => (await get('/readyz')).status === 503, 2_000, () => 'readyz still 200');
    const health = (await (await get('/healthz')).json()) as { drain?: { liveCalls: number } };
    expect(health.drain?.liveCalls).toBe(1);
    expect(peer.byes.size).toBe(0);

    gw.signal('SIGTERM');
    const bye = await peer.byeFor(call, 5_000);
    expect(header(bye, 'reason')).toMatch(/text="shutdown"/);
    expect(await exited(gw, 10_000)).toBe(0);
    expect(logLines(gw.output).some((l) => l.msg === 'second signal: hanging up every call and closing now')).toBe(true);
  }, 60_000);
});
