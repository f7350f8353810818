/**
 * Agent failover mid-call, with real phones (docs/forwarding.md §Failover). A caller (baresip, PCMU) calls a number
 * whose agent fails after the answer, and whose `forward` rings a person (baresip, G.722) `when: agent-unavailable`:
 *
 * - an agent that dies 5 s into the call (its socket drops without a close frame): the caller's recording holds the
 *   agent's tone until then, "One moment, please." within 1 s of its end, then the person's voice; the re-dialled
 *   agent got `start.resume` (its transcript, what the caller heard of the last turn) and died too;
 * - an openai-realtime adapter whose provider cannot be reached (it hangs up `agent_error` at once): the prompt
 *   within 1 s of the answer, then the person.
 *
 * The call's record shows each step: agent-failed, agent-redial, agent-failed, forward.
 */
import { AUDIO_FORMAT, loadDemoPrompts, pcm16ToBytes } from '@patchbay/agents';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { bandLimit, frameLevelsDbfs, resampleWav, speechWav, toMono, type Wav } from '../helpers/audio.js';
import { type BaresipCallResult, callAnswered, describeCall } from '../helpers/baresip.js';
import { measureEchoByUtterance, weightedNcc } from '../helpers/correlation.js';
import { peopleTrunk } from '../helpers/forwarding-phones.js';
import { startTestGateway, waitFor, type TestGateway } from '../helpers/gateway.js';
import { freePort } from '../helpers/sipp.js';
import { startWsAgentServer, type WsAgentServer } from '../helpers/ws-agent-server.js';

const DIES = '+15550100790';
const PROVIDER_DOWN = '+15550100791';
const PERSON = '+15551110009';
const TONE_HZ = 1_000;
const DIES_AFTER_MS = 5_000;
const MIN_NCC = 0.9;

/** 100 ms of a 1 kHz tone at about −12 dBFS, 24 kHz. */
function toneChunk(phase: { at: number }): Int16Array {
  const out = new Int16Array(2_400);
  for (let i = 0; i < out.length; i++, phase.at++) out[i] = Math.round(8_000 * Math.sin((2 * Math.PI * TONE_HZ * phase.at) / AUDIO_FORMAT.sampleRate));
  return out;
}

let agent: WsAgentServer | undefined;
/** Every `start` the agent got, in order. */
const starts: { resume?: { attempt: number; cause: string; transcript: { role: string; text: string }[]; playedMs: number } }[] = [];
let personPort = 0;
let closedPort = 0;
let dir = '';
let personMic: { path: string; wav: Wav } | undefined;
let callerMic: { path: string; wav: Wav } | undefined;

/**
 * The dying agent: says a transcript line and plays a tone in real time (100 ms chunks, 200 ms ahead); 5 s after its
 * `start` its TCP connection is destroyed (no close frame: 1006 at the gateway). A re-dial (`start.resume`) dies too,
 * 200 ms in, so the chain moves on to the person.
 */
function dyingAgent(ws: WebSocket): void {
  ws.on('message', (data, isBinary) => {
    if (isBinary) return;
    const msg = JSON.parse(data.toString()) as { type: string; resume?: (typeof starts)[number]['resume'] };
    if (msg.type !== 'start') return;
    starts.push(msg.resume === undefined ? {} : { resume: msg.resume });
    if (msg.resume !== undefined) {
      setTimeout(() => ws.terminate(), 200);
      return;
    }
    ws.send(JSON.stringify({ type: 'transcript', role: 'agent', text: 'Thanks for calling Acme plumbing.', final: true }));
    const phase = { at: 0 };
    const began = performance.now();
    let sentMs = 0;
    const timer = setInterval(() => {
      const elapsed = performance.now() - began;
      if (elapsed >= DIES_AFTER_MS) {
        clearInterval(timer);
        ws.terminate();
        return;
      }
      while (sentMs < elapsed + 200) {
        ws.send(pcm16ToBytes(toneChunk(phase)));
        sentMs += 100;
      }
    }, 20);
    ws.on('close', () => clearInterval(timer));
  });
}

beforeAll(async () => {
  agent = await startWsAgentServer(dyingAgent);
  personPort = await freePort('udp');
  closedPort = await freePort('tcp');
  dir = await mkdtemp(join(tmpdir(), 'patchbay-failover-'));
  const personPath = join(dir, 'person.wav');
  personMic = { path: personPath, wav: await speechWav(personPath, 'Front desk, this is Maria speaking, how can I help', { sampleRate: 16_000, leadMs: 800, tailMs: 200 }) };
  const callerPath = join(dir, 'caller.wav');
  // The caller stays quiet (the person hearing the caller across a bridge is forwarding-baresip.test.ts's to show).
  callerMic = { path: callerPath, wav: await speechWav(callerPath, 'Hello', { sampleRate: 8_000, leadMs: 12_000, tailMs: 200 }) };
}, 60_000);

