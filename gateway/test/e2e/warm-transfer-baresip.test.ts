/**
 * Warm transfer with real phones (docs/forwarding.md §Warm transfer). A caller (baresip, PCMU) reaches a WebSocket
 * agent that at once asks to `consult` a person (baresip, G.722) with a whisper. When the person answers, the agent
 * speaks the whisper (its audio goes to the person only; the caller hears hold music), then sends `bridge`: the
 * agent leaves and caller and person are joined. The person's recording must hold the whisper and then the caller;
 * the caller's must never hold the whisper. The agent is told each step; the call's record shows them.
 */
import { AUDIO_FORMAT, pcm16ToBytes } from '@patchbay/agents';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { concat } from '../../src/media/audio/dsp-measure.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bandLimit, frameLevelsDbfs, resampleWav, speechWav, toMono, type Wav } from '../helpers/audio.js';
import { callAnswered, describeCall } from '../helpers/baresip.js';
import { measureEchoByUtterance, weightedNcc, wholeNcc } from '../helpers/correlation.js';
import { peopleTrunk } from '../helpers/forwarding-phones.js';
import { startTestGateway, waitFor, type TestGateway } from '../helpers/gateway.js';
import { freePort } from '../helpers/sipp.js';
import { startWsAgentServer, type WsAgentServer } from '../helpers/ws-agent-server.js';

const NUMBER = '+15550100800';
/** Its agent's socket drops once the whisper has played, instead of sending `bridge`. */
const AGENT_LEAVES = '+15550100801';
const PERSON = '+15551110020';
const SUMMARY = 'Anna Lee, order forty four, the parcel arrived damaged.';
const MIN_NCC = 0.9;

let agent: WsAgentServer | undefined;
/** What the agent was sent (text messages), in order. */
const told: { type: string; [key: string]: unknown }[] = [];
let whisper: Wav | undefined;
let callerMic: { path: string; wav: Wav } | undefined;
let personMic: { path: string; wav: Wav } | undefined;
let personPort = 0;
let dir = '';

/** What the agent heard after `bridge{listen: true}` (24 kHz frames), per call. */
const listened: Int16Array[][] = [];

/**
 * The agent: consults the person at once; on `answered` speaks the whisper, a mark, and `bridge` once it played (with
 * `listen: true` when its number's parameters say so, then keeping what it hears).
 */
function consultingAgent(ws: import('ws').WebSocket): void {
  let listen = false;
  let leave = false;
  let frames: Int16Array[] | undefined;
  ws.on('message', (data, isBinary) => {
    if (isBinary) {
      const bytes = data as Buffer;
      frames?.push(new Int16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)));
      return;
    }
    const msg = JSON.parse(data.toString()) as { type: string; status?: string; name?: string; parameters?: Record<string, string> };
    told.push(msg);
    if (msg.type === 'start') listen = msg.parameters?.['listen'] === 'yes';
    if (msg.type === 'start') leave = msg.parameters?.['leave'] === 'yes';
    if (msg.type === 'consult' && msg.status === 'bridged') listened.push((frames = []));
    if (msg.type === 'start') ws.send(JSON.stringify({ type: 'consult', target: PERSON, whisper: SUMMARY }));
    if (msg.type === 'consult' && msg.status === 'answered' && whisper !== undefined) {
      ws.send(pcm16ToBytes(whisper.samples));
      ws.send(JSON.stringify({ type: 'mark', name: 'whisper-said' }));
    }
    if (msg.type === 'mark' && msg.name === 'whisper-said' && msg.status === 'played') {
      if (leave) ws.terminate(); // a crash: no close frame (1006)
      else ws.send(JSON.stringify(listen ? { type: 'bridge', listen: true } : { type: 'bridge' }));
    }
  });
}

beforeAll(async () => {
  agent = await startWsAgentServer(consultingAgent);
  personPort = await freePort('udp');
  dir = await mkdtemp(join(tmpdir(), 'patchbay-warm-'));
  whisper = await speechWav(join(dir, 'whisper.wav'), SUMMARY, { sampleRate: AUDIO_FORMAT.sampleRate, leadMs: 0, tailMs: 100 });
  const callerPath = join(dir, 'caller.wav');
  // The caller speaks once the person is through (the whisper takes about 3.5 s).
  callerMic = { path: callerPath, wav: await speechWav(callerPath, 'Hello, I would like to speak with someone about my order', { sampleRate: 8_000, leadMs: 5_000, tailMs: 200 }) };
  const personPath = join(dir, 'person.wav');
  personMic = { path: personPath, wav: await speechWav(personPath, 'Front desk, this is Maria speaking, how can I help', { sampleRate: 16_000, leadMs: 9_000, tailMs: 200 }) };
}, 60_000);

