/**
 * Call transfer end to end: a WebSocket agent sends `transfer`, the gateway REFERs the caller's side inside the
 * call's dialog (RFC 3515, Referred-By from RFC 3892) and follows the NOTIFY sipfrag progress: on success the agent
 * gets `stop{reason: 'transferred'}` and the gateway BYEs its leg; on failure the agent gets
 * `error{code: 'transfer_failed'}` and the call goes on. The success case runs on the main thread and on a media
 * worker.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, waitFor, type TestGateway } from '../helpers/gateway.js';
import type { ReferScript } from '../helpers/sip-caller-refer.js';
import { SipCaller, type SipMessage } from '../helpers/sip-caller.js';
import { header } from '../helpers/sip-text.js';
import { startWsAgentServer, type WsAgentServer } from '../helpers/ws-agent-server.js';

const TRANSFER = '+15550100001';
const TRANSFER_TWICE = '+15550100002';
const ECHO = '+15550100003';
const TARGET = '+15557654321';

/** One agent connection: the JSON messages it received, and how the socket closed. */
interface AgentSession {
  readonly messages: { type: string; [key: string]: unknown }[];
  closed: boolean;
}

/** A WebSocket agent that sends `transfer{target}` once (`/once`) or twice (`/twice`) as soon as the call starts. */
async function transferAgent(): Promise<{ server: WsAgentServer; url: string; sessions: AgentSession[] }> {
  const sessions: AgentSession[] = [];
  const server = await startWsAgentServer((ws, req) => {
    const session: AgentSession = { messages: [], closed: false };
    sessions.push(session);
    const times = req.url === '/twice' ? 2 : 1;
    ws.on('close', () => {
      session.closed = true;
    });
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      const msg = JSON.parse(data.toString()) as AgentSession['messages'][number];
      session.messages.push(msg);
      if (msg.type !== 'start') return;
      for (let i = 0; i < times; i++) ws.send(JSON.stringify({ type: 'transfer', target: TARGET }));
    });
  });
  return { server, url: server.url, sessions };
}

function released(): { hold: Promise<void>; release: () => void } {
  let release: () => void = () => undefined;
  const hold = new Promise<void>((resolve) => {
    release = resolve;
  });
  return { hold, release };
}

function byeWithin(caller: SipCaller, ms: number): Promise<void> {
  return Promise.race([caller.byeReceived, new Promise<void>((_, reject) => setTimeout(() => reject(new Error(`no BYE within ${ms} ms`)), ms))]);
}

/** Waits until the session has a message of `type` and returns it. */
async function agentGot(session: AgentSession | undefined, type: string, timeoutMs = 5_000): Promise<AgentSession['messages'][number]> {
  await waitFor(() => session?.messages.some((m) => m.type === type) ?? false, timeoutMs, () => `agent messages: ${JSON.stringify(session?.messages)}`);
  const found = session?.messages.find((m) => m.type === type);
  if (!found) throw new Error(`no ${type}`);
  return found;
}

/** The REFER's dialog and transfer headers, as the caller saw them. */
function expectReferInDialog(caller: SipCaller, refer: SipMessage | undefined, referTo: string): void {
  if (!refer) throw new Error('the gateway sent no REFER');
  const d = caller.dialog;
  expect(refer.firstLine).toBe(`REFER ${d.contact} SIP/2.0`);
  expect(header(refer, 'call-id')).toBe(d.callId);
  expect(header(refer, 'from')).toBe(`<sip:${TRANSFER}@127.0.0.1>;tag=${d.remoteTag}`);
  expect(header(refer, 'to')).toBe(`<sip:caller@127.0.0.1>;tag=${d.localTag}`);
  expect(header(refer, 'cseq')).toMatch(/^\d+ REFER$/);
  expect(header(refer, 'refer-to')).toBe(`<${referTo}>`);
  expect(header(refer, 'referred-by')).toBe(`<sip:${TRANSFER}@127.0.0.1>`);
}

