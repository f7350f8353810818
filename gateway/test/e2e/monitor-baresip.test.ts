/**
 * A supervisor on a live AI call, with real phones (docs/monitor.md). A caller (baresip, PCMU) talks to a WebSocket
 * agent that says one sentence; a supervisor (baresip, PCMA) is rung through the API (`POST /v1/calls/{id}/monitor`):
 *
 * - listen, then barge (`PATCH`): the supervisor hears the caller and the agent, mixed; once barging, both the
 *   caller and the agent hear the supervisor;
 * - whisper: the agent hears the supervisor, the caller never does.
 *
 * Each check is a correlation of what one side said with what another recorded (NCC ≥ 0.9), or its absence.
 */
import { AUDIO_FORMAT, pcm16ToBytes } from '@patchbay/agents';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { concat } from '../../src/media/audio/dsp-measure.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { speechWav, type Wav } from '../helpers/audio.js';
import { type BaresipCallResult, callAnswered, describeCall } from '../helpers/baresip.js';
import { measureEchoByUtterance, weightedNcc, wholeNcc } from '../helpers/correlation.js';
import { startTestGateway, waitFor, type TestGateway } from '../helpers/gateway.js';
import { freePort } from '../helpers/sipp.js';
import { startWsAgentServer, type WsAgentServer } from '../helpers/ws-agent-server.js';

const NUMBER = '+15550100810';
const SUPERVISOR = '+15551110030';
const MIN_NCC = 0.9;
const AGENT_SPEAKS_AT_MS = 3_500;

let agent: WsAgentServer | undefined;
/** Per call (by the start's callId): the caller audio the agent received, 24 kHz. */
const agentHeard = new Map<string, Int16Array[]>();
/** Per call: the supervisor's own stream the agent received (`supervisor_audio`), 24 kHz. */
const agentSupervisor = new Map<string, Int16Array[]>();
let agentSays: Wav | undefined;
let callerMic: { path: string; wav: Wav } | undefined;
let supervisorMic: { path: string; wav: Wav } | undefined;
/** The same sentence 1.5 s in: the whisper test needs no caller or agent speech before it. */
let whisperMic: { path: string; wav: Wav } | undefined;
let supervisorPort = 0;
let dir = '';

/** The agent: records what it hears; says its sentence 3.5 s after the start. */
function sayingAgent(ws: WebSocket): void {
  let frames: Int16Array[] | undefined;
  let callId: string | undefined;
  ws.on('message', (data, isBinary) => {
    if (isBinary) {
      const bytes = data as Buffer;
      frames?.push(new Int16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)));
      return;
    }
    const msg = JSON.parse(data.toString()) as { type: string; callId?: string; audio?: string };
    if (msg.type === 'supervisor_audio' && msg.audio !== undefined && callId !== undefined) {
      const bytes = Buffer.from(msg.audio, 'base64');
      agentSupervisor.get(callId)?.push(new Int16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)));
      return;
    }
    if (msg.type !== 'start' || msg.callId === undefined) return;
    callId = msg.callId;
    frames = [];
    agentHeard.set(msg.callId, frames);
    agentSupervisor.set(msg.callId, []);
    setTimeout(() => {
      if (agentSays !== undefined && ws.readyState === ws.OPEN) ws.send(pcm16ToBytes(agentSays.samples));
    }, AGENT_SPEAKS_AT_MS).unref();
  });
}

beforeAll(async () => {
  agent = await startWsAgentServer(sayingAgent);
  supervisorPort = await freePort('udp');
  dir = await mkdtemp(join(tmpdir(), 'patchbay-monitor-'));
  agentSays = await speechWav(join(dir, 'agent.wav'), 'Your table for two is booked for eight tonight', { sampleRate: AUDIO_FORMAT.sampleRate, leadMs: 0, tailMs: 100 });
  const callerPath = join(dir, 'caller.wav');
  callerMic = { path: callerPath, wav: await speechWav(callerPath, 'Hello, I would like to book a table please', { sampleRate: 8_000, leadMs: 800, tailMs: 200 }) };
  const supervisorPath = join(dir, 'supervisor.wav');
  // The supervisor speaks once the agent has spoken (about 7 s into their call).
  supervisorMic = { path: supervisorPath, wav: await speechWav(supervisorPath, 'This is the duty manager, we can also offer a window seat', { sampleRate: 8_000, leadMs: 6_500, tailMs: 200 }) };
  const whisperPath = join(dir, 'whisper.wav');
  whisperMic = { path: whisperPath, wav: await speechWav(whisperPath, 'This is the duty manager, we can also offer a window seat', { sampleRate: 8_000, leadMs: 1_500, tailMs: 200 }) };
}, 60_000);

