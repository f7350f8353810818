/**
 * Builds the pipeline agent for one configured number: secrets are read and SDK clients made once, here (a missing
 * key fails start-up with AdapterConfigError naming the variable); every call gets its own PipelineSession.
 */
import { DeepgramClient } from '@deepgram/sdk';
import { secretFromEnv, type AdapterContext, type AdapterLogger } from '@patchbay/adapter-kit';
import type { Agent } from '@patchbay/agents';
import OpenAI from 'openai';
import { OpenAiChat } from './llm/openai-chat.js';
import type { PipelineOptions } from './options.js';
import { PipelineSession } from './session.js';
import { DeepgramLive, type DeepgramLiveTuning } from './stt/deepgram-live.js';
import { DeepgramAura } from './tts/deepgram-aura.js';
import { OpenAiSpeech } from './tts/openai-speech.js';
import type { TextToSpeech } from './tts/text-to-speech.js';

export const DEFAULT_DEEPGRAM_LISTEN_URL = 'wss://api.deepgram.com';
export const DEFAULT_DEEPGRAM_REST_URL = 'https://api.deepgram.com';
export const DEFAULT_OPENAI_URL = 'https://api.openai.com/v1';

/** Tuning not exposed in the configuration (tests use smaller values). */
export interface PipelineAgentInternals {
  readonly sttTuning?: DeepgramLiveTuning;
  /** Audio a reply may send ahead of what has played (default 20 s). */
  readonly maxAheadMs?: number;
}

export function createPipelineAgent(options: PipelineOptions, context: AdapterContext, internals: PipelineAgentInternals = {}): Agent {
  const deepgramKey = secretFromEnv(context.env, options.deepgramApiKeyEnv, 'pipeline adapter (Deepgram speech-to-text)');
  const openaiKey = secretFromEnv(context.env, options.openaiApiKeyEnv, 'pipeline adapter (OpenAI chat completions)');
  const listen = new DeepgramClient({ apiKey: deepgramKey, baseUrl: toWebSocketUrl(options.stt.baseUrl ?? DEFAULT_DEEPGRAM_LISTEN_URL) });
  const chatClient = openAiClient(openaiKey, options.llm.baseUrl ?? DEFAULT_OPENAI_URL, context.logger);
  const llm = new OpenAiChat(chatClient, options.llm);
  const tts = textToSpeech(options, deepgramKey, openaiKey, chatClient, context.logger);
  return {
    name: 'pipeline',
    create: (ctx) =>
      new PipelineSession(ctx, {
        options,
        llm,
        tts,
        logger: context.logger,
        ...(internals.maxAheadMs === undefined ? {} : { maxAheadMs: internals.maxAheadMs }),
        stt: (events, logger) => new DeepgramLive(listen, options.stt, events, logger, internals.sttTuning),
      }),
  };
}

function textToSpeech(options: PipelineOptions, deepgramKey: string, openaiKey: string, chatClient: OpenAI, logger: AdapterLogger): TextToSpeech {
  const tts = options.tts;
  if (tts.provider === 'deepgram') {
    const client = new DeepgramClient({ apiKey: deepgramKey, baseUrl: tts.baseUrl ?? DEFAULT_DEEPGRAM_REST_URL });
    return new DeepgramAura(client, { model: tts.model, timeoutMs: tts.timeoutMs });
  }
  const sameServer = (tts.baseUrl ?? DEFAULT_OPENAI_URL) === (options.llm.baseUrl ?? DEFAULT_OPENAI_URL);
  const client = sameServer ? chatClient : openAiClient(openaiKey, tts.baseUrl ?? DEFAULT_OPENAI_URL, logger);
  return new OpenAiSpeech(client, { model: tts.model, voice: tts.voice, instructions: tts.instructions, speed: tts.speed, timeoutMs: tts.timeoutMs });
}

/**
 * Every option the SDK would otherwise read from the process environment is given explicitly; its own warnings go to
 * our logger (message only: the extra arguments may hold request details).
 */
function openAiClient(apiKey: string, baseURL: string, logger: AdapterLogger): OpenAI {
  const sdkLogger = {
    error: (message: string) => logger.error({ sdk: 'openai' }, message),
    warn: (message: string) => logger.warn({ sdk: 'openai' }, message),
    info: (message: string) => logger.debug({ sdk: 'openai' }, message),
    debug: (message: string) => logger.debug({ sdk: 'openai' }, message),
  };
  return new OpenAI({ apiKey, baseURL, organization: null, project: null, webhookSecret: null, adminAPIKey: null, maxRetries: 0, logLevel: 'warn', logger: sdkLogger });
}

/** The SDK opens its socket at this base URL: http(s) is accepted and meant as ws(s). */
function toWebSocketUrl(url: string): string {
  return url.replace(/^http(s?):/i, 'ws$1:');
}
