/**
 * Back to the agent when the person hangs up (docs/forwarding.md §When the person hangs up), with real phones: a
 * caller (baresip, PCMU) is bridged with a person (baresip, G.722) who talks and hangs up first; the caller, silent
 * until then, asks a question and must hear its agent answer. The agent is a WebSocket agent that plays each caller
 * turn back once the gateway says it ended, so it answers only if the gateway's speech detection runs again. Main
 * thread: a `webhook:` number whose routing answer forwards (people first, the number's own agent after them);
 * media workers: a live forward through the API, the agent dialled again with the transcript it had.
 */
import { createServer, type Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDemoPrompts } from '@patchbay/agents';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { speechWav, type Wav } from '../helpers/audio.js';
import { measureEcho, measureEchoByUtterance, weightedNcc } from '../helpers/correlation.js';
import { across, callAndAnswer, callsOf, type ForwardPhones, liveCallOf, peopleTrunk } from '../helpers/forwarding-phones.js';
import { startTestGateway, waitFor, type TestGateway } from '../helpers/gateway.js';
import { freePort } from '../helpers/sipp.js';
import { startWsAgentServer, type WsAgentServer } from '../helpers/ws-agent-server.js';

const PERSON = '+15551110040';
const MIN_NCC = 0.9;

/**
 * A `webhook:` number: its routing answer forwards to the person with `onPersonHangup: agent` and names no agent, so
 * the number's own takes the caller back.
 */
const BACK = '+15550100782';
/** Its agent takes the call; the test forwards it through the API with `onPersonHangup: agent`. */
const LIVE_BACK = '+15550100783';
/** Forwards first with `onPersonHangup: agent`, but its agent's URL has nothing listening: the apology comes back. */
const BACK_DOWN = '+15550100785';
/** What the turn agent says (as a transcript line) on a call's first connection. */
const GREETING = 'Thanks for calling Acme, how can I help?';
/** The agent of BACK and LIVE_BACK: each connection's `start` and the types it was sent (turnAgent). */
let turnAgent: WsAgentServer | undefined;
const turnConnections: TurnConnection[] = [];
/** The caller's question after 7 s of silence: asked once the person has hung up (at 5 s), to the agent that is back. */
let backMic: { path: string; wav: Wav } | undefined;

interface TurnConnection {
  start: { to: string; resume?: { attempt: number; cause: string; transcript: { role: string; text: string }[]; playedMs: number } } | undefined;
  types: string[];
}

/**
 * A WebSocket agent that takes turns: on a call's first connection it says GREETING (as a final transcript line);
 * it keeps the caller's audio, and when the gateway says the caller stopped speaking (`speech_stopped`, its barge-in
 * detection) it plays that turn back, from 500 ms before `speech_started`. So it answers only if the gateway's speech
 * detection runs on the call.
 */
function startTurnAgent(connections: TurnConnection[]): Promise<WsAgentServer> {
  return startWsAgentServer((ws) => {
    const connection: TurnConnection = { start: undefined, types: [] };
    connections.push(connection);
    const recent: Buffer[] = [];
    let turn: Buffer[] | undefined;
    ws.on('message', (data, isBinary) => {
      const bytes = Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer);
      if (isBinary) {
        recent.push(bytes);
        if (recent.length > 25) recent.shift();
        turn?.push(bytes);
        return;
      }
      const msg = JSON.parse(bytes.toString()) as { type: string } & TurnConnection['start'];
      connection.types.push(msg.type);
      if (msg.type === 'start') {
        connection.start = msg;
        if (msg.resume === undefined) ws.send(JSON.stringify({ type: 'transcript', role: 'agent', text: GREETING, final: true }));
      } else if (msg.type === 'speech_started') {
        turn = [...recent];
      } else if (msg.type === 'speech_stopped' && turn !== undefined) {
        for (const frame of turn) ws.send(frame);
        turn = undefined;
      }
    });
  });
}

let personPort = 0;
let closedPort = 0;
let dir = '';
let personMic: { path: string; wav: Wav } | undefined;
/** The caller speaks at once (to the person), then listens: nothing of theirs interrupts what comes back. */
let helloMic: { path: string; wav: Wav } | undefined;
/** The routing webhook of BACK: answers a forward (what it was asked is kept). */
let router: Server | undefined;
let routerUrl = '';
const routed: unknown[] = [];
const phones = (): ForwardPhones => ({ personPort, person: PERSON, deskPort: 0, desk: '', personMic: personMic?.path ?? '' });

