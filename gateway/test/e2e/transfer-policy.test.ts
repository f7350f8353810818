/**
 * Toll fraud through transfer (issue 11), end to end: a WebSocket agent asks for one hostile transfer target after
 * another (premium rate, 011 international, a `*72` forwarding code, a foreign SIP domain, `maddr`, URI headers
 * smuggling `P-Asserted-Identity` and `Replaces`, an allowed PBX asked to dial premium rate). For each, no REFER
 * leaves the gateway, the agent gets `error{code: 'transfer_failed', message: 'target not allowed'}` and the call
 * goes on. With an allow-list, an allowed target still produces the REFER; with no `transfer` configured (the
 * default) every target is refused.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, waitFor, type TestGateway } from '../helpers/gateway.js';
import { SipCaller } from '../helpers/sip-caller.js';
import { header } from '../helpers/sip-text.js';
import { startWsAgentServer, type WsAgentServer } from '../helpers/ws-agent-server.js';

const NUMBER = '+15550100001';
const ALLOWED = '+15557654321';
const HOSTILE = [
  '+19005551234',
  '011441234567890',
  '*725551234',
  'sip:+15551234567@evil.example.com',
  'sip:desk@pbx.example.com;maddr=evil.example.com',
  'sip:desk@pbx.example.com?P-Asserted-Identity=%3Csip:%2B15550000000@pbx.example.com%3E&Replaces=abc%3Bto-tag%3D1%3Bfrom-tag%3D2',
  'sip:+19005551234@pbx.example.com',
] as const;
/** What the test gateway allows (per number): +1555… numbers and one PBX. */
const ALLOW = { allow: ['+1555', 'pbx.example.com'] };

interface AgentMessage {
  type: string;
  [key: string]: unknown;
}

/** An agent that asks for the hostile targets, then the allowed one, each after the previous was refused. */
async function hostileAgent(): Promise<{ server: WsAgentServer; sessions: AgentMessage[][] }> {
  const sessions: AgentMessage[][] = [];
  const targets = [...HOSTILE, ALLOWED];
  const server = await startWsAgentServer((ws) => {
    const messages: AgentMessage[] = [];
    sessions.push(messages);
    let next = 0;
    const transferNext = (): void => {
      const target = targets[next++];
      if (target !== undefined) ws.send(JSON.stringify({ type: 'transfer', target }));
    };
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      const msg = JSON.parse(data.toString()) as AgentMessage;
      messages.push(msg);
      if (msg.type === 'start' || (msg.type === 'error' && msg['code'] === 'transfer_failed')) transferNext();
    });
  });
  return { server, sessions };
}

const errors = (messages: AgentMessage[] | undefined): AgentMessage[] => (messages ?? []).filter((m) => m.type === 'error');

describe('transfer destinations are enforced by the gateway', () => {
  let agent: Awaited<ReturnType<typeof hostileAgent>> | undefined;
  let allowList: TestGateway | undefined;
  let defaults: TestGateway | undefined;
  const callers: SipCaller[] = [];

  beforeAll(async () => {
    agent = await hostileAgent();
    // The top level allows only +44; the number's own list replaces it.
    allowList = await startTestGateway({ transfer: { allow: ['+44'] }, numbers: { [NUMBER]: { agent: agent.server.url, transfer: ALLOW } } });
    defaults = await startTestGateway({ numbers: { [NUMBER]: { agent: agent.server.url } } });
  }, 60_000);

  afterEach(() => {
    for (const c of callers.splice(0)) c.close();
  });

  afterAll(async () => {
    await allowList?.close();
    await defaults?.close();
    await agent?.server.close();
  });

  it('hostile targets: no REFER, transfer_failed "target not allowed", the call goes on; an allowed target still REFERs', async () => {
    if (!allowList || !agent) throw new Error('gateway did not start');
    const caller = await SipCaller.call({ host: allowList.host, port: allowList.sipPort, to: NUMBER, refer: { notify: ['SIP/2.0 200 OK'] } });
    callers.push(caller);
    const session = agent.sessions.at(-1);
    const refer = caller.refer;
    if (!refer) throw new Error('no refer responder');
    await waitFor(() => refer.refers.length > 0 || caller.hasEnded, 10_000, () => `agent messages: ${JSON.stringify(session)}`);
    // The first REFER to leave the gateway is for the allowed target, asked for after every hostile one was refused.
    expect(refer.refers.map((r) => header(r, 'refer-to'))).toEqual([`<sip:${ALLOWED}@127.0.0.1>`]);
    expect(errors(session)).toEqual(HOSTILE.map(() => ({ type: 'error', code: 'transfer_failed', message: 'target not allowed' })));
    await caller.byeReceived;
    await waitFor(() => session?.some((m) => m.type === 'stop') ?? false, 5_000);
    expect(session?.find((m) => m.type === 'stop')).toEqual({ type: 'stop', reason: 'transferred' });
    expect(refer.refers).toHaveLength(1);
    await allowList.waitForIdle(5_000);
    const stats = await allowList.gateway.stats();
    expect(stats.transfersRefused).toEqual({ DESTINATION_NOT_ALLOWED: 3, DESTINATION_NOT_E164: 1, DESTINATION_NOT_DIALABLE: 1, DESTINATION_URI_PARAMETER: 1, DESTINATION_URI_HEADERS: 1 });
    expect(stats.endReasons['transferred']).toBe(1);
    const metrics = await allowList.metrics();
    expect(metrics).toContain('patchbay_transfers_refused_total{reason="not_allowed"} 3');
    expect(metrics).toContain('patchbay_transfers_refused_total{reason="uri_headers"} 1');
  }, 30_000);

  it('no transfer configured (the default): every target is refused, the allowed-looking one too', async () => {
    if (!defaults || !agent) throw new Error('gateway did not start');
    const caller = await SipCaller.call({ host: defaults.host, port: defaults.sipPort, to: NUMBER, refer: { notify: ['SIP/2.0 200 OK'] } });
    callers.push(caller);
    const session = agent.sessions.at(-1);
    await waitFor(() => errors(session).length === HOSTILE.length + 1 || caller.hasEnded, 10_000, () => `agent messages: ${JSON.stringify(session)}`);
    expect(errors(session)).toEqual([...HOSTILE, ALLOWED].map(() => ({ type: 'error', code: 'transfer_failed', message: 'target not allowed' })));
    // The call goes on: RTP still flows, no BYE, and no REFER ever came.
    const before = caller.received.length;
    await waitFor(() => caller.received.length >= before + 10, 3_000, () => `RTP packets: ${caller.received.length - before} more`);
    expect(caller.hasEnded).toBe(false);
    expect(caller.refer?.refers).toEqual([]);
    expect(defaults.gateway.activeCalls()).toBe(1);
    const refused = Object.values((await defaults.gateway.stats()).transfersRefused);
    expect(refused.reduce((a, b) => a + b, 0)).toBe(HOSTILE.length + 1);
    expect(await caller.bye()).toBe(200);
    await defaults.waitForIdle(5_000);
  }, 30_000);
});
