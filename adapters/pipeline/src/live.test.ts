/**
 * Against the real Deepgram and OpenAI APIs, only when both keys are set (`DEEPGRAM_API_KEY`, `OPENAI_API_KEY`): the
 * caller's question is itself made by OpenAI TTS, streamed to Deepgram at real-time pace, and the agent must answer.
 */
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { createPipelineAgent } from './pipeline-agent.js';
import { pipelineOptions } from './options.js';
import { FakeCall } from './testing/fake-call.js';
import { memoryLogger } from './testing/logger.js';
import { waitFor } from './testing/wait.js';
import { OpenAiSpeech } from './tts/openai-speech.js';

const env = { DEEPGRAM_API_KEY: process.env['DEEPGRAM_API_KEY'], OPENAI_API_KEY: process.env['OPENAI_API_KEY'] };

/** Feeds `pcm` to the call in 20 ms frames at real-time pace (Deepgram's endpointing runs on audio time). */
async function speakInto(call: FakeCall, pcm: Int16Array): Promise<void> {
  const start = performance.now();
  for (let at = 0; at + 480 <= pcm.length; at += 480) {
    call.session.onAudio(pcm.subarray(at, at + 480));
    const due = start + ((at + 480) / 24_000) * 1000;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }
}

describe.runIf(env.DEEPGRAM_API_KEY !== undefined && env.OPENAI_API_KEY !== undefined)('pipeline adapter against the live APIs', () => {
  let call: FakeCall | undefined;
  afterEach(() => call?.end());

  it.each(['openai', 'deepgram'] as const)('greets, hears a spoken question and answers it (tts: %s)', async (provider) => {
    const options = pipelineOptions.parse({
      instructions: 'You answer arithmetic questions in one short sentence.',
      greeting: 'Hello.',
      tts: { provider },
    });
    const logger = memoryLogger();
    call = new FakeCall(createPipelineAgent(options, { env, logger }), { autoPlay: true });
    const live = call;
    await waitFor(() => live.sentOf('mark').length === 1, 15_000, () => JSON.stringify(logger.lines.slice(-5)));

    const question: Int16Array[] = [];
    const tts = new OpenAiSpeech(new OpenAI({ apiKey: env.OPENAI_API_KEY, organization: null, project: null }), { model: 'gpt-4o-mini-tts', voice: 'alloy', timeoutMs: 15_000 });
    for await (const chunk of tts.synthesize('What is two plus two?', new AbortController().signal)) question.push(chunk);
    const pcm = new Int16Array(question.reduce((n, q) => n + q.length, 0));
    question.reduce((at, q) => (pcm.set(q, at), at + q.length), 0);
    await speakInto(live, pcm);
    await speakInto(live, new Int16Array(24_000 * 2));

    await waitFor(() => live.sentOf('mark').length >= 2, 20_000, () => JSON.stringify(logger.lines.slice(-5)));
    const turn = logger.lines.find((l) => l.msg === 'caller turn');
    expect(String((turn?.obj as { text?: string } | undefined)?.text)).toMatch(/two plus two|2 \+ 2/i);
    expect(call.sentOf('stage').map((s) => s.stage)).toEqual(expect.arrayContaining(['stt', 'llm', 'tts']));
    expect(call.audioSamples).toBeGreaterThan(24_000);
  }, 60_000);
});
