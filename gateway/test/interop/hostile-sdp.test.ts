/**
 * Issue 11, "crash and leak": an SDP offer of `m=audio 65535` without `a=rtcp` made the RTCP port 65536, on which
 * `dgram.send` throws synchronously. The throw came out of a call's teardown: from a timer (no ACK) or the agent's
 * socket (agent gone) it killed the process and every call on it; from a BYE it skipped the release of the call's
 * slot and ports, so five such calls on a five-pair port range refused every later call with 503.
 *
 * Black box: the real `src/main.ts` in its own process (a crash is the process exiting), driven over UDP.
 */
import type { WebSocket } from 'ws';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startGatewayProcess, type GatewayProcess, type GatewayStatsView } from '../helpers/gateway-process.js';
import { pcmuOffer, RawSipPeer, type RawInvite } from '../helpers/raw-sip-peer.js';
import { SipCaller, type SipMessage } from '../helpers/sip-caller.js';
import { waitFor } from '../helpers/wait-for.js';
import { startWsAgentServer, type WsAgentServer } from '../helpers/ws-agent-server.js';

/** Five RTP/RTCP pairs, away from the ranges `startTestGateway` hands out (20000–29999). */
const PORT_MIN = 30_000 + 10 * (process.pid % 150);
const PAIRS = 5;
/** T1 = 50 ms: the 2xx's ACK deadline (64·T1) is 3.2 s instead of 32 s. */
const T1_MS = 50;
/** How long the scripted agent of number 2000 stays before closing its socket. */
const AGENT_STAYS_MS = 1_000;

let agent: WsAgentServer;
let gw: GatewayProcess | undefined;
let peer: RawSipPeer;

async function gateway(): Promise<GatewayProcess> {
  // One process for the file; a test that crashed it (today's main) leaves the next test a fresh one.
  if (gw !== undefined && gw.exit === undefined) return gw;
  await gw?.close();
  gw = await startGatewayProcess({
    sip: { timers: { t1Ms: T1_MS, t2Ms: 8 * T1_MS } },
    media: { portMin: PORT_MIN, portMax: PORT_MIN + 2 * PAIRS - 1, workers: 0 },
    log: { level: 'warn' },
    // 2000's agent closes cleanly without a word: its choice here, not a failure (earlyHangupS 0: docs/forwarding.md §Failover).
    numbers: { '2000': { agent: agent.url, failover: { earlyHangupS: 0 } }, '*': { agent: 'echo' } },
  });
  return gw;
}

/** The gateway is alive and serving: OPTIONS answered, no call or port left over. */
async function expectServingAndIdle(g: GatewayProcess): Promise<void> {
  expect(await peer.options(), `OPTIONS after the call; the gateway exited: ${String(g.exit)}\n${g.output}`).toBe(200);
  let last: GatewayStatsView | undefined;
  await waitFor(async () => {
    last = await g.stats();
    return last.activeCalls === 0 && last.media.portsInUse === 0 && last.media.activeCalls === 0;
  }, 3_000, () => `stats: ${JSON.stringify(last)}`);
  // Served without any error reaching the process-level guard (main.ts), not merely survived one.
  expect(last?.process).toEqual({ uncaughtExceptions: 0, unhandledRejections: 0 });
  expect(g.exit).toBeUndefined();
}

/** The gateway's BYE for `call`; a timeout names the gateway's exit when it has died (the crash of issue 11). */
async function byeFrom(g: GatewayProcess, call: RawInvite, timeoutMs: number): Promise<SipMessage> {
  try {
    return await peer.byeFor(call, timeoutMs);
  } catch (err) {
    throw new Error(`${String(err)}; gateway ${g.exit === undefined ? 'still running' : `exited with ${String(g.exit)}`}\n${g.output.slice(-4_000)}`);
  }
}

/** A well-behaved call: answered, and the gateway's RTP reaches us. */
async function normalCall(g: GatewayProcess): Promise<void> {
  const caller = await SipCaller.call({ host: '127.0.0.1', port: g.sipPort, to: '1000' });
  try {
    await waitFor(() => caller.received.length >= 5, 3_000, () => `${caller.received.length} RTP packets`);
    expect(await caller.bye()).toBe(200);
  } finally {
    caller.close();
  }
}

beforeAll(async () => {
  agent = await startWsAgentServer((ws: WebSocket) => {
    ws.once('message', () => setTimeout(() => ws.close(1000, 'done'), AGENT_STAYS_MS));
  });
});

afterAll(async () => {
  await gw?.close();
  await agent.close();
});

beforeEach(async () => {
  await gateway();
  peer = await RawSipPeer.open('127.0.0.1', (await gateway()).sipPort);
});

afterEach(() => peer.close());

describe('an m=audio 65535 offer without a=rtcp', () => {
  it('never ACKed: the call ends at the ACK deadline and the gateway keeps serving', async () => {
    const g = await gateway();
    const call = await peer.invite('1000', pcmuOffer(65535));
    expect(call.status).toBe(200);
    expect(call.final.body).toMatch(/^m=audio \d+ RTP\/AVP 0/m);
    // No ACK: after 64·T1 the gateway gives up, BYEs and releases the call.
    const bye = await byeFrom(g, call, 64 * T1_MS + 3_000);
    expect(bye.headers.find(([n]) => n === 'reason')?.[1]).toMatch(/no-ack/);
    await expectServingAndIdle(g);
    await normalCall(g);
    expect((await g.stats()).endReasons['no-ack']).toBe(1);
  });

  it('the agent closes its socket after a second: the call ends and the gateway keeps serving', async () => {
    const g = await gateway();
    const call = await peer.invite('2000', pcmuOffer(65535));
    expect(call.status).toBe(200);
    peer.ack(call);
    const bye = await byeFrom(g, call, AGENT_STAYS_MS + 5_000);
    expect(bye.headers.find(([n]) => n === 'reason')?.[1]).toMatch(/agent-gone/);
    await expectServingAndIdle(g);
    await normalCall(g);
  });

  it(`five INVITE/ACK/BYE calls on a ${PAIRS}-pair port range leave every pair free for the next call`, async () => {
    const g = await gateway();
    for (let i = 0; i < PAIRS; i++) {
      const call = await peer.invite('1000', pcmuOffer(65535));
      expect(call.status, `call ${i + 1}`).toBe(200);
      peer.ack(call);
      expect(await peer.bye(call), `BYE of call ${i + 1}`).toBe(200);
    }
    await expectServingAndIdle(g);
    await normalCall(g); // the sixth: admitted, answered, with audio (not 503 no media ports)
    const stats = await g.stats();
    expect(stats.rejected['503']).toBeUndefined();
    expect(stats.activeCalls).toBe(0);
  });
});

describe('offers naming an unusable address', () => {
  it.each([
    ['a host name', pcmuOffer(4000, 'evil.example.com'), /evil\.example\.com' is not an IPv4 address/],
    ['an invalid a=rtcp port', pcmuOffer(4000, '127.0.0.1', ['a=rtcp:70000']), /invalid a=rtcp port '70000'/],
  ])('%s: 488 with a Warning naming the cause, and no port kept', async (_label, sdp, cause) => {
    const g = await gateway();
    const call = await peer.invite('1000', sdp);
    expect(call.status).toBe(488);
    const warning = call.final.headers.find(([n]) => n === 'warning')?.[1] ?? '';
    expect(warning).toMatch(/^304 patchbay "Not Acceptable Here - /);
    expect(warning).toMatch(cause);
    await expectServingAndIdle(g);
  });
});
