/**
 * Agent failover without anyone to forward to (docs/forwarding.md §Failover): the case the issue started from. A
 * number whose openai-realtime adapter cannot reach its provider used to answer and hang up 60 ms later with no
 * audio, counted as `agent-hangup`. Now the caller hears "One moment, please.", the agent is re-dialled once (it
 * fails again), and the apology ends the call: `agent-unavailable`, each step on the call's record.
 */
import { loadDemoPrompts } from '@patchbay/agents';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, waitFor, type TestGateway } from '../helpers/gateway.js';
import { SipCaller } from '../helpers/sip-caller.js';
import { freePort } from '../helpers/sipp.js';

const NUMBER = '+15550100795';
/** The same provider down, with a standby agent (the built-in demo) for the re-dials. */
const STANDBY = '+15550100796';

describe('agent failover with no forward', () => {
  let gw: TestGateway | undefined;
  beforeAll(async () => {
    const closedPort = await freePort('tcp');
    gw = await startTestGateway(
      {
        numbers: {
          [NUMBER]: { agent: { adapter: 'openai-realtime', baseUrl: `ws://127.0.0.1:${closedPort}`, apiKeyEnv: 'OPENAI_API_KEY' } },
          [STANDBY]: { agent: { adapter: 'openai-realtime', baseUrl: `ws://127.0.0.1:${closedPort}`, apiKeyEnv: 'OPENAI_API_KEY' }, failover: { standby: 'demo' } },
        },
      },
      { env: { OPENAI_API_KEY: 'sk-test' } },
    );
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('a provider that cannot be reached: the prompt, one re-dial, then the apology; the call ends agent-unavailable', async () => {
    if (!gw) throw new Error('gateway did not start');
    const caller = await SipCaller.call({ host: gw.host, port: gw.sipPort, to: NUMBER });
    const answeredAt = performance.now();
    await Promise.race([caller.byeReceived, new Promise((_, reject) => setTimeout(() => reject(new Error('no BYE within 15 s')), 15_000))]);
    const heldMs = performance.now() - answeredAt;
    await gw.waitForIdle(5_000);

    // Not a 60 ms hang-up: the prompt and the whole apology were played.
    const prompts = loadDemoPrompts();
    const spokenMs = ((prompts['one-moment'].length + prompts.apology.length) / 24_000) * 1000;
    const voiced = caller.received.filter((p) => p.pcm.some((s) => Math.abs(s) > 300));
    const firstVoiceMs = (voiced[0]?.arrivalMs ?? Infinity) - answeredAt;
    expect(firstVoiceMs, 'the caller hears the prompt within 1 s').toBeLessThanOrEqual(1_000);
    expect(heldMs).toBeGreaterThan(spokenMs - 200);
    const stats = await gw.gateway.stats();
    expect(stats.endReasons['agent-unavailable']).toBe(1);
    expect(stats.endReasons['agent-hangup']).toBeUndefined();

    const base = `http://127.0.0.1:${gw.httpPort}`;
    type Listed = { id: string; endReason: string | null; status: string };
    const list = async (): Promise<Listed[]> => ((await (await fetch(`${base}/v1/calls?number=${encodeURIComponent(NUMBER)}`)).json()) as { calls: Listed[] }).calls;
    await waitFor(async () => (await list()).some((c) => c.endReason !== null), 5_000);
    const [summary] = await list();
    expect(summary).toMatchObject({ endReason: 'agent-unavailable', status: 'failed' });
    const detail = (await (await fetch(`${base}/v1/calls/${summary?.id}`)).json()) as { timeline: { type: string; data: Record<string, unknown> }[] };
    const steps = detail.timeline.filter((e) => e.type === 'agent-failed' || e.type === 'agent-redial').map((e) => e.data);
    expect(steps).toEqual([
      { cause: 'agent-error', attempt: 0 },
      expect.objectContaining({ attempt: 1, outcome: 'connected' }),
      { cause: 'agent-error', attempt: 1 },
    ]);
    // The same steps in /metrics, for operators: two agents given up (agent-error), one re-dial that connected.
    const exposition = await (await fetch(`${base}/metrics`)).text();
    expect(exposition).toMatch(/^patchbay_agent_failovers_total\{reason="agent-error"\} 2$/m);
    expect(exposition).toMatch(/^patchbay_agent_redials_total\{outcome="connected"\} 1$/m);
  }, 30_000);

  it('with a standby agent: the prompt, then the standby takes the call over and it goes on', async () => {
    if (!gw) throw new Error('gateway did not start');
    const caller = await SipCaller.call({ host: gw.host, port: gw.sipPort, to: STANDBY });
    const answeredAt = performance.now();
    const hungUp = await Promise.race([caller.byeReceived.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 6_000))]);
    expect(hungUp, 'the call goes on with the standby').toBe(false);
    await caller.hangUp();
    await gw.waitForIdle(5_000);
    const prompt = loadDemoPrompts()['one-moment'].length / 24;
    const voicedMs = caller.received.filter((p) => p.arrivalMs - answeredAt > prompt + 300 && p.pcm.some((s) => Math.abs(s) > 300)).length * 20;
    expect(voicedMs, 'the standby (the demo agent) speaks after the prompt').toBeGreaterThan(1_000);
    const base = `http://127.0.0.1:${gw.httpPort}`;
    type Listed = { id: string; endReason: string | null };
    const list = async (): Promise<Listed[]> => ((await (await fetch(`${base}/v1/calls?number=${encodeURIComponent(STANDBY)}`)).json()) as { calls: Listed[] }).calls;
    await waitFor(async () => (await list()).some((c) => c.endReason !== null), 5_000);
    const [summary] = await list();
    expect(summary?.endReason).toBe('remote-bye');
    const detail = (await (await fetch(`${base}/v1/calls/${summary?.id}`)).json()) as { timeline: { type: string; data: Record<string, unknown> }[] };
    expect(detail.timeline.filter((e) => e.type === 'agent-failed' || e.type === 'agent-redial').map((e) => e.data)).toEqual([
      { cause: 'agent-error', attempt: 0 },
      expect.objectContaining({ attempt: 1, outcome: 'connected' }),
    ]);
  }, 30_000);
});
