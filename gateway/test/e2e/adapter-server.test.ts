/**
 * The standalone adapter server behind the real gateway: a number points at `ws://127.0.0.1:PORT/echo-path`, the
 * gateway dials it with a signed token like any external agent, and the caller's tone comes back. A second path's
 * agent reports its pipeline stages, and they land in `GET /stats` hops.
 */
import { AdapterConfigError, AdapterErrorCode, defineAdapter, type AgentAdapter } from '@patchbay/adapter-kit';
import { parseAdapterServerConfig, startAdapterServer, type AdapterServer, type AdapterLoader } from '@patchbay/adapter-server';
import { echoAgent, type Agent, type StageReport } from '@patchbay/agents';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startTestGateway, waitFor, type TestGateway } from '../helpers/gateway.js';
import { SipCaller } from '../helpers/sip-caller.js';
import { powerAt, sine } from '../helpers/tones.js';

const ECHO = '+15550100001';
const STAGES = '+15550100002';
const SECRET = 'adapter-server-e2e-secret';
const TONE_HZ = 440;
const RATE = 8_000;

/** What the stage agent reports on every call. */
const REPORTS: readonly StageReport[] = [
  { type: 'stage', stage: 'stt', ms: 120 },
  { type: 'stage', stage: 'llm', ms: 340.5 },
  { type: 'stage', stage: 'tts', ms: 95 },
  { type: 'stage', stage: 'realtime', ms: 410 },
];

const stageAgent: Agent = {
  name: 'stages',
  create(ctx) {
    for (const report of REPORTS) ctx.send(report);
    return { onAudio() {}, onMessage() {}, close() {} };
  },
};

/** The adapter server's loader, with the built-in echo agent and the stage reporter as adapters. */
const ADAPTERS: Readonly<Record<string, AgentAdapter>> = {
  echo: defineAdapter({ name: 'echo', options: z.strictObject({}), create: () => echoAgent }) as AgentAdapter,
  stages: defineAdapter({ name: 'stages', options: z.strictObject({}), create: () => stageAgent }) as AgentAdapter,
};
const load: AdapterLoader = async (name) => {
  const adapter = ADAPTERS[name];
  if (adapter === undefined) throw new AdapterConfigError(AdapterErrorCode.Unknown, `unknown adapter '${name}'`);
  return adapter;
};

function rms(pcm: Int16Array): number {
  let sum = 0;
  for (const x of pcm) sum += x * x;
  return Math.sqrt(sum / Math.max(1, pcm.length));
}

describe('the adapter server behind the gateway', () => {
  let adapters: AdapterServer | undefined;
  let gw: TestGateway | undefined;
  const callers: SipCaller[] = [];

  beforeAll(async () => {
    const config = parseAdapterServerConfig(
      {
        listen: { host: '127.0.0.1', port: 0 },
        tokenSecretEnv: 'PATCHBAY_TOKEN_SECRET',
        agents: { '/echo-path': { adapter: 'echo' }, '/stage-path': { adapter: 'stages' } },
      },
      { PATCHBAY_TOKEN_SECRET: SECRET },
    );
    adapters = await startAdapterServer(config, { env: {}, logger: pino({ level: 'silent' }), load });
    gw = await startTestGateway({
      agents: { tokenSecret: SECRET, onFailure: 'reject' },
      numbers: {
        // The echo plays the caller back while the caller talks: no barge-in, as for the built-in echo.
        [ECHO]: { agent: adapters.urls['/echo-path'], bargeIn: 'off' },
        [STAGES]: { agent: adapters.urls['/stage-path'] },
      },
    });
  }, 60_000);

  afterEach(() => {
    for (const c of callers.splice(0)) c.close();
  });

  afterAll(async () => {
    await gw?.close();
    await adapters?.close();
  });

  it("a number pointing at the adapter server's echo path hears its tone back", async () => {
    if (!gw) throw new Error('gateway did not start');
    const caller = await SipCaller.call({ host: gw.host, port: gw.sipPort, to: ECHO });
    callers.push(caller);
    await caller.sendAudio(sine(RATE, TONE_HZ, -15, 1_500));
    // 1.5 s of tone went out; wait (bounded) until at least 1.2 s of loud audio has come back.
    const loudPackets = (): number => caller.received.filter((p) => rms(p.pcm) > 2000).length;
    await waitFor(() => loudPackets() >= 60, 3_000, () => `${loudPackets()} loud packets of ${caller.received.length} received`);

    const heard = Int16Array.from(caller.received.flatMap((p) => [...p.pcm]));
    expect(powerAt(heard, RATE, TONE_HZ), 'the tone vs another frequency').toBeGreaterThan(100 * powerAt(heard, RATE, 1000));
    expect(await caller.bye()).toBe(200);
    await gw.waitForIdle(5_000);
    const stats = await gw.gateway.stats();
    expect(stats.endReasons['agent-hangup'] ?? 0).toBe(0);
    expect(stats.hops.uplinkMs.count).toBeGreaterThanOrEqual(75); // 1.5 s of 20 ms frames reached the agent
  }, 20_000);

  it("a ws agent's stage reports land in GET /stats hops", async () => {
    if (!gw) throw new Error('gateway did not start');
    const gateway = gw;
    const before = (await gateway.gateway.stats()).hops;
    expect([before.sttMs.count, before.llmMs.count, before.ttsMs.count, before.realtimeMs.count]).toEqual([0, 0, 0, 0]);

    callers.push(await SipCaller.call({ host: gateway.host, port: gateway.sipPort, to: STAGES }));
    type Hops = Record<'sttMs' | 'llmMs' | 'ttsMs' | 'realtimeMs', { count: number; max: number; mean: number }>;
    let hops: Hops | undefined;
    const reported = async (): Promise<boolean> => {
      const response = await fetch(`http://${gateway.config.http.host}:${gateway.httpPort}/stats`, { signal: AbortSignal.timeout(2_000) });
      expect(response.status).toBe(200);
      hops = ((await response.json()) as { hops: Hops }).hops;
      return hops.realtimeMs.count > 0;
    };
    await waitFor(reported, 3_000, () => `no stage reports in /stats: ${JSON.stringify(hops)}`);
    if (hops === undefined) throw new Error('no /stats');
    // One report each, recorded exactly as sent (max and mean are exact; percentiles are bucketed).
    expect(hops.sttMs).toMatchObject({ count: 1, max: 120, mean: 120 });
    expect(hops.llmMs).toMatchObject({ count: 1, max: 340.5, mean: 340.5 });
    expect(hops.ttsMs).toMatchObject({ count: 1, max: 95, mean: 95 });
    expect(hops.realtimeMs).toMatchObject({ count: 1, max: 410, mean: 410 });
    for (const c of callers) expect(await c.bye()).toBe(200);
    await gateway.waitForIdle(5_000);
  }, 20_000);
});