afterAll(async () => {
  await agent?.close();
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

function failoverGateway(workers: number): Promise<TestGateway> {
  const forward = { to: [{ to: PERSON, trunk: 'people' }], when: 'agent-unavailable', ringTimeoutS: 10 };
  return startTestGateway(
    {
      media: { workers },
      trunks: [peopleTrunk(personPort)],
      numbers: {
        [DIES]: { agent: agent?.url ?? '', forward },
        // Nothing listens at the provider's address: the adapter hangs up `agent_error` right after it starts.
        [PROVIDER_DOWN]: { agent: { adapter: 'openai-realtime', baseUrl: `ws://127.0.0.1:${closedPort}`, apiKeyEnv: 'OPENAI_API_KEY' }, forward },
      },
    },
    { env: { OPENAI_API_KEY: 'sk-test' } },
  );
}

/** The person (baresip, G.722) listens and answers; the caller (baresip, PCMU) dials `number` once it does. */
async function callThroughFailover(gateway: TestGateway, number: string, hangupAfterMs: number): Promise<{ caller: BaresipCallResult; person: BaresipCallResult; heard: Wav }> {
  if (!personMic || !callerMic) throw new Error('setup failed');
  const { caller: heard, answerer: person } = await callAnswered({
    answerer: { sipPort: personPort, user: PERSON, microphone: personMic.path, codecs: ['G722'], hangupAfterMs: 30_000, establishTimeoutMs: 30_000 }, // the caller hangs up first
    caller: { uri: `sip:${number}@127.0.0.1:${gateway.sipPort}`, microphone: callerMic.path, codecs: ['PCMU'], hangupAfterMs, establishTimeoutMs: 15_000 },
  });
  expect(heard.established, describeCall(heard)).toBe(true);
  expect(person.established, describeCall(person)).toBe(true);
  if (!heard.heard) throw new Error('no recording');
  return { caller: heard, person, heard: heard.heard };
}

/** Where "One moment, please." starts in what the caller heard (ms), searched in [fromMs, toMs]; with its NCC. */
async function promptOnset(heard: Wav, fromMs: number, toMs: number): Promise<{ atMs: number; ncc: number }> {
  const prompt: Wav = { sampleRate: AUDIO_FORMAT.sampleRate, channels: 1, samples: loadDemoPrompts()['one-moment'] };
  const [first] = await measureEchoByUtterance(prompt, heard, { minLagMs: fromMs, maxLagMs: toMs });
  if (first === undefined) throw new Error('the prompt has no utterance');
  return { atMs: first.startMs + first.lagMs, ncc: first.ncc };
}

/** Where the agent's 1 kHz tone stops in what the caller heard (ms): its band level falls 20 dB below its own. */
async function toneEndMs(heard: Wav): Promise<{ startMs: number; endMs: number }> {
  const samples = toMono(await resampleWav(heard, 8_000));
  const levels = frameLevelsDbfs(bandLimit(samples, 8_000, TONE_HZ - 60, TONE_HZ + 60), 8_000, 20);
  const loud = Math.max(...levels.slice(0, 250));
  const start = levels.findIndex((l) => l > loud - 6);
  let end = start;
  while (end < levels.length && (levels[end] ?? -200) > loud - 20) end++;
  return { startMs: start * 20, endMs: end * 20 };
}

interface Detail {
  id: string;
  agent: { kind: string; target: string | null };
  endReason: string;
  timeline: { type: string; data: Record<string, unknown> }[];
}

async function record(gateway: TestGateway, number: string): Promise<Detail> {
  const base = `http://127.0.0.1:${gateway.httpPort}`;
  await gateway.waitForIdle(5_000);
  const list = async (): Promise<{ id: string; direction: string; endReason: string | null }[]> =>
    ((await (await fetch(`${base}/v1/calls?number=${encodeURIComponent(number)}`)).json()) as { calls: { id: string; direction: string; endReason: string | null }[] }).calls;
  await waitFor(async () => (await list()).filter((c) => c.endReason !== null).length >= 2, 5_000);
  const inbound = (await list()).find((c) => c.direction === 'inbound');
  if (inbound === undefined) throw new Error('no inbound call');
  return (await (await fetch(`${base}/v1/calls/${inbound.id}`)).json()) as Detail;
}

const steps = (d: Detail): unknown[] =>
  d.timeline.filter((e) => ['agent-failed', 'agent-redial', 'forward'].includes(e.type)).map((e) => [e.type, e.data['cause'] ?? e.data['outcome']]);

describe.each([{ workers: 0 }, { workers: 2 }])('agent failover mid-call (baresip as caller and person), media.workers $workers', ({ workers }) => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await failoverGateway(workers);
  }, 60_000);
  afterAll(async () => {
    await gateway?.close();
  });

  it('an agent that dies 5 s in: the caller hears "one moment" within 1 s, then the person; the re-dial got start.resume', async () => {
    if (!personMic || !callerMic) throw new Error('setup failed');
    const before = starts.length;
    const { heard } = await callThroughFailover(gateway, DIES, 11_000);

    const tone = await toneEndMs(heard);
    const prompt = await promptOnset(heard, tone.endMs - 500, tone.endMs + 3_000);
    const toCaller = await measureEchoByUtterance(personMic.wav, heard, { minLagMs: prompt.atMs, maxLagMs: prompt.atMs + 9_000 });
    const personNcc = weightedNcc(toCaller);
    console.log(`failover (workers ${workers}): tone ${tone.startMs}–${tone.endMs} ms; prompt at ${prompt.atMs.toFixed(0)} ms (NCC ${prompt.ncc.toFixed(3)}); person from ${toCaller[0]?.lagMs.toFixed(0)} ms (NCC ${personNcc.toFixed(3)})`);
    expect(tone.endMs - tone.startMs, 'the agent played until it died').toBeGreaterThan(DIES_AFTER_MS - 800);
    expect(prompt.ncc, 'the caller heard the prompt').toBeGreaterThanOrEqual(MIN_NCC);
    expect(prompt.atMs - tone.endMs, 'the prompt within 1 s of the agent\'s end').toBeLessThanOrEqual(1_000);
    expect(prompt.atMs - tone.endMs).toBeGreaterThanOrEqual(-60);
    expect(personNcc, 'the caller hears the person after the prompt').toBeGreaterThanOrEqual(MIN_NCC);
    expect(toCaller[0]?.lagMs ?? 0).toBeGreaterThan(prompt.atMs);

    // The re-dialled agent was told where the call stood.
    const redial = starts.slice(before).find((s) => s.resume !== undefined);
    expect(redial?.resume).toMatchObject({ attempt: 1, cause: 'agent-dropped', transcript: [{ role: 'agent', text: 'Thanks for calling Acme plumbing.' }] });
    expect(redial?.resume?.playedMs ?? 0).toBeGreaterThan(DIES_AFTER_MS - 1_000);

    const detail = await record(gateway, DIES);
    expect(steps(detail)).toEqual([['agent-failed', 'agent-dropped'], ['agent-redial', 'connected'], ['agent-failed', 'agent-dropped'], ['forward', 'answered']]);
    expect(detail.agent.kind).toBe('bridge');
    expect(detail.endReason).toBe('remote-bye');
  }, 90_000);

  if (workers === 0) {
    it('a provider that cannot be reached: "one moment" within 1 s of the answer, then the person (not a 60 ms hang-up)', async () => {
      if (!personMic) throw new Error('setup failed');
      const { heard } = await callThroughFailover(gateway, PROVIDER_DOWN, 9_000);
      const prompt = await promptOnset(heard, 0, 2_500);
      const toCaller = await measureEchoByUtterance(personMic.wav, heard, { minLagMs: prompt.atMs, maxLagMs: prompt.atMs + 8_000 });
      console.log(`provider down: prompt at ${prompt.atMs.toFixed(0)} ms (NCC ${prompt.ncc.toFixed(3)}); person from ${toCaller[0]?.lagMs.toFixed(0)} ms (NCC ${weightedNcc(toCaller).toFixed(3)})`);
      expect(prompt.ncc).toBeGreaterThanOrEqual(MIN_NCC);
      expect(prompt.atMs, 'the prompt within 1 s of the answer').toBeLessThanOrEqual(1_000);
      expect(weightedNcc(toCaller)).toBeGreaterThanOrEqual(MIN_NCC);
      const detail = await record(gateway, PROVIDER_DOWN);
      expect(steps(detail)).toEqual([['agent-failed', 'agent-error'], ['agent-redial', 'connected'], ['agent-failed', 'agent-error'], ['forward', 'answered']]);
      expect(detail.endReason).toBe('remote-bye');
    }, 90_000);
  }
});