beforeAll(async () => {
  personPort = await freePort('udp');
  closedPort = await freePort('tcp');
  turnAgent = await startTurnAgent(turnConnections);
  router = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      routed.push(JSON.parse(body));
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ forward: { to: [{ to: PERSON, trunk: 'people' }], ringTimeoutS: 10, onPersonHangup: 'agent' } }));
    });
  });
  await new Promise<void>((resolve) => router?.listen(0, '127.0.0.1', resolve));
  const address = router.address();
  routerUrl = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}/route`;
  dir = await mkdtemp(join(tmpdir(), 'patchbay-back-'));
  const personPath = join(dir, 'person.wav');
  personMic = { path: personPath, wav: await speechWav(personPath, 'Front desk, this is Maria speaking, how can I help', { sampleRate: 16_000, leadMs: 800, tailMs: 200 }) };
  const helloPath = join(dir, 'caller-hello.wav');
  helloMic = { path: helloPath, wav: await speechWav(helloPath, 'Hello, is this the front desk', { sampleRate: 8_000, leadMs: 800, tailMs: 200 }) };
  const backPath = join(dir, 'caller-back.wav');
  backMic = { path: backPath, wav: await speechWav(backPath, 'Is anyone still there', { sampleRate: 8_000, leadMs: 7_000, tailMs: 200 }) };
}, 60_000);

afterAll(async () => {
  await turnAgent?.close();
  await new Promise<void>((resolve) => (router === undefined ? resolve() : router.close(() => resolve())));
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

describe.each([{ workers: 0 }, { workers: 2 }])('back to the agent when the person hangs up (baresip as caller and person), media.workers $workers', ({ workers }) => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startTestGateway({
      media: { workers },
      trunks: [peopleTrunk(personPort)],
      numbers: {
        [BACK]: { agent: turnAgent?.url ?? '', webhook: { url: routerUrl } },
        [LIVE_BACK]: { agent: turnAgent?.url ?? '' },
        [BACK_DOWN]: { agent: `ws://127.0.0.1:${closedPort}/agent`, forward: { to: [{ to: PERSON, trunk: 'people' }], ringTimeoutS: 10, onPersonHangup: 'agent' } },
      },
    });
  }, 60_000);
  afterAll(async () => {
    await gateway?.close();
  });

  // Main thread: the routing webhook's forward (the call bridged from its start: no agent before, barge-in detection
  // started only now). Media workers: a live forward through the API (the agent handed over, then dialled again with
  // the transcript).
  it(workers === 0 ? "a routing webhook's forward with onPersonHangup: agent: the person hangs up first and the number's agent takes the caller back" : 'a live forward with onPersonHangup: agent: the agent leaves for the person, and is dialled again with the transcript when the person hangs up', async () => {
    if (!backMic || !personMic) throw new Error('setup failed');
    const number = workers === 0 ? BACK : LIVE_BACK;
    const base = `http://127.0.0.1:${gateway.httpPort}`;
    const seen = turnConnections.length;
    let forwarded: Promise<{ status: number; body: string }> | undefined;
    const { callerHeard, personHeard } = await callAndAnswer(phones(), gateway, number, backMic, {
      personHangupAfterMs: 5_000,
      callerHangupAfterMs: 12_000,
      ...(number === LIVE_BACK
        ? {
            onDialled: () => {
              forwarded = liveCallOf(base, LIVE_BACK).then(async (callId) => {
                const res = await fetch(`${base}/v1/calls/${callId}/forward`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ to: PERSON, trunk: 'people', onPersonHangup: 'agent' }) });
                return { status: res.status, body: await res.text() };
              });
            },
          }
        : {}),
    });
    if (forwarded !== undefined) expect((await forwarded).status).toBe(202);
    const toCaller = await across(personMic.wav, callerHeard, { minLagMs: -500, maxLagMs: 1_500 });
    // The agent back on the call answers the question asked after the person left (its turn played back).
    // Word by word: the playout may win back a clock stall's delay in the pauses of a reply (never inside a word).
    const answerUtterances = await measureEchoByUtterance(backMic.wav, callerHeard, { minLagMs: 500, maxLagMs: 4_000 });
    const answer = { ncc: weightedNcc(answerUtterances), lagMs: answerUtterances[0]?.lagMs ?? Number.NaN, detail: answerUtterances.map((u) => `${u.startMs.toFixed(0)} ms: ${u.ncc.toFixed(3)} at ${u.lagMs.toFixed(0)} ms`).join('; ') };
    // The person, gone by then, never heard it.
    const heardByPerson = await measureEcho(backMic.wav, personHeard, { minLagMs: -7_000, maxLagMs: 1_000 });
    console.log(`back to the agent (workers ${workers}, ${number === BACK ? 'forward' : 'live forward'}): person → caller NCC ${toCaller.ncc.toFixed(3)} (${toCaller.detail}); the agent's answer NCC ${answer.ncc.toFixed(3)} (${answer.detail})`);
    expect(toCaller.ncc, `the caller hears the person: ${toCaller.detail}`).toBeGreaterThanOrEqual(MIN_NCC);
    expect(answer.ncc, 'the caller hears the agent that took it back').toBeGreaterThanOrEqual(MIN_NCC);
    expect(heardByPerson.ncc).toBeLessThan(0.5);

    // The agent's connections: the live call's first (greeted, then told it was transferred), then the one that took
    // the caller back, told why and what was said so far; its caller audio had speech events (barge-in detection).
    const connections = turnConnections.slice(seen).filter((c) => c.start?.to === number);
    const back = connections.at(-1);
    expect(connections).toHaveLength(number === BACK ? 1 : 2);
    if (number === LIVE_BACK) expect(connections[0]?.types).toContain('stop');
    expect(back?.start?.resume).toEqual({ attempt: 1, cause: 'person-hangup', transcript: number === BACK ? [] : [{ role: 'agent', text: GREETING }], playedMs: 0 });
    expect(back?.types).toEqual(expect.arrayContaining(['speech_started', 'speech_stopped']));

    await gateway.waitForIdle(5_000);
    const list = () => callsOf(base, number);
    await waitFor(async () => (await list()).filter((c) => c.endReason !== null).length >= 2, 5_000);
    const calls = await list();
    const inbound = calls.find((c) => c.direction === 'inbound');
    const leg = calls.find((c) => c.direction === 'outbound');
    // The caller hung up last, with its agent; the person's leg ended by the person's own BYE.
    expect(inbound, JSON.stringify(calls)).toMatchObject({ agent: { kind: 'url', target: expect.stringContaining(turnAgent?.url ?? '-') }, endReason: 'remote-bye', status: 'completed' });
    if (number === BACK) {
      expect(inbound?.routing).toMatchObject({ source: 'webhook', action: 'forward' });
      expect(routed.at(-1)).toMatchObject({ type: 'call.routing', to: BACK });
    }
    expect(leg).toMatchObject({ to: PERSON, endReason: 'remote-bye', agent: { kind: 'bridge', target: inbound?.id } });
    const detail = (await (await fetch(`${base}/v1/calls/${inbound?.id}`)).json()) as { timeline: { type: string; data: Record<string, unknown> }[] };
    expect(detail.timeline.filter((e) => e.type === 'forward' || e.type === 'back-to-agent').map((e) => [e.type, e.data['outcome'], e.data['callId']])).toEqual([
      ['forward', 'answered', leg?.id],
      ['back-to-agent', 'agent', leg?.id],
    ]);
  }, 90_000);

  if (workers === 0) {
    it('onPersonHangup: agent, but the agent cannot be reached: the caller hears the apology (no dead air, no abrupt hang-up)', async () => {
      if (!helloMic || !personMic) throw new Error('setup failed');
      const base = `http://127.0.0.1:${gateway.httpPort}`;
      const { callerHeard } = await callAndAnswer(phones(), gateway, BACK_DOWN, helloMic, { personHangupAfterMs: 4_000, callerHangupAfterMs: 15_000 });
      const apology: Wav = { sampleRate: 24_000, channels: 1, samples: loadDemoPrompts().apology };
      const heard = await measureEchoByUtterance(apology, callerHeard, { minLagMs: 3_500, maxLagMs: 6_000 });
      console.log(`back to the agent, agent down: the apology at the caller NCC ${weightedNcc(heard).toFixed(3)} (${heard.map((u) => `${u.startMs.toFixed(0)} ms: ${u.ncc.toFixed(3)} at ${u.lagMs.toFixed(0)} ms`).join("; ")})`);
      expect(weightedNcc(heard), 'the caller hears the apology').toBeGreaterThanOrEqual(MIN_NCC);
      await gateway.waitForIdle(5_000);
      await waitFor(async () => (await callsOf(base, BACK_DOWN)).filter((c) => c.endReason !== null).length >= 2, 5_000);
      const inbound = (await callsOf(base, BACK_DOWN)).find((c) => c.direction === 'inbound');
      // The apology hung up: not the agent's hang-up, and not peer-hangup (the caller was not dropped with the person).
      expect(inbound).toMatchObject({ endReason: 'agent-unavailable' });
      const detail = (await (await fetch(`${base}/v1/calls/${inbound?.id}`)).json()) as { timeline: { type: string; data: Record<string, unknown> }[] };
      expect(detail.timeline.find((e) => e.type === 'back-to-agent')?.data).toMatchObject({ outcome: 'apology' });
    }, 90_000);
  }
});
