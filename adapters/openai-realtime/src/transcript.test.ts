/**
 * Transcript lines against the fake Realtime server through the real SDK: the caller's turns from the API's input
 * transcription, the model's answers from its audio transcripts, in the order said, exactly as sent to the gateway.
 */
import type { TranscriptMessage } from '@patchbay/agents';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeRealtimeServer, tone, until, type FakeCall, type FakeRealtimeServerOptions } from './testing/index.js';
import { frames, nextEvent, nextMessage, placeCall } from './testing/adapter-harness.js';

const servers: FakeRealtimeServer[] = [];
const calls: FakeCall[] = [];

afterEach(async () => {
  for (const call of calls.splice(0)) call.close();
  for (const server of servers.splice(0)) await server.close();
});

async function setup(server: FakeRealtimeServerOptions, options: Parameters<typeof placeCall>[1] = {}) {
  const fake = await FakeRealtimeServer.start({ realtimeFactor: Number.POSITIVE_INFINITY, ...server });
  servers.push(fake);
  const h = await placeCall(fake, { greeting: 'Greet the caller.', turnDetection: { silenceDurationMs: 200 }, ...options });
  calls.push(h.call);
  return { fake, ...h };
}

/** The caller says something: 300 ms of voice, then the silence that ends the fake server's turn. */
function speak(call: FakeCall): void {
  for (const frame of frames(tone(300, 300, -20))) call.sendAudio(frame);
  for (const frame of frames(new Int16Array(24 * 400))) call.sendAudio(frame);
}

const line = (role: 'caller' | 'agent', text: string, final = true): TranscriptMessage => ({ type: 'transcript', role, text, final });

async function lines(call: FakeCall, count: number, timeoutMs = 3_000): Promise<TranscriptMessage[]> {
  await until(() => call.messagesOf('transcript').length >= count, timeoutMs, () => JSON.stringify(call.messagesOf('transcript')));
  return call.messagesOf('transcript');
}

const ANSWERS = ['Welcome to the bistro, how can I help?', 'For what time?', 'Eight it is. See you then!'];

