/**
 * The pipeline session end to end inside the process: the real SDKs against fake Deepgram and OpenAI servers on
 * loopback, a FakeCall in place of the gateway. The caller's "speech" is a loud tone the fake Deepgram turns into the
 * scripted transcripts; the fake TTS speaks 60 ms of tone per character, so durations map to text exactly.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { RESUME_NOTE } from '@patchbay/adapter-kit';
import { harness, type Harness } from './testing/harness.js';
import { waitFor } from './testing/wait.js';

const ANSWER = 'Our opening hours are nine to five. We are closed on Sundays and on public holidays, sadly. Anything else?';
const FIRST = 'Our opening hours are nine to five.'; // 35 characters = 2,100 ms of fake speech

describe('pipeline session: turns', () => {
  let h: Harness | undefined;
  afterEach(async () => h?.close());

  it('greets, then answers a caller turn; the first sentence plays before the model has finished the reply', async () => {
    h = await harness({
      options: { greeting: 'Hello, this is the test line.' },
      deepgram: { transcripts: ['What are your opening hours?'] },
      openai: { chat: () => ({ text: ANSWER, chunkDelayMs: 40 }) },
    });
    const { call, openai } = h;
    await waitFor(() => openai.speechRequests[0]?.endedMs !== undefined, 5_000);
    expect(openai.speechRequests[0]?.body['input']).toBe('Hello, this is the test line.');
    call.silence(200);
    h.utter(600, 400);
    await h.chatRequests(1);
    await waitFor(() => call.sentOf('mark').length === 4, 10_000, () => `${call.sentOf('mark').length} marks`);

    const chat = openai.chatRequests[0];
    const firstTts = openai.speechRequests[1];
    if (chat?.endedMs === undefined || firstTts?.firstByteMs === undefined) throw new Error('missing timings');
    expect(firstTts.receivedMs).toBeLessThan(chat.endedMs);
    expect(firstTts.firstByteMs).toBeLessThan(chat.endedMs);
    const firstReplyAudio = call.audio.find((a) => a.atMs > firstTts.receivedMs);
    expect(firstReplyAudio?.atMs).toBeLessThan(chat.endedMs);

    expect(openai.speechRequests.map((r) => r.body['input'])).toEqual(['Hello, this is the test line.', FIRST, 'We are closed on Sundays and on public holidays, sadly.', 'Anything else?']);
    expect(openai.messagesOf(0)).toEqual([
      { role: 'system', content: 'You are the test line.' },
      { role: 'assistant', content: 'Hello, this is the test line.' },
      { role: 'user', content: 'What are your opening hours?' },
    ]);
    // One mark after each sentence's audio, and every sample of the fake speech reached the call.
    expect(call.sentOf('mark').map((m) => m.name)).toEqual(['r1.0', 'r2.0', 'r2.1', 'r2.2']);
    const expectedSamples = ['Hello, this is the test line.', ...ANSWER.split(/(?<=[.?]) /)].reduce((n, s) => n + s.length * 60 * 24, 0);
    expect(call.audioSamples).toBe(expectedSamples);
  });

  it('resumes a call whose agent failed (start.resume): the conversation so far and a note go to the model, which answers at once', async () => {
    h = await harness({
      options: { greeting: 'Hello, this is the test line.' },
      openai: { chat: () => ({ text: 'Sorry about that. Where is the leak?' }) },
      resume: { attempt: 1, cause: 'agent-silent', transcript: [{ role: 'agent', text: 'Acme plumbing.' }, { role: 'caller', text: 'My sink is leaking.' }], playedMs: 900 },
    });
    await h.chatRequests(1);
    expect(h.openai.messagesOf(0)).toEqual([
      { role: 'system', content: 'You are the test line.' },
      { role: 'assistant', content: 'Acme plumbing.' },
      { role: 'user', content: `My sink is leaking. [${RESUME_NOTE}]` },
    ]);
    await waitFor(() => h?.openai.speechRequests.length === 2, 5_000);
    expect(h.openai.speechRequests.map((r) => r.body['input'])).toEqual(['Sorry about that.', 'Where is the leak?']); // no greeting
  });

  it('reports stage latencies: stt on the caller clock (gateway speech_stopped, else Deepgram word end), llm, tts', async () => {
    h = await harness({
      deepgram: { transcripts: ['First question.', 'Second question.'] },
      openai: { chat: () => ({ text: 'Sure.' }) },
    });
    const { call } = h;
    // Turn 1: no speech_stopped from the gateway: Deepgram's last word ended at 800 ms; the turn ended when the caller
    // stream was at 1,200 ms (all frames are in before the final result comes back).
    call.silence(200);
    h.utter(600, 400);
    await h.chatRequests(1);
    await waitFor(() => call.sentOf('stage').filter((s) => s.stage === 'tts').length === 1, 5_000);
    // Turn 2: the gateway said speech stopped at 1,980 ms (a hangover after the words): stt = 2,400 − 1,980.
    call.deliver({ type: 'speech_started', atMs: 1_400 });
    call.deliver({ type: 'speech_stopped', atMs: 1_980 });
    await waitFor(() => call.delivered.length === 2, 1_000);
    call.silence(200);
    h.utter(600, 400);
    await h.chatRequests(2);
    await waitFor(() => call.sentOf('stage').filter((s) => s.stage === 'tts').length === 2, 5_000);

    const stages = call.sentOf('stage');
    expect(stages.filter((s) => s.stage === 'stt').map((s) => s.ms)).toEqual([400, 420]);
    for (const kind of ['llm', 'tts'] as const) {
      const ms = stages.filter((s) => s.stage === kind).map((s) => s.ms);
      expect(ms).toHaveLength(2);
      for (const v of ms) expect(v).toBeGreaterThanOrEqual(0);
      for (const v of ms) expect(v).toBeLessThan(2_000);
    }
  });

  it('a model error: nothing is said, a warning is logged, and the next turn is answered with both caller turns', async () => {
    h = await harness({
      deepgram: { transcripts: ['I want to book', 'a table for two.'] },
      openai: { chat: (_req, i) => (i === 0 ? { status: 500 } : { text: 'Booked.' }) },
    });
    const { call, openai, logger } = h;
    h.utter();
    await h.chatRequests(1);
    await waitFor(() => logger.lines.some((l) => l.level === 'warn' && l.msg.includes('provider error')), 5_000);
    expect(call.audio).toEqual([]);
    h.utter();
    await h.chatRequests(2);
    expect(openai.messagesOf(1).slice(1)).toEqual([{ role: 'user', content: 'I want to book a table for two.' }]);
    await waitFor(() => call.sentOf('mark').length === 1, 5_000);
    expect(call.sentOf('hangup')).toEqual([]);
  });

  it('a TTS error: nothing more is said for that reply, and the call goes on', async () => {
    h = await harness({
      deepgram: { transcripts: ['Hello?', 'Are you there?'] },
      openai: { chat: () => ({ text: 'Yes. I am here.' }), speech: { status: 500 } },
    });
    const { call, openai, logger } = h;
    h.utter();
    await waitFor(() => logger.lines.some((l) => l.level === 'warn' && (l.obj as { code?: string }).code === 'PIPELINE_TTS_FAILED'), 5_000);
    expect(openai.speechRequests).toHaveLength(1); // the second sentence was never asked for
    expect(call.audio).toEqual([]);
    h.utter();
    await h.chatRequests(2);
    expect(openai.messagesOf(1).map((m) => m.role)).toEqual(['system', 'user']);
  });

  it('speaks with Deepgram Aura when tts.provider is deepgram', async () => {
    h = await harness({ options: { greeting: 'Hello there.', tts: { provider: 'deepgram', model: 'aura-2-thalia-en' } } });
    await waitFor(() => h?.deepgram.speaks[0]?.endedMs !== undefined && h.call.sentOf('mark').length === 1, 5_000);
    expect(h.deepgram.speaks[0]?.body).toEqual({ text: 'Hello there.' });
    expect(h.call.audioSamples).toBe('Hello there.'.length * 60 * 24);
  });

  it('transcripts and prompts never reach info-level logs', async () => {
    h = await harness({ deepgram: { transcripts: ['My card number is 4111.'] }, openai: { chat: () => ({ text: 'Thanks, noted.' }) } });
    h.utter();
    await waitFor(() => h?.call.sentOf('mark').length === 1, 5_000);
    const loud = h.logger.lines.filter((l) => l.level !== 'debug').map((l) => JSON.stringify(l));
    for (const line of loud) {
      expect(line).not.toContain('4111');
      expect(line).not.toContain('noted');
    }
  });
});

describe('pipeline session: pacing', () => {
  let h: Harness | undefined;
  afterEach(async () => h?.close());

  it('sends at most maxAheadMs of audio ahead of what has played: the next sentence waits for a mark', async () => {
    h = await harness({
      autoPlay: false,
      internals: { maxAheadMs: 2_000 },
      deepgram: { transcripts: ['Hours?'] },
      openai: { chat: () => ({ text: ANSWER }) },
    });
    const { call, openai, logger } = h;
    h.utter();
    // The first sentence (2,100 ms) is out and nothing has played: the second waits.
    await waitFor(() => logger.lines.some((l) => l.msg === 'reply waits for playout'), 5_000);
    expect(openai.speechRequests).toHaveLength(1);
    expect(call.sentOf('mark').map((m) => m.name)).toEqual(['r1.0']);
    call.play(2_100);
    await waitFor(() => openai.speechRequests.length === 2, 3_000);
  });
});

describe('pipeline session: lifecycle', () => {
  let h: Harness | undefined;
  afterEach(async () => h?.close());

  it('speech-to-text lost twice: hangs up with a clear reason', async () => {
    h = await harness({});
    const { deepgram, call } = h;
    await waitFor(() => deepgram.listens.length === 1, 3_000);
    call.silence(100);
    await waitFor(() => (deepgram.listens[0]?.audioBytes ?? 0) > 0, 3_000);
    deepgram.refuseListens = 1;
    deepgram.dropListens();
    await waitFor(() => call.sentOf('hangup').length === 1, 5_000);
    expect(call.sentOf('hangup')).toEqual([{ type: 'hangup', reason: 'speech-to-text unavailable' }]);
    expect(h.logger.lines.some((l) => l.level === 'error' && (l.obj as { code?: string }).code === 'PIPELINE_STT_UNAVAILABLE')).toBe(true);
  });

  it('the call ending aborts the model request in flight and closes the speech-to-text stream', async () => {
    h = await harness({ deepgram: { transcripts: ['Tell me a story.'] }, openai: { chat: () => ({ text: 'Once upon a time', stallAfterChunks: 2 }) } });
    const { deepgram, openai, call } = h;
    h.utter();
    await h.chatRequests(1);
    await waitFor(() => (openai.chatRequests[0]?.bytes ?? 0) > 0, 3_000);
    const sentBefore = call.sent.length;
    call.end();
    await waitFor(() => openai.chatRequests[0]?.closedEarlyMs !== undefined, 3_000);
    await waitFor(() => deepgram.listens[0]?.closeStream === true, 3_000);
    expect(call.sent.length).toBe(sentBefore);
  });
});
