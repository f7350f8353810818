/**
 * Agents over `wss://` (docs/http.md): an echo agent behind TLS with a certificate from a test CA. With that CA in
 * `agents.tls.caFile` the call reaches it and the caller hears its tone back; with no caFile, or another CA's, the
 * certificate is not verified: the caller hears the fallback (the apology), the failure is counted as `AGENT_TLS`
 * in `/stats` and `tls` in `/metrics`, and the log line names the TLS error code. A SIGHUP-style reload
 * (`reloadCertificates`) with the right CA written over the wrong one makes the next call verify, on a media worker.
 */
import { copyFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { concat } from '../../src/media/audio/dsp-measure.js';
import { startTestGateway, waitFor, type TestGateway } from '../helpers/gateway.js';
import { SipCaller } from '../helpers/sip-caller.js';
import { powerAt, sine } from '../helpers/tones.js';
import { startWsAgentServer, type WsAgentServer } from '../helpers/ws-agent-server.js';
import { makeTestPki, type TestPki } from '../support/certs.js';

const RATE = 8_000;
const TONE_HZ = 660;
const TRUSTED = '+15550100001';

/** Calls that reached the echo agent (a TLS failure never gets this far). */
let reached = 0;

/** A protocol-v1 agent that sends every audio frame back. */
function echoAgent(pki: TestPki): Promise<WsAgentServer> {
  return startWsAgentServer(
    (ws) => {
      reached++;
      ws.on('message', (data, isBinary) => {
        if (isBinary) ws.send(data, { binary: true });
      });
    },
    { path: '/agent', tls: { cert: pki.read(pki.serverCert), key: pki.read(pki.serverKey) } },
  );
}

/** The JSON log lines a gateway writes. */
function capturedLogger(): { logger: pino.Logger; lines: () => Record<string, unknown>[] } {
  const out: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      out.push(chunk.toString('utf8'));
      done();
    },
  });
  return { logger: pino({ level: 'info' }, sink), lines: () => out.join('').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>) };
}

/** Calls `to`, sends a tone for 1.2 s, and returns the caller (still up) and what it heard. */
async function callWithTone(gw: TestGateway, to: string, callers: SipCaller[]): Promise<{ heard: Int16Array; caller: SipCaller }> {
  const caller = await SipCaller.call({ host: gw.host, port: gw.sipPort, to });
  callers.push(caller);
  await caller.sendAudio(sine(RATE, TONE_HZ, -15, 1_200));
  await new Promise((resolve) => setTimeout(resolve, 300)); // the echo's tail
  return { heard: concat(caller.received.map((p) => p.pcm)), caller };
}

/** The echoed tone: a pure 660 Hz, far above any other band (the apology is broadband speech). */
function isEchoedTone(heard: Int16Array): boolean {
  const tone = powerAt(heard, RATE, TONE_HZ);
  return tone > 1e5 && [300, 1_000, 1_500, 2_200].every((hz) => tone > 50 * powerAt(heard, RATE, hz));
}

function energy(samples: Int16Array): number {
  let sum = 0;
  for (const s of samples) sum += s * s;
  return samples.length === 0 ? 0 : Math.sqrt(sum / samples.length);
}

describe('agents over wss://', () => {
  let pki: TestPki;
  let otherPki: TestPki;
  let agent: WsAgentServer;
  const callers: SipCaller[] = [];
  const gateways: TestGateway[] = [];

  beforeAll(async () => {
    pki = makeTestPki();
    otherPki = makeTestPki();
    agent = await echoAgent(pki);
  });

  afterEach(async () => {
    for (const c of callers.splice(0)) c.close();
    for (const g of gateways.splice(0)) await g.close();
  });

  afterAll(async () => {
    await agent.close();
    pki.remove();
    otherPki.remove();
  });

  it('with the agent CA in agents.tls.caFile: the call reaches the agent and the caller hears the tone back', async () => {
    const gw = await startTestGateway({ media: { workers: 0 }, agents: { tls: { caFile: pki.caCert } }, numbers: { [TRUSTED]: { agent: agent.url } } });
    gateways.push(gw);
    const before = reached;
    const { heard, caller } = await callWithTone(gw, TRUSTED, callers);
    expect(reached).toBe(before + 1);
    expect(heard.length).toBeGreaterThan(RATE / 2);
    expect(isEchoedTone(heard), 'the echoed tone').toBe(true);
    expect((await gw.gateway.stats()).agentConnectFailures).toEqual({});
    expect(await caller.bye()).toBe(200);
  }, 30_000);

  it.each([
    ['no caFile (Node’s CAs only)', undefined],
    ['another CA', 'other'],
  ] as const)('%s: not verified → the fallback plays, AGENT_TLS counted, the log names the TLS code', async (_name, which) => {
    const { logger, lines } = capturedLogger();
    const tls = which === undefined ? {} : { caFile: otherPki.caCert };
    const gw = await startTestGateway({ media: { workers: 0 }, agents: { tls, onFailure: 'apology' }, numbers: { [TRUSTED]: { agent: agent.url } } }, { logger });
    gateways.push(gw);
    const before = reached;
    const { heard } = await callWithTone(gw, TRUSTED, callers);
    expect(reached, 'no WebSocket reached the agent').toBe(before);
    // The apology is speech, not our tone echoed.
    expect(energy(heard), 'the fallback agent speaks').toBeGreaterThan(100);
    expect(isEchoedTone(heard)).toBe(false);
    const stats = await gw.gateway.stats();
    expect(stats.agentConnectFailures).toEqual({ AGENT_TLS: 1 });
    expect(await gw.metrics()).toContain('patchbay_agent_connect_failures_total{reason="tls"} 1');
    const line = lines().find((l) => l['code'] === 'AGENT_TLS');
    expect(line, JSON.stringify(lines().slice(-5))).toBeDefined();
    expect(line?.['tlsCode']).toMatch(/^(UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)$/);
    expect(String(line?.['msg'])).toContain(`agent TLS failed (${String(line?.['tlsCode'])})`);
  }, 30_000);

  it('on a media worker: the wrong CA fails, the right one written over it and reloaded (SIGHUP) verifies the next call', async () => {
    const caFile = `${pki.dir}/agents-ca.pem`;
    copyFileSync(otherPki.caCert, caFile);
    const gw = await startTestGateway({ media: { workers: 1 }, agents: { tls: { caFile } }, numbers: { [TRUSTED]: { agent: agent.url } } });
    gateways.push(gw);
    const before = reached;
    const first = await callWithTone(gw, TRUSTED, callers);
    expect(reached).toBe(before);
    expect(energy(first.heard), 'the fallback agent speaks').toBeGreaterThan(100);
    expect(isEchoedTone(first.heard)).toBe(false);
    await waitFor(async () => (await gw.gateway.stats()).agentConnectFailures['AGENT_TLS'] === 1, 3_000, () => 'no AGENT_TLS counted');
    copyFileSync(pki.caCert, caFile);
    expect(await gw.gateway.reloadCertificates()).toBe(true);
    const second = await callWithTone(gw, TRUSTED, callers);
    expect(reached).toBe(before + 1);
    expect(isEchoedTone(second.heard), 'the echoed tone after the reload').toBe(true);
    expect((await gw.gateway.stats()).agentConnectFailures).toEqual({ AGENT_TLS: 1 });
  }, 40_000);
});