const SUCCESS: ReferScript = { notify: ['SIP/2.0 100 Trying', 'SIP/2.0 200 OK'] };

for (const workers of [0, 1]) {
  describe(`transfer succeeds (media.workers: ${workers})`, () => {
    let gw: TestGateway | undefined;
    let agent: Awaited<ReturnType<typeof transferAgent>> | undefined;
    const callers: SipCaller[] = [];
    // The worker run also checks sip.transferDomain; the main-thread run, the peer's host.
    const domain = workers === 0 ? '127.0.0.1' : 'pbx.example.com:5080';

    beforeAll(async () => {
      agent = await transferAgent();
      gw = await startTestGateway({
        sip: workers === 0 ? {} : { transferDomain: 'pbx.example.com:5080' },
        media: { workers },
        transfer: { allow: ['+1555'] },
        numbers: { [TRANSFER]: { agent: `${agent.url}/once` } },
      });
    }, 60_000);

    afterAll(async () => {
      for (const c of callers) c.close();
      await gw?.close();
      await agent?.server.close();
    });

    it('REFERs in the dialog, answers the NOTIFYs 200, tells the agent `transferred` and BYEs after the final NOTIFY', async () => {
      if (!gw || !agent) throw new Error('gateway did not start');
      const caller = await SipCaller.call({ host: gw.host, port: gw.sipPort, to: TRANSFER, refer: SUCCESS });
      callers.push(caller);
      const refer = caller.refer;
      if (!refer) throw new Error('no refer responder');
      await byeWithin(caller, 5_000);
      expectReferInDialog(caller, refer.refers[0], `sip:${TARGET}@${domain}`);
      expect(refer.refers).toHaveLength(1);
      await refer.done;
      expect(refer.notifyAnswers.map((a) => a.status)).toEqual([200, 200]);
      const lastNotifyAnswered = refer.notifyAnswers.at(-1)?.atMs ?? Infinity;
      expect(caller.byeAtMs, 'BYE after the final NOTIFY was answered').toBeGreaterThanOrEqual(lastNotifyAnswered);
      const session = agent.sessions.at(-1);
      expect(await agentGot(session, 'stop')).toEqual({ type: 'stop', reason: 'transferred' });
      expect(session?.messages.some((m) => m.type === 'error')).toBe(false);
      await gw.waitForIdle(5_000);
      const stats = await gw.gateway.stats();
      expect(stats.endReasons['transferred']).toBe(1);
      expect(stats.media.workers).toBe(workers);
    }, 20_000);
  });
}

