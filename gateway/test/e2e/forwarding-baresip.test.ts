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
import { baresipCall, describeCall } from '../helpers/baresip.js';
import { measureEcho } from '../helpers/correlation.js';
import { across, callAndAnswer, type CallSummary, callsOf, type ForwardPhones, liveCallOf, ringingDesk } from '../helpers/forwarding-phones.js';
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
/** Rings only the desk, for long: the caller gives up while it rings. */
const DESK_ONLY = '+15550100784';
const DESK = '+15551110001';
const PERSON = '+15551110002';
const MIN_NCC = 0.9;
const RING_TIMEOUT_S = 2;

let deskPort = 0;
/** The agent of TRANSFERS: sends `transfer{PERSON}` when the call starts; what it was sent, in order. */
let transferAgent: WsAgentServer | undefined;
const transferAgentMessages: { type: string; [key: string]: unknown }[] = [];
let closedPort = 0;
let personPort = 0;
let dir = '';
let callerMic: { path: string; wav: Wav } | undefined;
/** The caller's sentence after 3 s of silence: spoken once the live call has been forwarded. */
let lateCallerMic: { path: string; wav: Wav } | undefined;
let personMic: { path: string; wav: Wav } | undefined;
/** The phones (read once beforeAll has made the person's microphone). */
const phones = (): ForwardPhones => ({ personPort, person: PERSON, deskPort, desk: DESK, personMic: personMic?.path ?? '' });

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
  closedPort = await freePort('tcp');
  personPort = await freePort('udp');
  dir = await mkdtemp(join(tmpdir(), 'patchbay-forward-'));
  const callerPath = join(dir, 'caller.wav');
  const personPath = join(dir, 'person.wav');
  const latePath = join(dir, 'caller-late.wav');
  lateCallerMic = { path: latePath, wav: await speechWav(latePath, 'Hello, I would like to speak with someone about my order', { sampleRate: 8_000, leadMs: 3_000, tailMs: 200 }) };
  callerMic = { path: callerPath, wav: await speechWav(callerPath, 'Hello, I would like to speak with someone about my order', { sampleRate: 8_000, leadMs: 800, tailMs: 200 }) };
  personMic = { path: personPath, wav: await speechWav(personPath, 'Front desk, this is Maria speaking, how can I help', { sampleRate: 16_000, leadMs: 800, tailMs: 200 }) };
}, 60_000);