describe('transcript lines (openai-realtime)', () => {
  it('a scripted conversation: greeting, two caller turns and their answers, in the order said; the input transcription is asked for', async () => {
    const { call, session } = await setup({
      script: ({ index }) => [{ type: 'audio', ms: 300, transcript: ANSWERS[index] ?? '' }],
      // The first turn's transcription completes well after the model's answer to it (the API allows it).
      callerTranscript: (turn) => [{ text: 'A table for two, please.', delayMs: 300 }, { text: 'At eight.' }][turn],
    });
    const update = await nextEvent(session, 'session.update');
    expect((update['session'] as { audio: { input: Record<string, unknown> } }).audio.input['transcription']).toEqual({ model: 'gpt-4o-mini-transcribe' });
    expect(await lines(call, 1)).toEqual([line('agent', ANSWERS[0] ?? '')]);

    speak(call);
    // The answer is done (its mark follows its transcript on the socket), the caller's transcript is 300 ms away:
    // the answer's line waits.
    await nextMessage(call, 'mark', (m) => m.name === 'response-2');
    expect(call.messagesOf('transcript')).toHaveLength(1);
    await lines(call, 3);
    speak(call);
    expect(await lines(call, 5)).toEqual([
      line('agent', 'Welcome to the bistro, how can I help?'),
      line('caller', 'A table for two, please.'),
      line('agent', 'For what time?'),
      line('caller', 'At eight.'),
      line('agent', 'Eight it is. See you then!'),
    ]);
    expect(call.messagesOf('hangup')).toEqual([]);
  });

  it('partial: the caller turn so far as final:false lines before its final line', async () => {
    const { call } = await setup(
      { script: ({ index }) => [{ type: 'audio', ms: 200, transcript: index === 0 ? 'Hi.' : 'Sure.' }], callerTranscript: () => ({ text: 'I would like a table.', deltas: 3 }) },
      { transcript: 'partial' },
    );
    await lines(call, 1);
    speak(call);
    expect(await lines(call, 6)).toEqual([
      line('agent', 'Hi.'),
      line('caller', 'I would', false),
      line('caller', 'I would like a', false),
      line('caller', 'I would like a table.', false),
      line('caller', 'I would like a table.'),
      line('agent', 'Sure.'),
    ]);
  });

  it('no transcription events (or a failed one): the answers still come, after a bounded wait; the call is otherwise unchanged', async () => {
    const { call, session } = await setup({
      script: ({ index }) => [{ type: 'audio', ms: 200, transcript: `Answer ${index}.` }],
      callerTranscript: (turn) => (turn === 1 ? { text: '', fail: true } : undefined),
    });
    await lines(call, 1);
    speak(call);
    await until(() => session.responses[1]?.status === 'completed', 3_000);
    const answeredAt = performance.now();
    expect(await lines(call, 2, 6_000)).toEqual([line('agent', 'Answer 0.'), line('agent', 'Answer 1.')]);
    expect(performance.now() - answeredAt).toBeGreaterThan(2_000); // held for the caller's line that never came
    speak(call); // this turn's transcription fails: the answer goes out at once
    expect(await lines(call, 3)).toEqual([line('agent', 'Answer 0.'), line('agent', 'Answer 1.'), line('agent', 'Answer 2.')]);
    expect(call.messagesOf('mark').map((m) => m.name)).toEqual(['response-1', 'response-2', 'response-3']);
    expect(call.receivedMs).toBe(600);
    expect(call.messagesOf('hangup')).toEqual([]);
    expect(call.faults).toEqual([]);
  });

  it('transcript: off sends no line and asks for no transcription', async () => {
    const { call, session } = await setup({ script: () => [{ type: 'audio', ms: 200, transcript: 'Hello.' }], callerTranscript: () => ({ text: 'Hi.' }) }, { transcript: 'off' });
    const update = await nextEvent(session, 'session.update');
    expect((update['session'] as { audio: { input: Record<string, unknown> } }).audio.input['transcription']).toBeUndefined();
    await nextMessage(call, 'mark', (m) => m.name === 'response-1'); // the greeting has played: the caller's turn is next
    speak(call);
    await nextMessage(call, 'mark', (m) => m.name === 'response-2');
    expect(call.messagesOf('transcript')).toEqual([]);
  });

  it('an answer cut by barge-in: one line, with the transcript the API gives for it', async () => {
    const { call, session } = await setup({ realtimeFactor: 1, chunkMs: 100, script: () => [{ type: 'audio', ms: 5_000, transcript: 'Our menu today has many dishes.' }] });
    await until(() => call.receivedMs >= 500, 5_000);
    call.send({ type: 'interrupted', playedMs: 400, droppedMs: call.receivedMs - 400, marks: [] });
    await until(() => session.truncations.length === 1, 3_000);
    await session.settled();
    expect(await lines(call, 1)).toEqual([line('agent', 'Our menu today has many dishes.')]);
  });

  it('the goodbye line goes out before the hang-up, without waiting for the caller\'s transcript', async () => {
    const { call } = await setup({
      script: ({ index }) =>
        index === 0 ? [{ type: 'audio', ms: 200, transcript: 'Hello.' }] : [{ type: 'audio', ms: 200, transcript: 'Goodbye!' }, { type: 'function_call', name: 'end_call', arguments: {} }],
      callerTranscript: () => ({ text: 'Bye.', delayMs: 10_000 }),
    });
    await lines(call, 1);
    speak(call);
    const mark = await nextMessage(call, 'mark', (m) => m.name.startsWith('end_call-'));
    call.send({ type: 'mark', name: mark.name, status: 'played', playedMs: 400 });
    await nextMessage(call, 'hangup');
    const sent = call.messages.map((m) => m.msg).filter((m) => m.type === 'transcript' || m.type === 'hangup');
    expect(sent).toEqual([line('agent', 'Hello.'), line('agent', 'Goodbye!'), { type: 'hangup', reason: 'end_call' }]);
  });
});
