/**
 * The session against the fake Realtime server through the real SDK: connection, session.update, audio both ways,
 * stage timing, DTMF, lifecycle.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FakeRealtimeServer, tone, until, type FakeCall } from './testing/index.js';
import { RESUME_NOTE, RETURN_NOTE } from '@patchbay/adapter-kit';
import { frames, nextEvent, nextMessage, placeCall, startCall } from './testing/adapter-harness.js';

let fake: FakeRealtimeServer;
const live: FakeCall[] = [];

beforeAll(async () => {
  fake = await FakeRealtimeServer.start({ realtimeFactor: Number.POSITIVE_INFINITY });
});
afterEach(() => {
  for (const call of live.splice(0)) call.close();
  fake.script = () => [{ type: 'audio', ms: 1_000 }];
});
afterAll(async () => {
  await fake.close();
});

async function place(options: Parameters<typeof placeCall>[1] = {}) {
  const h = await placeCall(fake, options);
  live.push(h.call);
  return h;
}

/** A call whose first frames are sent before its socket can be open (same tick as its creation). */
async function placeSending(early: readonly Int16Array[]) {
  const index = fake.sessions.length;
  const { call, logs } = startCall(fake);
  live.push(call);
  for (const frame of early) call.sendAudio(frame);
  return { call, logs, session: await fake.session(index) };
}

/** Deterministic noise (LCG), so byte-exact checks mean something. */
function noise(samples: number, seed = 1): Int16Array {
  const out = new Int16Array(samples);
  let x = seed;
  for (let i = 0; i < samples; i++) {
    x = (x * 1_103_515_245 + 12_345) >>> 0;
    out[i] = ((x >>> 16) & 0xffff) - 32_768;
  }
  return out;
}

