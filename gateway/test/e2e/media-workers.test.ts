/**
 * Calls' media spread over worker threads (`media.workers`): audio flows end to end on every worker without
 * crossing between calls, agent requests and refusals cross back to the SIP thread, per-worker hop histograms merge
 * into one `/stats`, and every port comes back when the calls end.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { concat } from '../../src/media/audio/dsp-measure.js';
import { startTestGateway, waitFor, type TestGateway } from '../helpers/gateway.js';
import { SipCaller, SipCallerError } from '../helpers/sip-caller.js';
import { powerAt, sine } from '../helpers/tones.js';
import { startWsAgentServer, type WsAgentServer } from '../helpers/ws-agent-server.js';

const ECHO = '+15550100001';
const HANGUP = '+15550100002';
const UNREACHABLE = '+15550100003';
const WORKERS = 2;
const CALLS = 4;
const RATE = 8_000;

/** A WebSocket agent that says `hangup` as soon as the call starts. */
function hangupAgent(): Promise<WsAgentServer> {
  return startWsAgentServer(
    (ws) => {
      ws.on('message', (data, isBinary) => {
        if (!isBinary && (JSON.parse(data.toString()) as { type?: string }).type === 'start') ws.send(JSON.stringify({ type: 'hangup', reason: 'done' }));
      });
    },
    { path: '/agent' },
  );
}

describe(`media on ${WORKERS} worker threads`, () => {
  let gw: TestGateway | undefined;
  let agent: WsAgentServer | undefined;
  const callers: SipCaller[] = [];

  beforeAll(async () => {
    agent = await hangupAgent();
    gw = await startTestGateway({
      media: { workers: WORKERS },
      numbers: {
        [ECHO]: { agent: 'echo' },
        // Its agent hangs up at once without a word: taken as its choice, not as a failure (earlyHangupS 0).
        [HANGUP]: { agent: agent.url, failover: { earlyHangupS: 0 } },
        [UNREACHABLE]: { agent: 'ws://127.0.0.1:9/nobody', onAgentFailure: 'reject' },
      },
    });
  }, 60_000);

  afterEach(() => {
    for (const c of callers.splice(0)) c.close();
  });

  afterAll(async () => {
    await gw?.close();
    await agent?.close();
  });

  it(`${CALLS} concurrent echo calls each hear their own tone back, and /stats merges the workers' hops`, async () => {
    if (!gw) throw new Error('gateway did not start');
    const freqs = [440, 660, 880, 1100].slice(0, CALLS);
    for (let i = 0; i < CALLS; i++) callers.push(await SipCaller.call({ host: gw.host, port: gw.sipPort, to: ECHO }));
    const stats = await gw.gateway.stats();
    expect(stats.media.workers).toBe(WORKERS);
    expect(stats.media.activeCalls).toBe(CALLS);
    // Ports from two slices of the range: the calls really are on both workers.
    const { portMin, portMax } = gw.config.media;
    const mid = portMin + Math.floor((portMax - portMin + 1) / 2 / WORKERS) * 2;
    const ports = callers.map((c) => c.remoteRtp.port);
    expect(ports.some((p) => p < mid), `ports ${ports} vs slice boundary ${mid}`).toBe(true);
    expect(ports.some((p) => p >= mid), `ports ${ports} vs slice boundary ${mid}`).toBe(true);

    await Promise.all(callers.map((c, i) => c.sendAudio(sine(RATE, freqs[i] ?? 440, -15, 1_500))));
    await new Promise((resolve) => setTimeout(resolve, 300)); // the echo's tail
    callers.forEach((c, i) => {
      const heard = concat(c.received.map((p) => p.pcm));
      const own = powerAt(heard, RATE, freqs[i] ?? 440);
      const others = freqs.filter((_, j) => j !== i).map((f) => powerAt(heard, RATE, f));
      expect(heard.length, `call ${i} received ${c.received.length} packets`).toBeGreaterThan(8000);
      for (const other of others) expect(own, `call ${i}: own tone vs another call's`).toBeGreaterThan(100 * other);
    });

    const after = await gw.gateway.stats();
    expect(after.hops.uplinkMs.count).toBeGreaterThanOrEqual(CALLS * 60); // 1.5 s of 20 ms frames per call, from both workers
    expect(after.hops.downlinkMs.count).toBeGreaterThan(0);
    expect(after.hops.setupMs.count).toBe(CALLS);

    for (const c of callers) expect(await c.bye()).toBe(200);
    await gw.waitForIdle(5_000);
    // Ports are released on the tick after a call's close (its last packet goes out first): poll, bounded.
    await waitFor(async () => (await gw?.gateway.stats())?.media.portsInUse === 0, 2_000, () => 'ports not released');
    const idle = await gw.gateway.stats();
    expect(idle.media).toMatchObject({ activeCalls: 0, portsInUse: 0 });
  }, 30_000);

  it("an agent's hangup on a worker ends the call with BYE from the SIP thread", async () => {
    if (!gw) throw new Error('gateway did not start');
    const caller = await SipCaller.call({ host: gw.host, port: gw.sipPort, to: HANGUP });
    callers.push(caller);
    await Promise.race([caller.byeReceived, new Promise((_, reject) => setTimeout(() => reject(new Error('no BYE within 3 s')), 3_000))]);
    await gw.waitForIdle(5_000);
    expect((await gw.gateway.stats()).endReasons['agent-hangup']).toBeGreaterThanOrEqual(1);
  });

  it('an unreachable agent with onAgentFailure: reject is refused 503 from the worker', async () => {
    if (!gw) throw new Error('gateway did not start');
    const error = await SipCaller.call({ host: gw.host, port: gw.sipPort, to: UNREACHABLE }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SipCallerError);
    expect((error as SipCallerError).status).toBe(503);
    await gw.waitForIdle(5_000);
    await waitFor(async () => (await gw?.gateway.stats())?.media.portsInUse === 0, 2_000, () => 'ports not released');
  });
});