describe('transfer fails: the call goes on', () => {
  let gw: TestGateway | undefined;
  let agent: Awaited<ReturnType<typeof transferAgent>> | undefined;
  const callers: SipCaller[] = [];

  beforeAll(async () => {
    agent = await transferAgent();
    gw = await startTestGateway({
      transfer: { allow: ['+1555'] },
      numbers: {
        [TRANSFER]: { agent: `${agent.url}/once` },
        [TRANSFER_TWICE]: { agent: `${agent.url}/twice` },
        [ECHO]: { agent: 'echo' },
      },
    });
  }, 60_000);

  afterEach(() => {
    for (const c of callers.splice(0)) c.close();
  });

  afterAll(async () => {
    await gw?.close();
    await agent?.server.close();
  });

  /** The call is still up: no BYE, still counted, and the gateway still sends RTP. */
  async function expectCallGoesOn(caller: SipCaller): Promise<void> {
    if (!gw) throw new Error('gateway did not start');
    const before = caller.received.length;
    await waitFor(() => caller.received.length >= before + 10, 3_000, () => `RTP packets: ${caller.received.length - before} more`);
    expect(caller.hasEnded).toBe(false);
    expect(gw.gateway.activeCalls()).toBe(1);
    expect(await caller.bye()).toBe(200);
    await gw.waitForIdle(5_000);
  }

  it('a final sipfrag 486 Busy Here: the agent gets transfer_failed, the NOTIFYs get 200', async () => {
    if (!gw || !agent) throw new Error('gateway did not start');
    const caller = await SipCaller.call({ host: gw.host, port: gw.sipPort, to: TRANSFER, refer: { notify: ['SIP/2.0 100 Trying', 'SIP/2.0 486 Busy Here'] } });
    callers.push(caller);
    const session = agent.sessions.at(-1);
    const error = await agentGot(session, 'error');
    expect(error).toEqual({ type: 'error', code: 'transfer_failed', message: 'transfer target answered 486 Busy Here' });
    await caller.refer?.done;
    expect(caller.refer?.notifyAnswers.map((a) => a.status)).toEqual([200, 200]);
    expectReferInDialog(caller, caller.refer?.refers[0], `sip:${TARGET}@127.0.0.1`);
    await expectCallGoesOn(caller);
    expect(await agentGot(session, 'stop')).toEqual({ type: 'stop', reason: 'caller_hangup' });
  }, 20_000);

  it('a REFER refused 603: the agent gets transfer_failed naming the answer', async () => {
    if (!gw || !agent) throw new Error('gateway did not start');
    const caller = await SipCaller.call({ host: gw.host, port: gw.sipPort, to: TRANSFER, refer: { status: 603 } });
    callers.push(caller);
    const error = await agentGot(agent.sessions.at(-1), 'error');
    expect(error).toEqual({ type: 'error', code: 'transfer_failed', message: 'REFER answered 603 Decline' });
    expect(caller.refer?.refers).toHaveLength(1);
    await expectCallGoesOn(caller);
  }, 20_000);

  it('a second transfer while one is pending is refused; the first completes', async () => {
    if (!gw || !agent) throw new Error('gateway did not start');
    const gate = released();
    const caller = await SipCaller.call({ host: gw.host, port: gw.sipPort, to: TRANSFER_TWICE, refer: { ...SUCCESS, hold: gate.hold } });
    callers.push(caller);
    const session = agent.sessions.at(-1);
    const error = await agentGot(session, 'error');
    expect(error).toEqual({ type: 'error', code: 'transfer_failed', message: 'transfer already in progress' });
    gate.release();
    await byeWithin(caller, 5_000);
    expect(caller.refer?.refers).toHaveLength(1);
    expect(await agentGot(session, 'stop')).toEqual({ type: 'stop', reason: 'transferred' });
  }, 20_000);

  it('the caller cannot REFER us (405); NOTIFYs outside a transfer or malformed are refused and the call survives', async () => {
    if (!gw) throw new Error('gateway did not start');
    const caller = await SipCaller.call({ host: gw.host, port: gw.sipPort, to: ECHO });
    callers.push(caller);
    const refer = await caller.sendRequest('REFER', { headers: [`Refer-To: <sip:${TARGET}@127.0.0.1>`] });
    expect(refer.status).toBe(405);
    expect(header(refer, 'allow')).toContain('NOTIFY');
    expect(header(refer, 'allow')).not.toContain('REFER');
    const sipfrag = ['Content-Type: message/sipfrag;version=2.0', 'Subscription-State: active'];
    const stray = await caller.sendRequest('NOTIFY', { headers: ['Event: refer', ...sipfrag], body: 'SIP/2.0 200 OK\r\n' });
    expect(stray.status).toBe(481);
    expect((await caller.sendRequest('NOTIFY', { headers: ['Event: presence', ...sipfrag], body: 'SIP/2.0 200 OK\r\n' })).status).toBe(489);
    expect((await caller.sendRequest('NOTIFY', { headers: sipfrag, body: 'SIP/2.0 200 OK\r\n' })).status).toBe(400);
    expect((await caller.sendRequest('NOTIFY', { headers: ['Event: refer', ...sipfrag], body: 'not a status line' })).status).toBe(400);
    await expectCallGoesOn(caller);
  }, 20_000);
});