describe('openai-realtime session', () => {
  it('dials /v1/realtime?model= with the bearer key, then configures the session: PCM 24 kHz both ways, voice, instructions, VAD, tools', async () => {
    const { session } = await place({ voice: 'marin', instructions: 'You are the front desk.', turnDetection: { silenceDurationMs: 400 } });
    const update = await nextEvent(session, 'session.update');
    expect(fake.connections.at(-1)).toEqual({ path: '/v1/realtime', model: 'gpt-realtime', authorization: 'Bearer sk-test', status: 101 });
    expect(update['session']).toMatchObject({
      type: 'realtime',
      model: 'gpt-realtime',
      output_modalities: ['audio'],
      instructions: 'You are the front desk.',
      audio: {
        input: {
          format: { type: 'audio/pcm', rate: 24000 },
          turn_detection: { type: 'server_vad', create_response: true, interrupt_response: false, silence_duration_ms: 400 },
        },
        output: { format: { type: 'audio/pcm', rate: 24000 }, voice: 'marin' },
      },
      tool_choice: 'auto',
    });
    const tools = (update['session'] as { tools: { name: string }[] }).tools.map((t) => t.name);
    expect(tools).toEqual(['end_call', 'send_dtmf']); // transfer_call only with transferTargets
    expect(session.eventsOf('response.create')).toEqual([]); // no greeting configured: the caller speaks first
  });

  it('semantic_vad, agent barge-in, transfer targets and transcription reach the session config', async () => {
    const { session } = await place({
      bargeIn: 'agent',
      turnDetection: { type: 'semantic_vad', eagerness: 'high' },
      transferTargets: { sales: '+15550109999', desk: 'sip:desk@pbx.example' },
      inputTranscription: { model: 'gpt-4o-mini-transcribe' },
      tools: { sendDtmf: false },
    });
    const update = await nextEvent(session, 'session.update');
    const config = update['session'] as { audio: { input: Record<string, unknown> }; tools: { name: string; parameters: unknown }[] };
    expect(config.audio.input['turn_detection']).toEqual({ type: 'semantic_vad', create_response: true, interrupt_response: true, eagerness: 'high' });
    expect(config.audio.input['transcription']).toEqual({ model: 'gpt-4o-mini-transcribe' });
    expect(config.tools.map((t) => t.name)).toEqual(['end_call', 'transfer_call', 'warm_transfer']);
    expect(config.tools[1]?.parameters).toMatchObject({ properties: { target: { enum: ['sales', 'desk'] } } });
  });

  it('passes caller audio unchanged (byte-exact), including frames sent before the socket opened', async () => {
    const pcm = noise(480 * 50);
    const sent = frames(pcm);
    const { call, session } = await placeSending(sent.slice(0, 10)); // queued: the socket cannot be open yet
    await nextEvent(session, 'session.update');
    for (const frame of sent.slice(10)) call.sendAudio(frame);
    await until(() => session.inputAudio().length >= pcm.length, 3_000, () => `${session.inputAudio().length} samples`);
    expect(session.inputAudio()).toEqual(pcm);
    // The configuration came first, then the audio.
    expect(session.events.findIndex((e) => e.event.type === 'session.update')).toBe(0);
  });

  it('drops the oldest caller frames beyond 2 s while connecting', async () => {
    const sent = frames(noise(480 * 150, 7));
    const { session } = await placeSending(sent);
    await until(() => session.inputAudio().length >= 480 * 100, 3_000);
    await nextEvent(session, 'session.update');
    const got = session.inputAudio();
    expect(got.length).toBe(480 * 100);
    expect(got.subarray(0, 480)).toEqual(sent[50]);
  });

  it('greets first: response.create with the greeting after the instructions; its audio reaches the caller unchanged, then a mark', async () => {
    fake.script = () => [{ type: 'audio', ms: 1_230, hz: 440 }];
    const { call, session } = await place({ instructions: 'Persona.', greeting: 'Greet the caller.' });
    const create = await nextEvent(session, 'response.create');
    expect(create['response']).toEqual({ instructions: 'Persona.\n\nGreet the caller.' });
    const mark = await nextMessage(call, 'mark');
    expect(mark.name).toBe('response-1');
    expect(call.receivedAudio()).toEqual(tone(1_230, 440));
    // The mark came after all the audio: nothing was sent after it.
    const markAt = call.messages.findIndex((m) => m.msg.type === 'mark');
    expect(markAt).toBeGreaterThanOrEqual(0);
    expect(call.receivedMs).toBe(1_230);
  });

  it.each([
    ['its agent failed', 'agent-dropped', RESUME_NOTE],
    ['its person hung up', 'person-hangup', RETURN_NOTE],
  ] as const)('picks up a call whose %s (start.resume): the transcript goes back in, the note for its cause, an answer at once, no greeting', async (_what, cause, note) => {
    fake.script = () => [{ type: 'audio', ms: 400, hz: 440 }];
    const index = fake.sessions.length;
    const resume = { attempt: 1, cause, transcript: [{ role: 'agent' as const, text: 'Acme plumbing, how can I help?' }, { role: 'caller' as const, text: 'My sink is leaking.' }], playedMs: 2_100 };
    const { call } = startCall(fake, { greeting: 'Greet the caller.' }, undefined, { resume });
    live.push(call);
    const session = await fake.session(index);
    const create = await nextEvent(session, 'response.create');
    expect(create['response']).toBeUndefined(); // not the greeting's instructions
    const items = session.eventsOf('conversation.item.create').map((e) => e['item']);
    expect(items).toEqual([
      { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Acme plumbing, how can I help?' }] },
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'My sink is leaking.' }] },
      { type: 'message', role: 'system', content: [{ type: 'input_text', text: note }] },
    ]);
    await nextMessage(call, 'mark'); // its answer played
    expect(call.receivedMs).toBe(400);
  });

  it("reports stage{realtime}: the caller's end of speech → the first answer audio", async () => {
    fake.script = () => [{ type: 'audio', ms: 300 }];
    const { call, session } = await place({ turnDetection: { silenceDurationMs: 200 } });
    await nextEvent(session, 'session.update');
    call.send({ type: 'speech_started', atMs: 0 });
    for (const frame of frames(tone(400, 300, -20))) call.sendAudio(frame);
    const stoppedAt = performance.now();
    call.send({ type: 'speech_stopped', atMs: 400 });
    for (const frame of frames(new Int16Array(480 * 15))) call.sendAudio(frame);
    const stage = await nextMessage(call, 'stage');
    const sentAt = call.messages.find((m) => m.msg.type === 'stage')?.atMs ?? 0;
    expect(stage.stage).toBe('realtime');
    expect(Math.abs(stage.ms - (sentAt - stoppedAt))).toBeLessThanOrEqual(2);
    // Once per answer: the same answer's later audio does not report again.
    await nextMessage(call, 'mark');
    expect(call.messagesOf('stage')).toHaveLength(1);
    expect(session.responses[0]?.trigger).toBe('vad');
  });

  it('tells the model which keys the caller pressed, one message per burst (# at once), and asks it to answer', async () => {
    fake.script = () => [];
    const { call, session } = await place({ dtmfFlushMs: 100 });
    await nextEvent(session, 'session.update');
    for (const digit of ['1', '2', '#']) call.send({ type: 'dtmf', digit, durationMs: 100, source: 'rfc4733' });
    const item = await nextEvent(session, 'conversation.item.create');
    expect(item['item']).toEqual({ type: 'message', role: 'user', content: [{ type: 'input_text', text: '[The caller pressed keypad keys: 1 2 #]' }] });
    await nextEvent(session, 'response.create');
    call.send({ type: 'dtmf', digit: '5', durationMs: 100, source: 'sip-info' });
    await until(() => session.eventsOf('conversation.item.create').length === 2, 2_000);
    expect(JSON.stringify(session.eventsOf('conversation.item.create')[1])).toContain('keys: 5]');
  });

  it('a response asked for while one is in progress waits for its response.done (one at a time)', async () => {
    fake.script = ({ index }) => (index === 0 ? [{ type: 'audio', ms: 200 }] : []);
    const slow = await FakeRealtimeServer.start({ realtimeFactor: 1, chunkMs: 50, script: fake.script });
    try {
      const h = await placeCall(slow, { greeting: 'Hello.', dtmfFlushMs: 0 });
      live.push(h.call);
      await until(() => h.call.receivedMs > 0, 3_000);
      h.call.send({ type: 'dtmf', digit: '7', durationMs: 100, source: 'rfc4733' });
      await until(() => h.session.responses.length === 2, 3_000);
      const creates = h.session.events.filter((e) => e.event.type === 'response.create');
      expect(creates).toHaveLength(2);
      expect(h.session.errorsSent).toEqual([]);
      // The second create was sent only after the first response was done.
      const firstDone = h.session.responses[0];
      expect(firstDone?.status).toBe('completed');
    } finally {
      await slow.close();
    }
  });

  it('close() closes the socket, is idempotent, and the call signal closes it too', async () => {
    const a = await place();
    await nextEvent(a.session, 'session.update');
    a.call.close();
    a.call.close();
    await until(() => a.session.isClosed, 2_000);
    expect(a.call.faults).toEqual([]);
    expect(a.logs.filter((l) => l.msg === 'realtime session closed')).toHaveLength(1);
  });

  it('never logs transcripts or prompts above debug level', async () => {
    fake.script = () => [{ type: 'audio', ms: 200, transcript: 'SECRET-TRANSCRIPT' }];
    const { call, logs } = await place({ instructions: 'SECRET-PROMPT', greeting: 'SECRET-GREETING' });
    await nextMessage(call, 'mark');
    call.close();
    const loud = JSON.stringify(logs.filter((l) => l.level !== 'debug'));
    expect(loud).not.toContain('SECRET');
    expect(JSON.stringify(logs)).toContain('SECRET-TRANSCRIPT'); // it is there, at debug
  });
});
