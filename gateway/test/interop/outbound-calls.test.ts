/**
 * Outbound calls, black box: `POST /v1/calls` on a running gateway, SIPp as the carrier (UAS scenarios in
 * test/sipp/uas-*.xml, one trunk each). For each: the API's status, disposition and SIP status afterwards, the
 * lifecycle events in order, and what the carrier received (Request-URI, caller ID, CANCEL, credentials). Answered
 * calls reach a WebSocket agent that gets `start` with `direction: outbound` and sends a tone: SIPp's `-rtp_echo`
 * sends it back, so the agent hearing its own tone proves RTP both ways through the negotiated session.
 */
import { createHash } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { connect } from 'node:net';
import type { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, waitFor, type TestGateway } from '../helpers/gateway.js';
import { describeRun, freePort, headerOf, parseMessageLog, runSipp, waitForUdpBound, type SippResult } from '../helpers/sipp.js';
import { powerAt, sine } from '../helpers/tones.js';
import { startWsAgentServer, type WsAgentServer } from '../helpers/ws-agent-server.js';

const TRUNKS = ['answer', 'hold', 'ring', 'tcp', 'early', 'busy', 'declined', 'unavailable', 'noanswer', 'hangup', 'auth', 'silent'] as const;
type TrunkName = (typeof TRUNKS)[number];
const TO = '+15557654321';
const CALLER_ID = '+15550100001';
const RATE = 24_000;
const TONE_HZ = 700;
const FRAME_BYTES = 960; // 20 ms of PCM16 at 24 kHz

interface AgentCall {
  start: Record<string, unknown>;
  heard: Int16Array[];
  stop: Record<string, unknown> | undefined;
  /** Every JSON message after `start`. */
  messages: Record<string, unknown>[];
}

let gw: TestGateway | undefined;
/** The `silent` trunk's carrier: takes datagrams and answers nothing. */
let silent: Socket | undefined;
const silentReceived: string[] = [];
let agent: WsAgentServer | undefined;
const ports = new Map<TrunkName, number>();
/** By our call id: what the agent saw. */
const agentCalls = new Map<string, AgentCall>();
/** By our call id: lifecycle event types in order. */
const events = new Map<string, string[]>();

function toneAgent(): Promise<WsAgentServer> {
  return startWsAgentServer((ws: WebSocket) => {
    let call: AgentCall | undefined;
    ws.on('message', (data, isBinary) => {
      if (isBinary) {
        const buf = data as Buffer;
        call?.heard.push(new Int16Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength)));
        return;
      }
      const msg = JSON.parse(data.toString()) as Record<string, unknown>;
      if (msg['type'] === 'start') {
        call = { start: msg, heard: [], stop: undefined, messages: [] };
        agentCalls.set(String(msg['callId']), call);
        // 600 ms of tone: waits in the gateway until the callee answers, then plays.
        const tone = Buffer.from(sine(RATE, TONE_HZ, -12, 600).buffer);
        for (let i = 0; i + FRAME_BYTES <= tone.length; i += FRAME_BYTES) ws.send(tone.subarray(i, i + FRAME_BYTES));
      } else if (call) {
        call.messages.push(msg);
        if (msg['type'] === 'stop') call.stop = msg;
      }
    });
  });
}

beforeAll(async () => {
  for (const t of TRUNKS) ports.set(t, await freePort(t === 'tcp' ? 'tcp' : 'udp'));
  const sink = createSocket('udp4');
  silent = sink;
  sink.on('message', (msg) => silentReceived.push(msg.toString('utf8')));
  await new Promise<void>((resolve) => sink.bind(ports.get('silent'), '127.0.0.1', () => resolve()));
  agent = await toneAgent();
  gw = await startTestGateway(
    {
      trunks: TRUNKS.map((name) => ({
        name,
        outbound: {
          proxy: { host: '127.0.0.1', port: ports.get(name), transport: name === 'tcp' ? 'tcp' : 'udp' },
          allow: ['+1555'],
          callsPerSecond: name === 'silent' ? 1 : 50,
          maxConcurrentCalls: name === 'silent' ? 1 : 10,
          callerId: { user: CALLER_ID, displayName: 'Clinic Reminders', pAssertedIdentity: CALLER_ID, privacy: ['id'] },
          ...(name === 'auth' ? { auth: { username: 'carrier-user', passwordEnv: 'CARRIER_PASSWORD' } } : {}),
        },
      })),
      numbers: { reminders: { agent: 'echo', parameters: { campaign: 'flu-shots' } } },
    },
    { env: { CARRIER_PASSWORD: 's3cret' } },
  );
  for (const type of ['created', 'ringing', 'early-media', 'agent-connect', 'answered', 'confirmed', 'refused', 'ended'] as const) {
    gw.gateway.events.on(type, (e) => {
      const list = events.get(e.call?.id ?? '') ?? [];
      list.push(type);
      if (e.call) events.set(e.call.id, list);
    });
  }
}, 30_000);

