/**
 * Forwarding a number to people, with real phones: a caller (baresip, PCMU) calls a number whose `forward:` rings
 * two people in turn, each a baresip of its own. The first (PCMU, a phone that rings and is never picked up) rings
 * out after the ring timeout and is cancelled; the second (G.722 only, on another trunk) answers. The gateway answers the caller and bridges
 * the two legs: each side's sentence must reach the other (normalised cross-correlation ≥ 0.9 at the best lag) across
 * the PCMU ↔ 24 kHz ↔ G.722 transcoding, and the API shows both legs and how each ended.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { speechWav, type Wav } from '../helpers/audio.js';
import { type BaresipCallResult, baresipCall, callAnswered, describeCall } from '../helpers/baresip.js';
import { measureEcho, measureEchoByUtterance } from '../helpers/correlation.js';
import { startTestGateway, waitFor, type TestGateway } from '../helpers/gateway.js';
import { freePort } from '../helpers/sipp.js';
import { startWsAgentServer, type WsAgentServer } from '../helpers/ws-agent-server.js';

const NUMBER = '+15550100777';
/** Rings the desk and the person at once: the person answers, the desk's leg is cancelled as answered elsewhere. */
const RING_ALL = '+15550100781';
/** The built-in echo answers; the test forwards the live call through the API. */
const ECHO = '+15550100779';
/** Its agent asks to transfer the caller to the person; the caller's trunk transfers by bridge, not REFER. */
const TRANSFERS = '+15550100780';
/** Its agent is down: people ring instead (`when: agent-unavailable`). */
const FAILOVER = '+15550100778';
/** People ring first; when the person hangs up the caller goes back to the number's agent (`onPersonHangup: agent`). */
const BACK = '+15550100782';
/** Its agent takes the call; the test forwards it through the API with `onPersonHangup: agent`. */
const LIVE_BACK = '+15550100783';
/** Rings only the desk, for long: the caller gives up while it rings. */
const DESK_ONLY = '+15550100784';
/** What the turn agent says (as a transcript line) on a call's first connection. */
const GREETING = 'Thanks for calling Acme, how can I help?';
const DESK = '+15551110001';
const PERSON = '+15551110002';
const MIN_NCC = 0.9;
const RING_TIMEOUT_S = 2;

/**
 * How well `reference` (what one side said) reaches the other side: each utterance aligned on its own lag, NCCs
 * weighted by length. A bridged leg plays through a jitter buffer, which may change its delay in the pauses between
 * words (its job) but never inside one: a word corrupted, dropped or stretched still fails.
 */
async function across(reference: Wav, heard: Wav, window: { minLagMs: number; maxLagMs: number }): Promise<{ ncc: number; detail: string }> {
  const utterances = await measureEchoByUtterance(reference, heard, window);
  const total = utterances.reduce((sum, u) => sum + u.lengthMs, 0);
  const ncc = total === 0 ? 0 : utterances.reduce((sum, u) => sum + u.ncc * u.lengthMs, 0) / total;
  return { ncc, detail: utterances.map((u) => `${u.startMs.toFixed(0)} ms: ${u.ncc.toFixed(3)} at ${u.lagMs.toFixed(1)} ms`).join('; ') };
}

let deskPort = 0;
/** The agent of TRANSFERS: sends `transfer{PERSON}` when the call starts; what it was sent, in order. */
let transferAgent: WsAgentServer | undefined;
const transferAgentMessages: { type: string; [key: string]: unknown }[] = [];
/** The agent of BACK and LIVE_BACK: each connection's `start` and the types it was sent (turnAgent). */
let turnAgent: WsAgentServer | undefined;
const turnConnections: TurnConnection[] = [];
let closedPort = 0;
let personPort = 0;
let dir = '';
let callerMic: { path: string; wav: Wav } | undefined;
/** The caller's sentence after 3 s of silence: spoken once the live call has been forwarded. */
let lateCallerMic: { path: string; wav: Wav } | undefined;
let personMic: { path: string; wav: Wav } | undefined;
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