afterAll(async () => {
  await transferAgent?.close();
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
      [DESK_ONLY]: { agent: 'echo', forward: { to: [{ to: DESK, trunk: 'desk' }], ringTimeoutS: 30, fallback: 'reject' } },
      [FAILOVER]: {
        agent: `ws://127.0.0.1:${closedPort}/agent`, // nothing listens: AGENT_UNREACHABLE at once
        forward: { to: [{ to: PERSON, trunk: 'people' }], when: 'agent-unavailable', ringTimeoutS: 10 },
      },
    },
  });
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
    const { callerHeard, personHeard, desk, person } = await callAndAnswer(phones(), gateway, NUMBER, callerMic, { desk: true, callerDtmf: { afterMs: 4_800, digits: '19#' } });

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
    const list = async (): Promise<CallSummary[]> => ((await (await fetch(`${base}/v1/calls?limit=10`)).json()) as { calls: CallSummary[] }).calls;
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
      const { callerHeard, personHeard, desk } = await callAndAnswer(phones(), gateway, RING_ALL, callerMic, { desk: true });
      const toPerson = await across(callerMic.wav, personHeard, { minLagMs: -500, maxLagMs: 1_500 });
      const toCaller = await across(personMic.wav, callerHeard, { minLagMs: -500, maxLagMs: 1_500 });
      expect(toPerson.ncc, `the person hears the caller: ${toPerson.detail}`).toBeGreaterThanOrEqual(MIN_NCC);
      expect(toCaller.ncc, `the caller hears the person: ${toCaller.detail}`).toBeGreaterThanOrEqual(MIN_NCC);
      // The desk's phone is told the call was completed elsewhere (so it shows no missed call).
      if (desk === undefined) throw new Error('no desk');
      expect(desk.established, describeCall(desk)).toBe(false);
      expect(desk.log, describeCall(desk)).toMatch(/^CANCEL sip:[\s\S]*?^Reason: SIP;cause=200;text="Call completed elsewhere"\r?$/im);
      await gateway.waitForIdle(5_000);
      const list = (): Promise<CallSummary[]> => callsOf(base, RING_ALL);
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
      const desk = await ringingDesk(phones());
      // The caller hears ringing for 2.5 s, then gives up (CANCEL).
      const caller = await baresipCall({ uri: `sip:${DESK_ONLY}@127.0.0.1:${gateway.sipPort}`, microphone: callerMic.path, codecs: ['PCMU'], hangupAfterMs: 1_000, establishTimeoutMs: 2_500 });
      const deskCall = await desk.call;
      expect(caller.established, describeCall(caller)).toBe(false);
      expect(deskCall.established, describeCall(deskCall)).toBe(false);
      expect(deskCall.events.map((e) => e.type), describeCall(deskCall)).toEqual(expect.arrayContaining(['CALL_INCOMING', 'CALL_CLOSED']));
      expect(deskCall.log.match(/^CANCEL sip:/gm) ?? [], describeCall(deskCall)).toHaveLength(1);
      await gateway.waitForIdle(5_000);
      const list = (): Promise<CallSummary[]> => callsOf(base, DESK_ONLY);
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
    const { callerHeard, personHeard } = await callAndAnswer(phones(), gateway, ECHO, lateCallerMic, {
      callerHangupAfterMs: 8_000,
      onDialled: () => {
        forwarded = liveCallOf(base, ECHO).then(async (callId) => {
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
    const detail = (await (await fetch(`${base}/v1/calls/${forward.callId}`)).json()) as CallSummary & { timeline: { type: string; data: Record<string, unknown> }[] };
    expect(detail.agent.kind).toBe('bridge');
    expect(detail.endReason).toBe('remote-bye');
    expect(detail.timeline.filter((e) => e.type === 'forward').map((e) => e.data)).toEqual([{ to: PERSON, trunk: 'people', outcome: 'answered', callId: detail.agent.target }]);
    const leg = (await (await fetch(`${base}/v1/calls/${detail.agent.target}`)).json()) as CallSummary;
    expect(leg).toMatchObject({ direction: 'outbound', to: PERSON, endReason: 'peer-hangup', agent: { kind: 'bridge', target: forward.callId } });
  }, 90_000);

  if (workers === 0) {
    it('an agent\'s transfer on a transferBy: bridge trunk rings the target and bridges it: no REFER, the agent is told transferred', async () => {
      if (!callerMic || !personMic) throw new Error('setup failed');
      const base = `http://127.0.0.1:${gateway.httpPort}`;
      const seen = transferAgentMessages.length;
      const { callerHeard, personHeard, caller } = await callAndAnswer(phones(), gateway, TRANSFERS, callerMic);
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
      const list = (): Promise<CallSummary[]> => callsOf(base, TRANSFERS);
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
    const { callerHeard, personHeard } = await callAndAnswer(phones(), gateway, FAILOVER, callerMic);
    const toPerson = await across(callerMic.wav, personHeard, { minLagMs: -500, maxLagMs: 1_500 });
    const toCaller = await across(personMic.wav, callerHeard, { minLagMs: -500, maxLagMs: 1_500 });
    console.log(`failover bridge (workers ${workers}): caller → person NCC ${toPerson.ncc.toFixed(3)}; person → caller NCC ${toCaller.ncc.toFixed(3)}`);
    expect(toPerson.ncc, `the person hears the caller: ${toPerson.detail}`).toBeGreaterThanOrEqual(MIN_NCC);
    expect(toCaller.ncc, `the caller hears the person: ${toCaller.detail}`).toBeGreaterThanOrEqual(MIN_NCC);

    await gateway.waitForIdle(5_000);
    const list = (): Promise<CallSummary[]> => callsOf(base, FAILOVER);
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
});