afterAll(async () => {
  await gw?.close();
  silent?.close();
  await agent?.close();
});

function api(path: string, json?: unknown): Promise<Response> {
  if (!gw) throw new Error('gateway did not start');
  return fetch(`http://127.0.0.1:${gw.httpPort}${path}`, {
    method: json === undefined ? 'GET' : 'POST',
    ...(json === undefined ? {} : { body: JSON.stringify(json), headers: { 'content-type': 'application/json' } }),
    signal: AbortSignal.timeout(5_000),
  });
}

interface Summary {
  id: string;
  direction: string;
  status: string;
  disposition?: string;
  endReason?: string;
  sipStatus?: number;
  codec?: string;
  from: string;
  to: string;
  trunk?: string;
}

async function callOf(id: string): Promise<Summary> {
  const res = await api(`/v1/calls/${id}`);
  expect(res.status).toBe(200);
  return (await res.json()) as Summary;
}

/** Starts SIPp as the trunk's carrier, places a call through it, and returns both. */
async function place(trunk: TrunkName, scenario: string, opts: { body?: Record<string, unknown>; keys?: Record<string, string>; pauseMs?: number } = {}): Promise<{ call: Summary; sipp: Promise<SippResult> }> {
  const port = ports.get(trunk);
  if (port === undefined) throw new Error(`no port for ${trunk}`);
  const sipp = runSipp({
    scenario,
    host: '127.0.0.1',
    port: 0,
    uas: true,
    localPort: port,
    transport: trunk === 'tcp' ? 'tcp' : 'udp',
    pauseMs: opts.pauseMs ?? 300,
    timeoutMs: 20_000,
    recvTimeoutMs: 15_000,
    ...(opts.keys ? { keys: opts.keys } : {}),
    extraArgs: ['-rtp_echo', '-mp', String(await freePort('udp'))],
  });
  // SIPp exiting first (a port taken meanwhile by another process: exit 254) says why instead of a bare timeout.
  await Promise.race([trunk === 'tcp' ? waitForTcpListening(port) : waitForUdpBound(port), sipp.then((r) => Promise.reject(new Error(`SIPp exited before binding\n${describeRun(r)}`)))]);
  const res = await api('/v1/calls', { to: TO, trunk, agent: agent?.url, ...opts.body });
  const call = (await res.json()) as Summary;
  expect(res.status, JSON.stringify(call)).toBe(201);
  expect(call).toMatchObject({ direction: 'outbound', status: 'queued', to: TO, from: CALLER_ID, trunk });
  return { call, sipp };
}

/** Resolves once something accepts TCP connections on 127.0.0.1:`port`. */
async function waitForTcpListening(port: number): Promise<void> {
  await waitFor(
    () =>
      new Promise<boolean>((resolve) => {
        const socket = connect(port, '127.0.0.1');
        socket.once('connect', () => {
          socket.destroy();
          resolve(true);
        });
        socket.once('error', () => resolve(false));
      }),
    5_000,
    () => `nothing listens on tcp ${port}`,
  );
}

async function ended(id: string): Promise<Summary> {
  await waitFor(async () => (await callOf(id)).status !== 'queued' && (await callOf(id)).status !== 'ringing' && (await callOf(id)).status !== 'answered', 15_000, () => `call ${id} still live`);
  return callOf(id);
}

async function sippOk(run: Promise<SippResult>): Promise<SippResult> {
  const result = await run;
  expect(result.exitCode, describeRun(result)).toBe(0);
  return result;
}

/** The agent heard its own tone back (our RTP reached the carrier, and the carrier's reached the agent). */
async function expectToneBack(id: string): Promise<void> {
  const loud = (): number => (agentCalls.get(id)?.heard ?? []).filter((f) => powerAt(f, RATE, TONE_HZ) > 1e5).length;
  await waitFor(() => loud() > 10, 8_000, () => `${loud()} frames with the tone of ${agentCalls.get(id)?.heard.length ?? 0}`);
}

