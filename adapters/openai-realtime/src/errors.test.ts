/** Failures of the Realtime side end the call with a clear reason; expected races and recoverable errors do not. */
import { afterEach, describe, expect, it } from 'vitest';
import type { AudioFormat } from '@patchbay/agents';
import { adapter } from './index.js';
import { realtimeOptions } from './options.js';
import { FakeCall, FakeRealtimeServer, until } from './testing/index.js';
import { nextEvent, nextMessage, placeCall, recordingLogger, startCall, type LogLine } from './testing/adapter-harness.js';

const servers: FakeRealtimeServer[] = [];
const calls: FakeCall[] = [];

afterEach(async () => {
  for (const call of calls.splice(0)) call.close();
  for (const server of servers.splice(0)) await server.close();
});

async function server(options: Parameters<typeof FakeRealtimeServer.start>[0] = {}) {
  const fake = await FakeRealtimeServer.start({ realtimeFactor: Number.POSITIVE_INFINITY, script: () => [], ...options });
  servers.push(fake);
  return fake;
}

describe('errors', () => {
  it('a refused session.update (bad voice) → hangup{agent_error}, the API message logged', async () => {
    const fake = await server({ rejectSessionUpdate: { code: 'invalid_value', message: "Invalid value: 'robot'.", param: 'session.audio.output.voice' } });
    const { call, logs } = await placeCall(fake, { voice: 'robot' });
    calls.push(call);
    expect(await nextMessage(call, 'hangup')).toEqual({ type: 'hangup', reason: 'agent_error' });
    expect(logs.find((l) => l.level === 'error')?.obj).toMatchObject({
      code: 'REALTIME_SESSION_REFUSED',
      apiCode: 'invalid_value',
      param: 'session.audio.output.voice',
    });
  });

  it('the API closing the socket mid-call → hangup{agent_error} (once)', async () => {
    const fake = await server();
    const { call, session } = await placeCall(fake);
    calls.push(call);
    await nextEvent(session, 'session.update');
    session.closeSocket(1011, 'internal error');
    expect(await nextMessage(call, 'hangup')).toEqual({ type: 'hangup', reason: 'agent_error' });
    call.sendAudio(new Int16Array(480)); // audio after the failure goes nowhere, and throws nothing
    expect(call.messagesOf('hangup')).toHaveLength(1);
    expect(call.faults).toEqual([]);
  });

  it('a wrong API key (upgrade refused 401) → hangup{agent_error}', async () => {
    const fake = await server({ apiKey: 'sk-right' });
    const { call, logs } = startCall(fake);
    calls.push(call);
    expect(await nextMessage(call, 'hangup')).toEqual({ type: 'hangup', reason: 'agent_error' });
    expect(fake.connections.at(-1)?.status).toBe(401);
    expect(JSON.stringify(logs)).toContain('401');
    expect(JSON.stringify(logs)).not.toContain('sk-test'); // the key is never logged
  });

  it('closing while still connecting is quiet: no hangup, no fault, the attempt abandoned', async () => {
    const fake = await server();
    const { call, logs } = startCall(fake);
    call.close();
    await until(() => fake.connections.length === 1 || logs.some((l) => l.msg === 'realtime session closed'), 2_000);
    expect(call.messagesOf('hangup')).toEqual([]);
    expect(call.faults).toEqual([]);
    expect(logs.filter((l) => l.level === 'error')).toEqual([]);
  });

  it('a call whose audio is not PCM16 24 kHz is hung up at once', async () => {
    const fake = await server();
    const logs: LogLine[] = [];
    const agent = adapter.create(realtimeOptions.parse({ baseUrl: fake.url }), { env: { OPENAI_API_KEY: 'sk-test' }, logger: recordingLogger(logs) });
    const audio = { encoding: 'pcm16', sampleRate: 16_000, channels: 1, frameMs: 20 } as unknown as AudioFormat;
    const call = new FakeCall(agent, { audio });
    calls.push(call);
    expect(await nextMessage(call, 'hangup')).toEqual({ type: 'hangup', reason: 'agent_error' });
    expect(fake.connections).toEqual([]);
    expect(logs[0]?.obj).toMatchObject({ code: 'REALTIME_BAD_AUDIO_FORMAT' });
  });

  it('nothing listening → hangup{agent_error}', async () => {
    const fake = await server();
    const url = fake.url;
    await fake.close();
    servers.length = 0;
    const { call } = startCall({ url } as FakeRealtimeServer);
    calls.push(call);
    expect(await nextMessage(call, 'hangup')).toEqual({ type: 'hangup', reason: 'agent_error' });
  });

  it('recoverable API errors are logged and the call goes on', async () => {
    const fake = await server();
    const { call, session, logs } = await placeCall(fake, { dtmfFlushMs: 0 });
    calls.push(call);
    await nextEvent(session, 'session.update');
    session.sendError('response_cancel_not_active', 'Cancellation failed: no active response found');
    session.sendError('rate_limit_exceeded', 'slow down', undefined, 'server_error');
    call.send({ type: 'dtmf', digit: '9', durationMs: 80, source: 'rfc4733' });
    await nextEvent(session, 'response.create');
    await until(() => logs.some((l) => l.level === 'warn' && JSON.stringify(l.obj).includes('rate_limit_exceeded')), 2_000);
    expect(logs.filter((l) => l.level === 'warn' && JSON.stringify(l.obj).includes('response_cancel_not_active'))).toEqual([]);
    expect(call.messagesOf('hangup')).toEqual([]);
  });

  it('audio of a call whose session failed is not forwarded', async () => {
    const fake = await server({ script: () => [{ type: 'audio', ms: 500 }] });
    const { call, session } = await placeCall(fake, { greeting: 'Hi.' });
    calls.push(call);
    await nextMessage(call, 'mark');
    session.closeSocket(1011, 'gone');
    await nextMessage(call, 'hangup');
    expect(call.receivedMs).toBe(500);
  });
});