afterAll(async () => {
  await agent?.close();
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

describe('a supervisor on an AI call (baresip as caller and supervisor)', () => {
  let gateway: TestGateway;
  let base = '';
  beforeAll(async () => {
    gateway = await startTestGateway({
      // In media workers: the supervisor's leg opens in the call's worker, and the monitor steps cross the thread.
      media: { workers: 2 },
      trunks: [{ name: 'supervisors', outbound: { proxy: { host: '127.0.0.1', port: supervisorPort }, allow: ['+1555'], codecs: ['PCMA'], callerId: { user: '+15550100001' } } }],
      numbers: { [NUMBER]: { agent: agent?.url ?? '', bargeIn: 'off' } },
    });
    base = `http://127.0.0.1:${gateway.httpPort}`;
  }, 60_000);
  afterAll(async () => {
    await gateway?.close();
  });

  const api = async (method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> => {
    const res = await fetch(`${base}${path}`, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? null : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, json: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
  };

  /** The caller dials; once the call is answered the supervisor is put on it in `mode`; `then` runs once they hear it. */
  async function monitoredCall(
    mode: 'listen' | 'whisper',
    then: (callId: string) => Promise<void>,
    o: { agentStream?: boolean; supervisor?: { path: string }; hangupAfterMs?: number } = {},
  ): Promise<{ caller: BaresipCallResult; supervisor: BaresipCallResult; callId: string }> {
    if (!callerMic || !supervisorMic) throw new Error('setup failed');
    const agentStream = o.agentStream === true;
    let callId = '';
    let control: Promise<void> | undefined;
    const { caller: heard, answerer: supervisor } = await callAnswered({
      // The caller hangs up first: the supervisor's leg ends with the call.
      answerer: { sipPort: supervisorPort, user: SUPERVISOR, microphone: (o.supervisor ?? supervisorMic).path, codecs: ['PCMA'], hangupAfterMs: 30_000, establishTimeoutMs: 20_000 },
      caller: { uri: `sip:${NUMBER}@127.0.0.1:${gateway.sipPort}`, microphone: callerMic.path, codecs: ['PCMU'], hangupAfterMs: o.hangupAfterMs ?? 13_000, establishTimeoutMs: 15_000 },
      onDialled: () => {
        control = (async () => {
          await waitFor(async () => {
            const calls = ((await api('GET', `/v1/calls?number=${encodeURIComponent(NUMBER)}&status=answered`)).json['calls'] ?? []) as { id: string }[];
            callId = calls[0]?.id ?? '';
            return callId !== '';
          }, 15_000, () => 'no answered call on the number (the caller gives up establishing after 15 s)');
          const started = await api('POST', `/v1/calls/${callId}/monitor`, { mode, to: SUPERVISOR, trunk: 'supervisors', agentStream });
          expect(started.status, JSON.stringify(started.json)).toBe(202);
          expect(started.json['monitor']).toMatchObject({ mode, state: 'ringing' });
          expect((await api('POST', `/v1/calls/${callId}/monitor`, { mode, to: SUPERVISOR, trunk: 'supervisors' })).json['code']).toBe('MONITOR_ACTIVE');
          await then(callId);
        })();
        // Awaited once both phones are done; until then a failure is held here, not thrown unhandled mid-call.
        control.catch(() => undefined);
      },
    });
    if (control === undefined) throw new Error('the caller never dialled');
    await control;
    expect(heard.established, describeCall(heard)).toBe(true);
    expect(supervisor.established, describeCall(supervisor)).toBe(true);
    return { caller: heard, supervisor, callId };
  }

  it('listen, then barge: the supervisor hears caller and agent mixed; barging, the caller and the agent hear the supervisor', async () => {
    if (!callerMic || !supervisorMic || !agentSays) throw new Error('setup failed');
    const { caller, supervisor, callId } = await monitoredCall('listen', async (id) => {
      // The agent has spoken (3.5 s after the answer, for 3 s): switch to barge before the supervisor speaks.
      await new Promise((r) => setTimeout(r, 6_000));
      const changed = await api('PATCH', `/v1/calls/${id}/monitor`, { mode: 'barge' });
      expect(changed.json['monitor']).toMatchObject({ mode: 'barge', state: 'on' });
    });
    if (!supervisor.heard || !caller.heard) throw new Error('no recording');
    const callerAtSupervisor = weightedNcc(await measureEchoByUtterance(callerMic.wav, supervisor.heard, { minLagMs: -2_000, maxLagMs: 2_000 }));
    // Each utterance on its own lag: a mix may shift by a packet between words (its queue settling), never inside one.
    const agentAtSupervisor = weightedNcc(await measureEchoByUtterance(agentSays, supervisor.heard, { minLagMs: 0, maxLagMs: 8_000 }));
    const spoken = trimLead(supervisorMic.wav, 6_400);
    const supervisorAtCaller = weightedNcc(await measureEchoByUtterance(spoken, caller.heard, { minLagMs: 0, maxLagMs: 14_000 }));
    const agentWav: Wav = { sampleRate: AUDIO_FORMAT.sampleRate, channels: 1, samples: concat(agentHeard.get(callId) ?? []) };
    const supervisorAtAgent = weightedNcc(await measureEchoByUtterance(spoken, agentWav, { minLagMs: 0, maxLagMs: 14_000 }));
    console.log(`monitor listen→barge: caller at the supervisor NCC ${callerAtSupervisor.toFixed(3)}; agent at the supervisor ${agentAtSupervisor.toFixed(3)}; supervisor at the caller ${supervisorAtCaller.toFixed(3)}, at the agent ${supervisorAtAgent.toFixed(3)}`);
    expect(callerAtSupervisor, 'the supervisor hears the caller').toBeGreaterThanOrEqual(MIN_NCC);
    expect(agentAtSupervisor, 'the supervisor hears the agent').toBeGreaterThanOrEqual(MIN_NCC);
    expect(supervisorAtCaller, 'barging: the caller hears the supervisor').toBeGreaterThanOrEqual(MIN_NCC);
    expect(supervisorAtAgent, 'barging: the agent hears the supervisor').toBeGreaterThanOrEqual(MIN_NCC);

    await gateway.waitForIdle(5_000);
    const detail = await api('GET', `/v1/calls/${callId}`);
    const steps = (detail.json['timeline'] as { type: string; data: Record<string, unknown> }[]).filter((e) => e.type === 'monitor').map((e) => [e.data['step'], e.data['mode']]);
    expect(steps).toEqual([['ringing', 'listen'], ['on', 'listen'], ['mode', 'barge']]);
  }, 90_000);

  it('whisper as the agent\'s own stream: the agent gets the supervisor apart from the caller; the caller never hears it', async () => {
    if (!whisperMic) throw new Error('setup failed');
    const { caller, callId } = await monitoredCall('whisper', async () => undefined, { agentStream: true, supervisor: whisperMic, hangupAfterMs: 7_500 });
    if (!caller.heard) throw new Error('no recording');
    const spoken = trimLead(whisperMic.wav, 1_400);
    const stream: Wav = { sampleRate: AUDIO_FORMAT.sampleRate, channels: 1, samples: concat(agentSupervisor.get(callId) ?? []) };
    const callerFrames: Wav = { sampleRate: AUDIO_FORMAT.sampleRate, channels: 1, samples: concat(agentHeard.get(callId) ?? []) };
    const inStream = weightedNcc(await measureEchoByUtterance(spoken, stream, { minLagMs: -1_000, maxLagMs: 12_000 }));
    // Absence: the whole sentence at every lag (a 3 s sentence matches only itself; the same measure finds it in the stream).
    const inCallerFrames = await wholeNcc(spoken, callerFrames, 0, 14_000);
    const atCaller = await wholeNcc(spoken, caller.heard, 0, 14_000);
    console.log(`monitor whisper (agent stream): supervisor in the agent's stream NCC ${inStream.toFixed(3)} (whole ${(await wholeNcc(spoken, stream, -1_000, 12_000)).ncc.toFixed(3)}); in its caller audio ${inCallerFrames.ncc.toFixed(3)}; at the caller ${atCaller.ncc.toFixed(3)}`);
    expect(inStream, 'the agent gets the whisper as its own stream').toBeGreaterThanOrEqual(MIN_NCC);
    expect(inCallerFrames.ncc, 'not mixed into the caller audio it gets').toBeLessThan(0.3);
    expect(atCaller.ncc, 'the caller never hears the whisper').toBeLessThan(0.3);
  }, 90_000);
});


/** The speech of a microphone file without its leading silence. */
function trimLead(wav: Wav, ms: number): Wav {
  return { ...wav, samples: wav.samples.subarray(Math.round((ms * wav.sampleRate) / 1000)) };
}