beforeAll(async () => {
  deskPort = await freePort('udp');
  transferAgent = await startWsAgentServer((ws) => {
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      const msg = JSON.parse(data.toString()) as { type: string };
      transferAgentMessages.push(msg);
      if (msg.type === 'start') ws.send(JSON.stringify({ type: 'transfer', target: PERSON }));
    });
  });
  turnAgent = await startTurnAgent(turnConnections);
  closedPort = await freePort('tcp');
  personPort = await freePort('udp');
  dir = await mkdtemp(join(tmpdir(), 'patchbay-forward-'));
  const callerPath = join(dir, 'caller.wav');
  const personPath = join(dir, 'person.wav');
  const latePath = join(dir, 'caller-late.wav');
  lateCallerMic = { path: latePath, wav: await speechWav(latePath, 'Hello, I would like to speak with someone about my order', { sampleRate: 8_000, leadMs: 3_000, tailMs: 200 }) };
  const backPath = join(dir, 'caller-back.wav');
  backMic = { path: backPath, wav: await speechWav(backPath, 'Is anyone still there', { sampleRate: 8_000, leadMs: 7_000, tailMs: 200 }) };
  callerMic = { path: callerPath, wav: await speechWav(callerPath, 'Hello, I would like to speak with someone about my order', { sampleRate: 8_000, leadMs: 800, tailMs: 200 }) };
  personMic = { path: personPath, wav: await speechWav(personPath, 'Front desk, this is Maria speaking, how can I help', { sampleRate: 16_000, leadMs: 800, tailMs: 200 }) };
}, 60_000);

