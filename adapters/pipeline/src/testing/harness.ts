/** Unit-test harness: the real adapter, with its SDKs pointed at fake Deepgram and OpenAI servers, on a FakeCall. */
import type { StartMessage } from '@patchbay/agents';
import { createPipelineAgent, type PipelineAgentInternals } from '../pipeline-agent.js';
import { pipelineOptions } from '../options.js';
import { FakeCall } from './fake-call.js';
import { FakeDeepgram, type FakeDeepgramOptions } from './fake-deepgram.js';
import { FakeOpenAi, type FakeOpenAiOptions } from './fake-openai.js';
import { memoryLogger } from './logger.js';
import { waitFor } from './wait.js';

export interface Harness {
  readonly deepgram: FakeDeepgram;
  readonly openai: FakeOpenAi;
  readonly call: FakeCall;
  readonly logger: ReturnType<typeof memoryLogger>;
  /** The caller says one utterance: `speechMs` of speech then `silenceMs` (past the 300 ms endpointing). */
  utter(speechMs?: number, silenceMs?: number): void;
  /** Waits until the fake model got its `count`-th chat request. */
  chatRequests(count: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function harness(setup: {
  readonly options?: Record<string, unknown>;
  readonly deepgram?: FakeDeepgramOptions;
  readonly openai?: FakeOpenAiOptions;
  readonly autoPlay?: boolean;
  /** The call's `start.resume` (a call taken over after its agent failed). */
  readonly resume?: StartMessage['resume'];
  readonly internals?: PipelineAgentInternals;
}): Promise<Harness> {
  const deepgram = await FakeDeepgram.start(setup.deepgram);
  const openai = await FakeOpenAi.start({ speech: { speed: 20 }, ...setup.openai });
  const extra = setup.options ?? {};
  const tts = (extra['tts'] as Record<string, unknown> | undefined) ?? { provider: 'openai' };
  const options = pipelineOptions.parse({
    instructions: 'You are the test line.',
    ...extra,
    stt: { baseUrl: deepgram.wsUrl, ...(extra['stt'] as object | undefined) },
    llm: { baseUrl: openai.url, ...(extra['llm'] as object | undefined) },
    tts: { ...tts, baseUrl: tts['provider'] === 'deepgram' ? deepgram.url : openai.url },
  });
  const logger = memoryLogger();
  const agent = createPipelineAgent(options, { env: { DEEPGRAM_API_KEY: deepgram.apiKey, OPENAI_API_KEY: openai.apiKey }, logger }, setup.internals);
  const call = new FakeCall(agent, { autoPlay: setup.autoPlay ?? true, ...(setup.resume === undefined ? {} : { resume: setup.resume }) });
  return {
    deepgram,
    openai,
    call,
    logger,
    utter(speechMs = 600, silenceMs = 400) {
      call.say(speechMs);
      call.silence(silenceMs);
    },
    chatRequests: (count, timeoutMs = 5_000) => waitFor(() => openai.chatRequests.length >= count, timeoutMs, () => `${openai.chatRequests.length} chat requests`),
    async close() {
      call.end();
      await Promise.all([deepgram.close(), openai.close()]);
    },
  };
}
