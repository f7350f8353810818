import { DeepgramClient } from '@deepgram/sdk';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeDeepgram } from '../testing/fake-deepgram.js';
import { FakeOpenAi } from '../testing/fake-openai.js';
import { speechFor } from '../testing/tone.js';
import { waitFor } from '../testing/wait.js';
import { DeepgramAura } from './deepgram-aura.js';
import { OpenAiSpeech } from './openai-speech.js';
import type { TextToSpeech } from './text-to-speech.js';

const TEXT = 'Our opening hours are nine to five.';

async function collect(tts: TextToSpeech, text: string, signal = new AbortController().signal): Promise<{ pcm: Int16Array; chunks: number }> {
  const parts: Int16Array[] = [];
  for await (const chunk of tts.synthesize(text, signal)) parts.push(chunk);
  const pcm = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) pcm.set(p, (at += p.length) - p.length);
  return { pcm, chunks: parts.length };
}

async function abortMidway(tts: TextToSpeech): Promise<number> {
  const abort = new AbortController();
  let samples = 0;
  for await (const chunk of tts.synthesize(TEXT.repeat(4), abort.signal)) {
    samples += chunk.length;
    abort.abort();
  }
  return samples;
}

describe('OpenAiSpeech against a fake /v1/audio/speech', () => {
  let fake: FakeOpenAi | undefined;
  afterEach(async () => fake?.close());

  async function speech(status?: number): Promise<{ tts: OpenAiSpeech; fake: FakeOpenAi }> {
    fake = await FakeOpenAi.start({ speech: status === undefined ? { speed: 20 } : { status } });
    const client = new OpenAI({ apiKey: fake.apiKey, baseURL: fake.url, maxRetries: 0, organization: null, project: null });
    return { tts: new OpenAiSpeech(client, { model: 'gpt-4o-mini-tts', voice: 'alloy', instructions: 'Warm.', speed: 1.1, timeoutMs: 5_000 }), fake };
  }

  it('asks for pcm and streams the body as 24 kHz PCM16 samples, in several chunks, bit-exact', async () => {
    const { tts, fake } = await speech();
    const { pcm, chunks } = await collect(tts, TEXT);
    expect(pcm).toEqual(speechFor(TEXT, 60));
    expect(chunks).toBeGreaterThan(5);
    expect(fake.speechRequests[0]?.body).toEqual({ model: 'gpt-4o-mini-tts', voice: 'alloy', input: TEXT, response_format: 'pcm', instructions: 'Warm.', speed: 1.1 });
  });

  it('aborting closes the connection before the audio is complete', async () => {
    const { tts, fake } = await speech();
    const samples = await abortMidway(tts);
    await waitFor(() => fake.speechRequests[0]?.closedEarlyMs !== undefined, 3_000);
    expect(samples).toBeLessThan(speechFor(TEXT.repeat(4), 60).length);
  });

  it('an HTTP error is a PipelineError with the status', async () => {
    const { tts } = await speech(503);
    await expect(collect(tts, TEXT)).rejects.toMatchObject({ code: 'PIPELINE_TTS_FAILED', status: 503 });
  });
});

describe('DeepgramAura against a fake /v1/speak', () => {
  let fake: FakeDeepgram | undefined;
  afterEach(async () => fake?.close());

  async function aura(status?: number): Promise<{ tts: DeepgramAura; fake: FakeDeepgram }> {
    fake = await FakeDeepgram.start({ speak: status === undefined ? { speed: 20 } : { status } });
    const client = new DeepgramClient({ apiKey: fake.apiKey, baseUrl: fake.url });
    return { tts: new DeepgramAura(client, { model: 'aura-2-thalia-en', timeoutMs: 5_000 }), fake };
  }

  it('asks for raw linear16 at 24 kHz with the token, and streams it as samples, bit-exact', async () => {
    const { tts, fake } = await aura();
    const { pcm, chunks } = await collect(tts, TEXT);
    expect(pcm).toEqual(speechFor(TEXT, 60));
    expect(chunks).toBeGreaterThan(5);
    const req = fake.speaks[0];
    expect(Object.fromEntries(req?.query ?? [])).toEqual({ model: 'aura-2-thalia-en', encoding: 'linear16', sample_rate: '24000', container: 'none' });
    expect(req?.body).toEqual({ text: TEXT });
    expect(req?.headers.authorization).toBe(`Token ${fake.apiKey}`);
  });

  it('aborting closes the connection before the audio is complete', async () => {
    const { tts, fake } = await aura();
    await abortMidway(tts);
    await waitFor(() => fake.speaks[0]?.closedEarlyMs !== undefined, 3_000);
  });

  it('an HTTP error is a PipelineError with the status', async () => {
    const { tts } = await aura(500);
    await expect(collect(tts, TEXT)).rejects.toMatchObject({ code: 'PIPELINE_TTS_FAILED', status: 500 });
  });
});