afterAll(async () => {
  await transferAgent?.close();
  await turnAgent?.close();
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

/** A gateway whose NUMBER forwards to the desk (trunk `desk`, PCMU) and then the person (trunk `people`, G.722 only). */
function forwardingGateway(workers: number): Promise<TestGateway> {
  const outbound = (port: number, codecs: string[]) => ({ proxy: { host: '127.0.0.1', port }, allow: ['+1555'], codecs, callerId: { user: '+15550100001' } });
  return startTestGateway({
    media: { workers },
    trunks: [
      { name: 'desk', outbound: outbound(deskPort, ['PCMU']) },
      // Calls from 127.0.0.1 (every caller here) come in on this trunk: its transfers ring the target as a bridge.
      { name: 'people', allow: ['127.0.0.1'], transferBy: 'bridge', outbound: outbound(personPort, ['G722']) },
    ],
    numbers: {
      [NUMBER]: {
        agent: 'echo',
        forward: { to: [{ to: DESK, trunk: 'desk' }, { to: PERSON, trunk: 'people' }], strategy: 'sequential', ringTimeoutS: RING_TIMEOUT_S, fallback: 'reject' },
      },
      [ECHO]: { agent: 'echo' },
      [RING_ALL]: { agent: 'echo', forward: { to: [{ to: DESK, trunk: 'desk' }, { to: PERSON, trunk: 'people' }], strategy: 'simultaneous', ringTimeoutS: 10, fallback: 'reject' } },
      [TRANSFERS]: { agent: transferAgent?.url ?? '', transfer: { allow: ['+1555'] } },
      [BACK]: { agent: turnAgent?.url ?? '', forward: { to: [{ to: PERSON, trunk: 'people' }], ringTimeoutS: 10, onPersonHangup: 'agent' } },
      [LIVE_BACK]: { agent: turnAgent?.url ?? '' },
      [DESK_ONLY]: { agent: 'echo', forward: { to: [{ to: DESK, trunk: 'desk' }], ringTimeoutS: 30, fallback: 'reject' } },
      [FAILOVER]: {
        agent: `ws://127.0.0.1:${closedPort}/agent`, // nothing listens: AGENT_UNREACHABLE at once
        forward: { to: [{ to: PERSON, trunk: 'people' }], when: 'agent-unavailable', ringTimeoutS: 10 },
      },
    },
  });
}

interface Summary {
  id: string;
  direction: string;
  to: string;
  number: string;
  codec: string | null;
  agent: { kind: string; target: string };
  endReason: string | null;
  status: string;
}

/**
 * The desk: a second person's phone (baresip, PCMU) that rings and never answers; resolves once it listens, with
 * its call to come (closed when the gateway cancels it).
 */
async function ringingDesk(): Promise<{ call: Promise<BaresipCallResult> }> {
  if (!personMic) throw new Error('setup failed');
  let listening!: () => void;
  const up = new Promise<void>((resolve) => (listening = resolve));
  const call = baresipCall({ answer: { sipPort: deskPort, user: DESK, ringOnly: true, onListening: () => listening() }, microphone: personMic.path, codecs: ['PCMU'], hangupAfterMs: 1_000, establishTimeoutMs: 30_000 });
  await Promise.race([up, call.then((c) => Promise.reject(new Error(`the desk exited before it listened\n${describeCall(c)}`)))]);
  return { call };
}

/**
 * The person (baresip, G.722 only) listens, and the desk too when `desk` is set; once they do, the caller (baresip,
 * PCMU) dials `number` with `callerMic` and `onDialled` runs. Resolves when the calls are over, with what each heard,
 * after checking the caller's and the person's were established.
 */
async function callAndAnswer(
  gateway: TestGateway,
  number: string,
  callerMic: { path: string },
  options: { callerHangupAfterMs?: number; personHangupAfterMs?: number; onDialled?: () => void; desk?: boolean; callerDtmf?: { afterMs: number; digits: string } } = {},
): Promise<{ caller: BaresipCallResult; person: BaresipCallResult; callerHeard: Wav; personHeard: Wav; desk: BaresipCallResult | undefined }> {
  if (!personMic) throw new Error('setup failed');
  const desk = options.desk === true ? await ringingDesk() : undefined;
  const { caller: heardByCaller, answerer: person } = await callAnswered({
    // The caller hangs up first (its BYE ends this leg: peer-hangup), unless the person is told to.
    answerer: { sipPort: personPort, user: PERSON, microphone: personMic.path, codecs: ['G722'], hangupAfterMs: options.personHangupAfterMs ?? 20_000, establishTimeoutMs: 20_000 },
    caller: {
      uri: `sip:${number}@127.0.0.1:${gateway.sipPort}`,
      microphone: callerMic.path,
      codecs: ['PCMU'],
      hangupAfterMs: options.callerHangupAfterMs ?? 7_000,
      establishTimeoutMs: 15_000,
      ...(options.callerDtmf === undefined ? {} : { dtmf: options.callerDtmf }),
    },
    ...(options.onDialled === undefined ? {} : { onDialled: options.onDialled }),
  });
  expect(heardByCaller.established, describeCall(heardByCaller)).toBe(true);
  expect(person.established, describeCall(person)).toBe(true);
  expect(heardByCaller.codec, describeCall(heardByCaller)).toMatch(/^PCMU/);
  expect(person.codec, describeCall(person)).toMatch(/^G722/);
  if (!heardByCaller.heard || !person.heard) throw new Error('no recording');
  return { caller: heardByCaller, person, callerHeard: heardByCaller.heard, personHeard: person.heard, desk: await desk?.call };
}

// With media workers the person's leg must run in the caller's worker (MediaCallInfo.near): the bridge is in memory.
describe.each([{ workers: 0 }, { workers: 2 }])('forwarding a number to people (baresip as caller and person), media.workers $workers', ({ workers }) => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await forwardingGateway(workers);
  }, 60_000);
  afterAll(async () => {
    await gateway?.close();
  });

  it('rings the first person out, bridges the second: each hears the other across PCMU ↔ G.722', async () => {
    if (!callerMic || !personMic) throw new Error('setup failed');
    const base = `http://127.0.0.1:${gateway.httpPort}`;
    // The caller presses 1, 9, # after its sentence: the keys reach the person across the bridge (RFC 4733 both legs).
    const { callerHeard, personHeard, desk, person } = await callAndAnswer(gateway, NUMBER, callerMic, { desk: true, callerDtmf: { afterMs: 4_800, digits: '19#' } });

    const toPerson = await across(callerMic.wav, personHeard, { minLagMs: -500, maxLagMs: 1_500 });
    const toCaller = await across(personMic.wav, callerHeard, { minLagMs: -500, maxLagMs: 1_500 });
    console.log(`forwarding bridge (workers ${workers}): caller → person NCC ${toPerson.ncc.toFixed(3)} (${toPerson.detail}); person → caller NCC ${toCaller.ncc.toFixed(3)} (${toCaller.detail})`);
    expect(toPerson.ncc, `the person hears the caller: ${toPerson.detail}`).toBeGreaterThanOrEqual(MIN_NCC);
    expect(toCaller.ncc, `the caller hears the person: ${toCaller.detail}`).toBeGreaterThanOrEqual(MIN_NCC);

    const pressed = person.events.filter((e) => e.type === 'CALL_DTMF_START').map((e) => e.param);
    console.log(`forwarding bridge (workers ${workers}): DTMF at the person: ${JSON.stringify(pressed)}`);
    expect(pressed, describeCall(person)).toEqual(['1', '9', '#']);
    // The desk's phone rang and was cancelled at the ring timeout, never answered; then the person's leg.
    if (desk === undefined) throw new Error('no desk');
    expect(desk.established, describeCall(desk)).toBe(false);
    expect(desk.events.map((e) => e.type), describeCall(desk)).toEqual(expect.arrayContaining(['CALL_INCOMING', 'CALL_CLOSED']));
    expect(desk.log.match(/^CANCEL sip:/gm) ?? [], describeCall(desk)).toHaveLength(1);
    await gateway.waitForIdle(5_000);
    const list = async (): Promise<Summary[]> => ((await (await fetch(`${base}/v1/calls?limit=10`)).json()) as { calls: Summary[] }).calls;
    await waitFor(async () => (await list()).filter((c) => c.endReason !== null).length >= 3, 5_000);
    const calls = await list();
    const inbound = calls.find((c) => c.direction === 'inbound');
    const deskLeg = calls.find((c) => c.to === DESK);
    const personLeg = calls.find((c) => c.to === PERSON);
    expect(inbound, JSON.stringify(calls)).toMatchObject({ number: NUMBER, codec: 'PCMU', agent: { kind: 'bridge', target: personLeg?.id }, endReason: 'remote-bye', status: 'completed' });
    expect(deskLeg).toMatchObject({ direction: 'outbound', number: NUMBER, endReason: 'no-answer', agent: { kind: 'bridge', target: inbound?.id } });
    expect(personLeg).toMatchObject({ direction: 'outbound', number: NUMBER, codec: 'G722', endReason: 'peer-hangup', status: 'completed', agent: { kind: 'bridge', target: inbound?.id } });
    const detail = (await (await fetch(`${base}/v1/calls/${inbound?.id}`)).json()) as { timeline: { type: string; data: Record<string, unknown> }[] };
    expect(detail.timeline.filter((e) => e.type === 'forward').map((e) => e.data)).toEqual([
      { to: DESK, trunk: 'desk', outcome: 'no-answer', callId: deskLeg?.id },
      { to: PERSON, trunk: 'people', outcome: 'answered', callId: personLeg?.id },
    ]);
  }, 90_000);

  // Simultaneous ringing and transfer-as-bridge take no path of their own in a media worker (the join, hand-over and
  // fallback above and below do): they run on the main thread only, to keep CI's time.
  if (workers === 0) {
    it('simultaneous: the desk and the person ring at once; the person answers, the desk is cancelled as answered elsewhere', async () => {
      if (!callerMic || !personMic) throw new Error('setup failed');
      const base = `http://127.0.0.1:${gateway.httpPort}`;
      const { callerHeard, personHeard, desk } = await callAndAnswer(gateway, RING_ALL, callerMic, { desk: true });
      const toPerson = await across(callerMic.wav, personHeard, { minLagMs: -500, maxLagMs: 1_500 });
      const toCaller = await across(personMic.wav, callerHeard, { minLagMs: -500, maxLagMs: 1_500 });
      expect(toPerson.ncc, `the person hears the caller: ${toPerson.detail}`).toBeGreaterThanOrEqual(MIN_NCC);
      expect(toCaller.ncc, `the caller hears the person: ${toCaller.detail}`).toBeGreaterThanOrEqual(MIN_NCC);
      // The desk's phone is told the call was completed elsewhere (so it shows no missed call).
      if (desk === undefined) throw new Error('no desk');
      expect(desk.established, describeCall(desk)).toBe(false);
      expect(desk.log, describeCall(desk)).toMatch(/^CANCEL sip:[\s\S]*?^Reason: SIP;cause=200;text="Call completed elsewhere"\r?$/im);
      await gateway.waitForIdle(5_000);
      const list = async (): Promise<Summary[]> => ((await (await fetch(`${base}/v1/calls?number=${encodeURIComponent(RING_ALL)}`)).json()) as { calls: Summary[] }).calls;
      await waitFor(async () => (await list()).filter((c) => c.endReason !== null).length >= 3, 5_000);
      const calls = await list();
      expect(calls.find((c) => c.to === DESK)).toMatchObject({ endReason: 'answered-elsewhere', status: 'canceled' });
      expect(calls.find((c) => c.to === PERSON)).toMatchObject({ endReason: 'peer-hangup', status: 'completed' });
    }, 90_000);
  }

  if (workers === 0) {
    it('the caller hangs up while the desk rings: the desk\'s phone is cancelled, its leg ends peer-hangup', async () => {
      if (!callerMic) throw new Error('setup failed');
      const base = `http://127.0.0.1:${gateway.httpPort}`;
      const desk = await ringingDesk();
      // The caller hears ringing for 2.5 s, then gives up (CANCEL).
      const caller = await baresipCall({ uri: `sip:${DESK_ONLY}@127.0.0.1:${gateway.sipPort}`, microphone: callerMic.path, codecs: ['PCMU'], hangupAfterMs: 1_000, establishTimeoutMs: 2_500 });
      const deskCall = await desk.call;
      expect(caller.established, describeCall(caller)).toBe(false);
      expect(deskCall.established, describeCall(deskCall)).toBe(false);
      expect(deskCall.events.map((e) => e.type), describeCall(deskCall)).toEqual(expect.arrayContaining(['CALL_INCOMING', 'CALL_CLOSED']));
      expect(deskCall.log.match(/^CANCEL sip:/gm) ?? [], describeCall(deskCall)).toHaveLength(1);
      await gateway.waitForIdle(5_000);
      const list = async (): Promise<Summary[]> => ((await (await fetch(`${base}/v1/calls?number=${encodeURIComponent(DESK_ONLY)}`)).json()) as { calls: Summary[] }).calls;
      await waitFor(async () => (await list()).filter((c) => c.endReason !== null).length >= 2, 5_000);
      const calls = await list();
      expect(calls.find((c) => c.direction === 'inbound'), JSON.stringify(calls)).toMatchObject({ endReason: 'cancelled' });
      expect(calls.find((c) => c.direction === 'outbound')).toMatchObject({ to: DESK, endReason: 'peer-hangup' });
    }, 60_000);
  }

  it('forwards a live call through the API: the person answers, the echo agent leaves, caller and person hear each other', async () => {
    if (!lateCallerMic || !personMic) throw new Error('setup failed');
    const base = `http://127.0.0.1:${gateway.httpPort}`;
    let forwarded: Promise<{ status: number; body: string; callId: string }> | undefined;
    const liveCall = async (): Promise<string> => {
      for (;;) {
        const calls = ((await (await fetch(`${base}/v1/calls?number=${encodeURIComponent(ECHO)}`)).json()) as { calls: Summary[] }).calls;
        const live = calls.find((c) => c.direction === 'inbound' && c.status === 'answered');
        if (live !== undefined) return live.id;
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    const { callerHeard, personHeard } = await callAndAnswer(gateway, ECHO, lateCallerMic, {
      callerHangupAfterMs: 8_000,
      onDialled: () => {
        forwarded = liveCall().then(async (callId) => {
          const res = await fetch(`${base}/v1/calls/${callId}/forward`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ to: PERSON, trunk: 'people' }) });
          return { status: res.status, body: await res.text(), callId };
        });
      },
    });
    if (forwarded === undefined) throw new Error('never forwarded');
    const forward = await forwarded;
    expect(forward.status, forward.body).toBe(202);
    const toPerson = await across(lateCallerMic.wav, personHeard, { minLagMs: -3_000, maxLagMs: 1_500 });
    const toCaller = await across(personMic.wav, callerHeard, { minLagMs: -500, maxLagMs: 3_000 });
    // The echo agent left at the handover: the caller's own sentence, spoken after it, does not come back.
    const ownEcho = await measureEcho(lateCallerMic.wav, callerHeard, { minLagMs: -200, maxLagMs: 1_000 });
    console.log(`live forward (workers ${workers}): caller → person NCC ${toPerson.ncc.toFixed(3)}; person → caller NCC ${toCaller.ncc.toFixed(3)}; caller's own echo NCC ${ownEcho.ncc.toFixed(3)}`);
    expect(toPerson.ncc, `the person hears the caller: ${toPerson.detail}`).toBeGreaterThanOrEqual(MIN_NCC);
    expect(toCaller.ncc, `the caller hears the person: ${toCaller.detail}`).toBeGreaterThanOrEqual(MIN_NCC);
    expect(ownEcho.ncc, 'the echo agent is gone').toBeLessThan(0.5);

    await gateway.waitForIdle(5_000);
    const detail = (await (await fetch(`${base}/v1/calls/${forward.callId}`)).json()) as Summary & { timeline: { type: string; data: Record<string, unknown> }[] };
    expect(detail.agent.kind).toBe('bridge');
    expect(detail.endReason).toBe('remote-bye');
    expect(detail.timeline.filter((e) => e.type === 'forward').map((e) => e.data)).toEqual([{ to: PERSON, trunk: 'people', outcome: 'answered', callId: detail.agent.target }]);
    const leg = (await (await fetch(`${base}/v1/calls/${detail.agent.target}`)).json()) as Summary;
    expect(leg).toMatchObject({ direction: 'outbound', to: PERSON, endReason: 'peer-hangup', agent: { kind: 'bridge', target: forward.callId } });
  }, 90_000);

  if (workers === 0) {
    it('an agent\'s transfer on a transferBy: bridge trunk rings the target and bridges it: no REFER, the agent is told transferred', async () => {
      if (!callerMic || !personMic) throw new Error('setup failed');
      const base = `http://127.0.0.1:${gateway.httpPort}`;
      const seen = transferAgentMessages.length;
      const { callerHeard, personHeard, caller } = await callAndAnswer(gateway, TRANSFERS, callerMic);
      const toPerson = await across(callerMic.wav, personHeard, { minLagMs: -1_500, maxLagMs: 1_500 });
      const toCaller = await across(personMic.wav, callerHeard, { minLagMs: -500, maxLagMs: 2_500 });
      console.log(`transfer as bridge (workers ${workers}): caller → person NCC ${toPerson.ncc.toFixed(3)}; person → caller NCC ${toCaller.ncc.toFixed(3)}`);
      expect(toPerson.ncc, `the person hears the caller: ${toPerson.detail}`).toBeGreaterThanOrEqual(MIN_NCC);
      expect(toCaller.ncc, `the caller hears the person: ${toCaller.detail}`).toBeGreaterThanOrEqual(MIN_NCC);
      // baresip's SIP trace (it holds the call's INVITE, so a REFER would be in it too): never asked to transfer.
      expect(caller.log).toMatch(/INVITE sip:/);
      expect(caller.log).not.toMatch(/REFER sip:/);
      const messages = transferAgentMessages.slice(seen).map((m) => m.type);
      expect(messages[0]).toBe('start');
      expect(transferAgentMessages.slice(seen).find((m) => m.type === 'stop')).toMatchObject({ reason: 'transferred' });

      await gateway.waitForIdle(5_000);
      const list = async (): Promise<Summary[]> => ((await (await fetch(`${base}/v1/calls?number=${encodeURIComponent(TRANSFERS)}`)).json()) as { calls: Summary[] }).calls;
      await waitFor(async () => (await list()).filter((c) => c.endReason !== null).length >= 2, 5_000);
      const calls = await list();
      const inbound = calls.find((c) => c.direction === 'inbound');
      expect(inbound, JSON.stringify(calls)).toMatchObject({ agent: { kind: 'bridge' }, endReason: 'remote-bye', status: 'completed' });
      expect(calls.find((c) => c.direction === 'outbound')).toMatchObject({ to: PERSON, endReason: 'peer-hangup', agent: { kind: 'bridge', target: inbound?.id } });
    }, 90_000);
  }

  it('fails over: the number\'s agent is down, so the person rings instead of an apology, and the two are bridged', async () => {
    if (!callerMic || !personMic) throw new Error('setup failed');
    const base = `http://127.0.0.1:${gateway.httpPort}`;
    const { callerHeard, personHeard } = await callAndAnswer(gateway, FAILOVER, callerMic);
    const toPerson = await across(callerMic.wav, personHeard, { minLagMs: -500, maxLagMs: 1_500 });
    const toCaller = await across(personMic.wav, callerHeard, { minLagMs: -500, maxLagMs: 1_500 });
    console.log(`failover bridge (workers ${workers}): caller → person NCC ${toPerson.ncc.toFixed(3)}; person → caller NCC ${toCaller.ncc.toFixed(3)}`);
    expect(toPerson.ncc, `the person hears the caller: ${toPerson.detail}`).toBeGreaterThanOrEqual(MIN_NCC);
    expect(toCaller.ncc, `the caller hears the person: ${toCaller.detail}`).toBeGreaterThanOrEqual(MIN_NCC);

    await gateway.waitForIdle(5_000);
    const list = async (): Promise<Summary[]> => ((await (await fetch(`${base}/v1/calls?number=${encodeURIComponent(FAILOVER)}`)).json()) as { calls: Summary[] }).calls;
    await waitFor(async () => (await list()).filter((c) => c.endReason !== null).length >= 2, 5_000);
    const calls = await list();
    const inbound = calls.find((c) => c.direction === 'inbound');
    const leg = calls.find((c) => c.direction === 'outbound');
    expect(inbound, JSON.stringify(calls)).toMatchObject({ agent: { kind: 'bridge', target: leg?.id }, endReason: 'remote-bye', status: 'completed' });
    expect(leg).toMatchObject({ to: PERSON, endReason: 'peer-hangup', agent: { kind: 'bridge', target: inbound?.id } });
    const detail = (await (await fetch(`${base}/v1/calls/${inbound?.id}`)).json()) as { timeline: { type: string; data: Record<string, unknown> }[] };
    const steps = detail.timeline.map((e) => e.type).filter((t) => t === 'agent-failed' || t === 'forward' || t === 'answered');
    expect(steps).toEqual(['agent-failed', 'forward', 'answered']);
    expect(detail.timeline.find((e) => e.type === 'agent-failed')?.data).toMatchObject({ code: 'AGENT_UNREACHABLE', outcome: 'unreachable' });
    expect(detail.timeline.find((e) => e.type === 'forward')?.data).toEqual({ to: PERSON, trunk: 'people', outcome: 'answered', callId: leg?.id });
  }, 90_000);

  // The person hangs up first and the caller goes back to its agent: a number's forward (the call bridged from its
  // start: no agent before, barge-in detection started only now) on the main thread; a live forward through the API
  // (the agent handed over, then dialled again with the transcript) in a media worker.
  it(workers === 0 ? "onPersonHangup: agent: the person hangs up first and the number's agent takes the caller back" : 'a live forward with onPersonHangup: agent: the agent leaves for the person, and is dialled again with the transcript when the person hangs up', async () => {
    if (!backMic || !personMic) throw new Error('setup failed');
    const number = workers === 0 ? BACK : LIVE_BACK;
    const base = `http://127.0.0.1:${gateway.httpPort}`;
    const seen = turnConnections.length;
    let forwarded: Promise<{ status: number; body: string }> | undefined;
    const { callerHeard, personHeard } = await callAndAnswer(gateway, number, backMic, {
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
    const answer = await measureEcho(backMic.wav, callerHeard, { minLagMs: 500, maxLagMs: 4_000 });
    // The person, gone by then, never heard it.
    const heardByPerson = await measureEcho(backMic.wav, personHeard, { minLagMs: -7_000, maxLagMs: 1_000 });
    console.log(`back to the agent (workers ${workers}, ${number === BACK ? 'forward' : 'live forward'}): person → caller NCC ${toCaller.ncc.toFixed(3)} (${toCaller.detail}); the agent's answer NCC ${answer.ncc.toFixed(3)} at ${answer.lagMs.toFixed(0)} ms`);
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
    const list = async (): Promise<Summary[]> => ((await (await fetch(`${base}/v1/calls?number=${encodeURIComponent(number)}`)).json()) as { calls: Summary[] }).calls;
    await waitFor(async () => (await list()).filter((c) => c.endReason !== null).length >= 2, 5_000);
    const calls = await list();
    const inbound = calls.find((c) => c.direction === 'inbound');
    const leg = calls.find((c) => c.direction === 'outbound');
    // The caller hung up last, with its agent; the person's leg ended by the person's own BYE.
    expect(inbound, JSON.stringify(calls)).toMatchObject({ agent: { kind: 'url', target: expect.stringContaining(turnAgent?.url ?? '-') }, endReason: 'remote-bye', status: 'completed' });
    expect(leg).toMatchObject({ to: PERSON, endReason: 'remote-bye', agent: { kind: 'bridge', target: inbound?.id } });
    const detail = (await (await fetch(`${base}/v1/calls/${inbound?.id}`)).json()) as { timeline: { type: string; data: Record<string, unknown> }[] };
    expect(detail.timeline.filter((e) => e.type === 'forward' || e.type === 'back-to-agent').map((e) => [e.type, e.data['outcome'], e.data['callId']])).toEqual([
      ['forward', 'answered', leg?.id],
      ['back-to-agent', 'agent', leg?.id],
    ]);
  }, 90_000);
});

/** The id of `number`'s answered inbound call, once there is one. */
async function liveCallOf(base: string, number: string): Promise<string> {
  for (;;) {
    const calls = ((await (await fetch(`${base}/v1/calls?number=${encodeURIComponent(number)}`)).json()) as { calls: Summary[] }).calls;
    const live = calls.find((c) => c.direction === 'inbound' && c.status === 'answered');
    if (live !== undefined) return live.id;
    await new Promise((r) => setTimeout(r, 50));
  }
}