describe('outbound calls through a SIPp carrier, placed with POST /v1/calls', () => {
  it('answered at once: the agent gets start (outbound), RTP flows both ways, the far end hangs up with BYE', async () => {
    const { call, sipp } = await place('answer', 'uas-answer.xml', { pauseMs: 2_500 });
    await waitFor(async () => (await callOf(call.id)).status === 'answered', 8_000);
    await expectToneBack(call.id);
    const result = await sippOk(sipp);
    const final = await ended(call.id);
    expect(final).toMatchObject({ status: 'completed', disposition: 'completed', endReason: 'remote-bye', sipStatus: 200, codec: 'PCMU' });
    expect(agentCalls.get(call.id)?.start).toMatchObject({ type: 'start', direction: 'outbound', from: CALLER_ID, to: TO });
    expect(events.get(call.id)).toEqual(['created', 'agent-connect', 'answered', 'confirmed', 'ended']);
    // What the carrier received: the number at the proxy, the caller ID, PAI and Privacy as the trunk says.
    const invite = parseMessageLog(result.messageLog).find((m) => m.direction === 'received' && m.text.startsWith('INVITE'));
    if (!invite) throw new Error(describeRun(result));
    expect(invite.text.split('\r\n')[0] ?? invite.text.split('\n')[0]).toMatch(new RegExp(`^INVITE sip:\\${TO}@127\\.0\\.0\\.1:${ports.get('answer')} SIP/2\\.0`));
    expect(headerOf(invite.text, 'From')).toMatch(new RegExp(`^"Clinic Reminders" <sip:\\${CALLER_ID}@127\\.0\\.0\\.1>;tag=`));
    expect(headerOf(invite.text, 'P-Asserted-Identity')).toBe(`<sip:${CALLER_ID}@127.0.0.1;user=phone>`);
    expect(headerOf(invite.text, 'Privacy')).toBe('id');
    expect(headerOf(invite.text, 'Content-Type')).toBe('application/sdp');
  }, 30_000);

  it('from the far end: re-INVITE to hold (answered recvonly), SIP INFO DTMF to the agent, BYE', async () => {
    const { call, sipp } = await place('hold', 'uas-hold-dtmf.xml', { pauseMs: 1_500 });
    await waitFor(async () => (await callOf(call.id)).status === 'answered', 8_000);
    const result = await sippOk(sipp); // its checks: our 200 to the re-INVITE says a=recvonly; INFO and BYE got 200
    expect(result.actionLog).toContain('hold answered a=recvonly');
    expect(await ended(call.id)).toMatchObject({ status: 'completed', endReason: 'remote-bye' });
    expect(agentCalls.get(call.id)?.messages.filter((m) => m['type'] === 'dtmf')).toEqual([expect.objectContaining({ type: 'dtmf', digit: '5' })]);
  }, 30_000);

  it('180 then 200: ringing, then answered; hung up through the API (BYE from us)', async () => {
    const { call, sipp } = await place('ring', 'uas-ring-answer.xml', { pauseMs: 600 });
    await waitFor(async () => (await callOf(call.id)).status === 'ringing', 5_000);
    await waitFor(async () => (await callOf(call.id)).status === 'answered', 8_000);
    await expectToneBack(call.id);
    expect((await api(`/v1/calls/${call.id}/hangup`, {})).status).toBe(202);
    await sippOk(sipp);
    expect(await ended(call.id)).toMatchObject({ status: 'completed', endReason: 'local-hangup', sipStatus: 200 });
    expect(events.get(call.id)).toEqual(['created', 'agent-connect', 'ringing', 'answered', 'confirmed', 'ended']);
    expect(agentCalls.get(call.id)?.stop).toMatchObject({ type: 'stop' });
  }, 30_000);

  it('over TCP: 180 then 200, RTP both ways, BYE from us on the connection', async () => {
    const { call, sipp } = await place('tcp', 'uas-ring-answer.xml', { pauseMs: 300 });
    await waitFor(async () => (await callOf(call.id)).status === 'answered', 8_000);
    await expectToneBack(call.id);
    expect((await api(`/v1/calls/${call.id}/hangup`, {})).status).toBe(202);
    const result = await sippOk(sipp);
    expect(await ended(call.id)).toMatchObject({ status: 'completed', endReason: 'local-hangup', sipStatus: 200 });
    const invite = parseMessageLog(result.messageLog).find((m) => m.direction === 'received' && m.text.startsWith('INVITE'));
    expect(invite?.text.split(/\r?\n/)[0]).toMatch(/;transport=tcp SIP\/2\.0$/);
    expect(headerOf(invite?.text ?? '', 'Via')).toMatch(/^SIP\/2\.0\/TCP /);
    expect(headerOf(invite?.text ?? '', 'Contact')).toMatch(/;transport=tcp>$/);
  }, 30_000);

  it('183 with SDP then 200: early media is told and played to nobody; the call goes on', async () => {
    const { call, sipp } = await place('early', 'uas-early-media.xml', { pauseMs: 600 });
    await waitFor(async () => (await callOf(call.id)).status === 'answered', 8_000);
    await expectToneBack(call.id);
    expect((await api(`/v1/calls/${call.id}/hangup`, {})).status).toBe(202);
    await sippOk(sipp);
    expect(await ended(call.id)).toMatchObject({ status: 'completed', sipStatus: 200 });
    expect(events.get(call.id)).toEqual(['created', 'agent-connect', 'ringing', 'early-media', 'answered', 'confirmed', 'ended']);
  }, 30_000);

  it.each([
    ['busy', 'uas-busy.xml', 486, 'busy'],
    ['declined', 'uas-decline.xml', 603, 'declined'],
    ['unavailable', 'uas-unavailable.xml', 503, 'failed'],
  ] as const)('%s: %s → %i → %s', async (trunk, scenario, status, disposition) => {
    const { call, sipp } = await place(trunk, scenario);
    await sippOk(sipp); // it got the ACK for its final response
    expect(await ended(call.id)).toMatchObject({ status: disposition, disposition, sipStatus: status, endReason: disposition });
    expect(events.get(call.id)).toEqual(['created', 'agent-connect', 'ended']);
    expect(agentCalls.get(call.id)?.stop).toMatchObject({ type: 'stop' });
  }, 30_000);

  it('no answer: after the ring timeout we CANCEL; the call ends no-answer (487)', async () => {
    const { call, sipp } = await place('noanswer', 'uas-no-answer.xml', { body: { ringTimeoutS: 1 } });
    await waitFor(async () => (await callOf(call.id)).status === 'ringing', 5_000);
    const result = await sippOk(sipp); // it got our CANCEL, and the ACK for its 487
    expect(parseMessageLog(result.messageLog).some((m) => m.direction === 'received' && m.text.startsWith('CANCEL'))).toBe(true);
    expect(await ended(call.id)).toMatchObject({ status: 'no-answer', disposition: 'no-answer', sipStatus: 487, endReason: 'no-answer' });
    expect(events.get(call.id)).toEqual(['created', 'agent-connect', 'ringing', 'ended']);
  }, 30_000);

  it('407 challenge: the INVITE goes again (same Call-ID, next CSeq) with a right digest, and is answered', async () => {
    const { call, sipp } = await place('auth', 'uas-auth.xml');
    await waitFor(async () => (await callOf(call.id)).status === 'answered', 8_000);
    await expectToneBack(call.id);
    expect((await api(`/v1/calls/${call.id}/hangup`, {})).status).toBe(202);
    const result = await sippOk(sipp);
    expect(await ended(call.id)).toMatchObject({ status: 'completed', sipStatus: 200 });
    const invites = parseMessageLog(result.messageLog).filter((m) => m.direction === 'received' && m.text.startsWith('INVITE'));
    expect(invites).toHaveLength(2);
    const authorization = headerOf(invites[1]?.text ?? '', 'Proxy-Authorization') ?? '';
    expect(authorization).toMatch(/^Digest username="carrier-user", realm="carrier.test"/);
    // RFC 2617 without qop, as challenged: MD5(MD5(user:realm:password):nonce:MD5(INVITE:uri))
    const field = (name: string): string => new RegExp(`${name}="([^"]*)"`).exec(authorization)?.[1] ?? '';
    const md5 = (text: string): string => createHash('md5').update(text).digest('hex');
    const expected = md5(`${md5('carrier-user:carrier.test:s3cret')}:${field('nonce')}:${md5(`INVITE:${field('uri')}`)}`);
    expect(field('uri')).toBe(`sip:${TO}@127.0.0.1:${ports.get('auth')}`);
    expect(field('response')).toBe(expected);
    expect(headerOf(invites[1]?.text ?? '', 'Call-ID')).toBe(headerOf(invites[0]?.text ?? '', 'Call-ID'));
    expect([headerOf(invites[0]?.text ?? '', 'CSeq'), headerOf(invites[1]?.text ?? '', 'CSeq')]).toEqual(['1 INVITE', '2 INVITE']);
  }, 30_000);

  it('hung up through the API while ringing: CANCEL, and the call ends canceled', async () => {
    const { call, sipp } = await place('hangup', 'uas-no-answer.xml');
    await waitFor(async () => (await callOf(call.id)).status === 'ringing', 5_000);
    expect((await api(`/v1/calls/${call.id}/hangup`, {})).status).toBe(202);
    await sippOk(sipp); // it got our CANCEL, and the ACK for its 487
    expect(await ended(call.id)).toMatchObject({ status: 'canceled', disposition: 'canceled', endReason: 'local-hangup' });
  }, 30_000);

  it("limits: the trunk's concurrent calls (TRUNK_BUSY), then its calls per second (TRUNK_RATE_LIMITED)", async () => {
    // `number` lends its route: the echo agent and its parameters.
    const first = await api('/v1/calls', { to: TO, trunk: 'silent', number: 'reminders' });
    expect(first.status).toBe(201);
    const call = (await first.json()) as Summary & { number?: string; agent: { target: string } };
    expect(call).toMatchObject({ number: 'reminders', agent: { kind: 'builtin', target: 'echo' } });
    await waitFor(() => silentReceived.some((m) => m.startsWith('INVITE ')), 5_000); // the INVITE is out, unanswered
    const busy = await api('/v1/calls', { to: TO, trunk: 'silent', agent: 'echo' });
    expect([busy.status, ((await busy.json()) as { code: string }).code]).toEqual([503, 'TRUNK_BUSY']);
    expect((await api(`/v1/calls/${call.id}/hangup`, {})).status).toBe(202);
    expect(await ended(call.id)).toMatchObject({ status: 'canceled' });
    const limited = await api('/v1/calls', { to: TO, trunk: 'silent', agent: 'echo' });
    expect([limited.status, ((await limited.json()) as { code: string }).code]).toEqual([429, 'TRUNK_RATE_LIMITED']);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // No provisional response came: no CANCEL may go out (RFC 3261 §9.1).
    expect(silentReceived.some((m) => m.startsWith('CANCEL '))).toBe(false);
  }, 15_000);

  it('an agent that cannot be reached: nothing rings, the call fails agent-unavailable', async () => {
    const callIds = (): Set<string> => new Set(silentReceived.map((m) => headerOf(m, 'Call-ID') ?? ''));
    const before = callIds();
    let res = await api('/v1/calls', { to: TO, trunk: 'silent', agent: 'ws://127.0.0.1:9/nobody' });
    for (let i = 0; res.status === 429 && i < 40; i++) {
      // the previous test used up the trunk's 1 call a second
      await new Promise((resolve) => setTimeout(resolve, Number(res.headers.get('retry-after') ?? '1') * 100));
      res = await api('/v1/calls', { to: TO, trunk: 'silent', agent: 'ws://127.0.0.1:9/nobody' });
    }
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as Summary;
    expect(await ended(id)).toMatchObject({ status: 'failed', endReason: 'agent-unavailable' });
    expect((await callOf(id)).sipStatus).toBeUndefined();
    expect(callIds()).toEqual(before); // no INVITE went out (an earlier call's may still be retransmitted)
    expect(events.get(id)).toEqual(['created', 'agent-connect', 'ended']);
  }, 15_000);

  it('refuses before anything is sent: unknown trunk, destination off the allow-list', async () => {
    const unknown = await api('/v1/calls', { to: TO, trunk: 'nope', agent: 'echo' });
    expect([unknown.status, ((await unknown.json()) as { code: string }).code]).toEqual([422, 'TRUNK_UNKNOWN']);
    const offList = await api('/v1/calls', { to: '+19005550000', trunk: 'answer', agent: 'echo' });
    expect([offList.status, ((await offList.json()) as { code: string }).code]).toEqual([403, 'DESTINATION_NOT_ALLOWED']);
    const badFrom = await api('/v1/calls', { to: TO, trunk: 'answer', agent: 'echo', from: 'a b' });
    expect([badFrom.status, ((await badFrom.json()) as { code: string }).code]).toEqual([422, 'CALLER_ID_INVALID']);
    const noNumber = await api('/v1/calls', { to: TO, trunk: 'answer', number: 'nope' });
    expect([noNumber.status, ((await noNumber.json()) as { code: string }).code]).toEqual([422, 'NUMBER_UNKNOWN']);
    const noAgent = await api('/v1/calls', { to: TO, trunk: 'answer' });
    expect([noAgent.status, ((await noAgent.json()) as { code: string }).code]).toEqual([422, 'AGENT_INVALID']);
    const adapter = await api('/v1/calls', { to: TO, trunk: 'answer', agent: { adapter: 'openai-realtime', model: 'x' } });
    expect([adapter.status, ((await adapter.json()) as { code: string }).code]).toEqual([422, 'AGENT_INVALID']);
  });
});