afterAll(async () => {
  await agent?.close();
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

describe.each([{ workers: 0 }, { workers: 2 }])('warm transfer (baresip as caller and person), media.workers $workers', ({ workers }) => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startTestGateway({
      media: { workers },
      // Callers from 127.0.0.1 come in on this trunk; its outbound side rings the person.
      trunks: [peopleTrunk(personPort)],
      // In media workers the agent stays listening after the bridge (`bridge{listen: true}`).
      numbers: {
        [NUMBER]: { agent: agent?.url ?? '', transfer: { allow: ['+1555'] }, parameters: workers > 0 ? { listen: 'yes' } : {} },
        [AGENT_LEAVES]: { agent: agent?.url ?? '', transfer: { allow: ['+1555'] }, parameters: { leave: 'yes' } },
      },
    });
  }, 60_000);
  afterAll(async () => {
    await gateway?.close();
  });

  it('the person hears the whisper, then the caller; the caller never hears the whisper (hold music meanwhile)', async () => {
    if (!callerMic || !personMic || !whisper) throw new Error('setup failed');
    const before = told.length;
    const { caller: callerResult, answerer: person } = await callAnswered({
      // The caller hangs up first: its BYE ends this leg (peer-hangup).
      answerer: { sipPort: personPort, user: PERSON, microphone: personMic.path, codecs: ['G722'], hangupAfterMs: 30_000, establishTimeoutMs: 20_000 },
      caller: { uri: `sip:${NUMBER}@127.0.0.1:${gateway.sipPort}`, microphone: callerMic.path, codecs: ['PCMU'], hangupAfterMs: 9_500, establishTimeoutMs: 15_000 },
    });
    expect(callerResult.established, describeCall(callerResult)).toBe(true);
    expect(person.established, describeCall(person)).toBe(true);
    if (!callerResult.heard || !person.heard) throw new Error('no recording');

    const whisperAtPerson = await measureEchoByUtterance(whisper, person.heard, { minLagMs: 0, maxLagMs: 4_000 });
    const callerAtPerson = await measureEchoByUtterance(callerMic.wav, person.heard, { minLagMs: -8_000, maxLagMs: 2_000 });
    // The whole whisper against the caller's recording at every lag: a 3 s sentence matches only itself.
    const whisperAtCaller = await wholeNcc(whisper, callerResult.heard, 0, 8_000);
    const whisperLag = whisperAtPerson[0]?.lagMs ?? 0;
    // Where the caller's speech starts in the person's recording: its lead (7 s in the caller's file) plus its lag.
    const callerAt = (callerAtPerson[0]?.startMs ?? 0) + (callerAtPerson[0]?.lagMs ?? 0);
    const heardWhisperByCaller = whisperAtCaller.ncc;
    console.log(`warm transfer (workers ${workers}): whisper at the person from ${whisperLag.toFixed(0)} ms (NCC ${weightedNcc(whisperAtPerson).toFixed(3)}); caller at the person from ${callerAt.toFixed(0)} ms (NCC ${weightedNcc(callerAtPerson).toFixed(3)}); whisper in the caller's recording: best NCC ${heardWhisperByCaller.toFixed(3)}`);
    expect(weightedNcc(whisperAtPerson), 'the person hears the whisper').toBeGreaterThanOrEqual(MIN_NCC);
    expect(weightedNcc(callerAtPerson), 'the person then hears the caller').toBeGreaterThanOrEqual(MIN_NCC);
    expect(callerAt).toBeGreaterThan(whisperLag);
    expect(heardWhisperByCaller, 'the caller never hears the whisper').toBeLessThan(0.3);
    // The same measure finds the whisper where it was played: the check above can fail.
    expect((await wholeNcc(whisper, person.heard, 0, 4_000)).ncc).toBeGreaterThanOrEqual(MIN_NCC);
    // Meanwhile the caller heard the hold chime (its first note, 523 Hz), not silence.
    const held = frameLevelsDbfs(bandLimit(toMono(await resampleWav(callerResult.heard, 8_000)), 8_000, 500, 550), 8_000, 20);
    expect(Math.max(...held.slice(0, 150)), 'hold music in the first 3 s').toBeGreaterThan(-45);

    const steps = told.slice(before).filter((m) => m.type === 'consult' || m.type === 'stop');
    expect(steps).toEqual([
      { type: 'consult', status: 'dialling', target: PERSON },
      { type: 'consult', status: 'answered', target: PERSON, whisper: SUMMARY },
      ...(workers > 0 ? [{ type: 'consult', status: 'bridged', target: PERSON }, { type: 'stop', reason: 'caller_hangup' }] : [{ type: 'stop', reason: 'transferred' }]),
    ]);
    if (workers > 0) {
      // Listening: the agent heard the caller after the bridge (and its own audio was not played to anyone).
      const heardByAgent: Wav = { sampleRate: AUDIO_FORMAT.sampleRate, channels: 1, samples: concat(listened.at(-1) ?? []) };
      const callerAtAgent = weightedNcc(await measureEchoByUtterance(callerMic.wav, heardByAgent, { minLagMs: -8_000, maxLagMs: 2_000 }));
      console.log(`warm transfer, listening agent: the caller in what it heard after the bridge, NCC ${callerAtAgent.toFixed(3)}`);
      expect(callerAtAgent, 'a listening agent hears the caller').toBeGreaterThanOrEqual(MIN_NCC);
    }

    const base = `http://127.0.0.1:${gateway.httpPort}`;
    await gateway.waitForIdle(5_000);
    type Summary = { id: string; direction: string; endReason: string | null; agent: { kind: string; target: string | null } };
    const list = async (): Promise<Summary[]> => ((await (await fetch(`${base}/v1/calls?number=${encodeURIComponent(NUMBER)}`)).json()) as { calls: Summary[] }).calls;
    await waitFor(async () => (await list()).filter((c) => c.endReason !== null).length >= 2, 5_000);
    const calls = await list();
    const inbound = calls.find((c) => c.direction === 'inbound');
    const leg = calls.find((c) => c.direction === 'outbound');
    expect(inbound).toMatchObject({ endReason: 'remote-bye', agent: { kind: 'bridge', target: leg?.id } });
    expect(leg).toMatchObject({ endReason: 'peer-hangup', agent: { kind: 'bridge', target: inbound?.id } });
    const detail = (await (await fetch(`${base}/v1/calls/${inbound?.id}`)).json()) as { timeline: { type: string; data: Record<string, unknown> }[] };
    expect(detail.timeline.filter((e) => e.type === 'consult').map((e) => e.data['status'])).toEqual(['dialling', 'answered', 'bridged']);
  }, 90_000);

  if (workers === 0) {
    it('the consulting agent crashes after the whisper: the person takes the caller (no bridge from the agent needed)', async () => {
      if (!callerMic || !personMic || !whisper) throw new Error('setup failed');
      const { caller: callerResult, answerer: person } = await callAnswered({
        answerer: { sipPort: personPort, user: PERSON, microphone: personMic.path, codecs: ['G722'], hangupAfterMs: 30_000, establishTimeoutMs: 20_000 },
        caller: { uri: `sip:${AGENT_LEAVES}@127.0.0.1:${gateway.sipPort}`, microphone: callerMic.path, codecs: ['PCMU'], hangupAfterMs: 13_500, establishTimeoutMs: 15_000 },
      });
      expect(callerResult.established, describeCall(callerResult)).toBe(true);
      expect(person.established, describeCall(person)).toBe(true);
      if (!callerResult.heard || !person.heard) throw new Error('no recording');
      const callerAtPerson = weightedNcc(await measureEchoByUtterance(callerMic.wav, person.heard, { minLagMs: -8_000, maxLagMs: 2_000 }));
      const personAtCaller = weightedNcc(await measureEchoByUtterance(personMic.wav, callerResult.heard, { minLagMs: -6_000, maxLagMs: 2_000 }));
      console.log(`warm transfer, agent crashed after the whisper: the caller at the person NCC ${callerAtPerson.toFixed(3)}, the person at the caller NCC ${personAtCaller.toFixed(3)}`);
      expect(callerAtPerson, 'the person hears the caller').toBeGreaterThanOrEqual(MIN_NCC);
      expect(personAtCaller, 'the caller hears the person').toBeGreaterThanOrEqual(MIN_NCC);

      const base = `http://127.0.0.1:${gateway.httpPort}`;
      await gateway.waitForIdle(5_000);
      type Summary = { id: string; direction: string; endReason: string | null; agent: { kind: string; target: string | null } };
      const list = async (): Promise<Summary[]> => ((await (await fetch(`${base}/v1/calls?number=${encodeURIComponent(AGENT_LEAVES)}`)).json()) as { calls: Summary[] }).calls;
      await waitFor(async () => (await list()).filter((c) => c.endReason !== null).length >= 2, 5_000);
      const inbound = (await list()).find((c) => c.direction === 'inbound');
      expect(inbound).toMatchObject({ endReason: 'remote-bye', agent: { kind: 'bridge' } });
      const detail = (await (await fetch(`${base}/v1/calls/${inbound?.id}`)).json()) as { timeline: { type: string; data: Record<string, unknown> }[] };
      expect(detail.timeline.filter((e) => e.type === 'consult').map((e) => [e.data['status'], e.data['reason']])).toEqual([['dialling', undefined], ['answered', undefined], ['bridged', 'agent-left']]);
    }, 90_000);
  }
});
