import { AdapterConfigError } from '@patchbay/adapter-kit';
import { describe, expect, it } from 'vitest';
import { adapter } from './index.js';
import { memoryLogger } from './testing/logger.js';

const env = { DEEPGRAM_API_KEY: 'dg', OPENAI_API_KEY: 'sk' };

describe('pipeline options', () => {
  it('the example configuration validates, with defaults filled in', () => {
    const parsed = adapter.options.parse({ instructions: 'You are ...', stt: { provider: 'deepgram', model: 'nova-3' }, llm: { model: 'gpt-4o-mini' }, tts: { provider: 'openai', voice: 'alloy' } });
    expect(parsed).toEqual({
      instructions: 'You are ...',
      stt: { provider: 'deepgram', model: 'nova-3', endpointingMs: 300, utteranceEndMs: 1_000, smartFormat: true, keyterms: [] },
      llm: { provider: 'openai', model: 'gpt-4o-mini', maxTokens: 400, timeoutMs: 15_000, maxHistoryMessages: 100 },
      tts: { provider: 'openai', model: 'gpt-4o-mini-tts', voice: 'alloy', timeoutMs: 15_000 },
      tools: { endCall: true, transferCall: true, sendDtmf: true, warmTransfer: true },
      transferTargets: {},
      interruptMinWords: 1,
      farewellTimeoutMs: 10_000,
      transcript: 'final',
      deepgramApiKeyEnv: 'DEEPGRAM_API_KEY',
      openaiApiKeyEnv: 'OPENAI_API_KEY',
    });
    expect(adapter.options.parse({ instructions: 'x', tts: { provider: 'deepgram' } }).tts).toEqual({ provider: 'deepgram', model: 'aura-2-thalia-en', timeoutMs: 15_000 });
  });

  it('lists every problem with its path', () => {
    const result = adapter.options.safeParse({
      stt: { provider: 'whisper', utteranceEndMs: 500, baseUrl: 'ftp://x' },
      llm: { baseUrl: 'not a url', temperature: 3 },
      tts: { provider: 'elevenlabs' },
      transferTargets: { sales: 'call my boss', 'no/slashes': '+15550100099' },
      deepgramApiKeyEnv: 'lower-case!',
      surprise: true,
    });
    expect(result.success).toBe(false);
    const paths = (result.error?.issues ?? []).map((i) => i.path.join('.'));
    for (const p of ['instructions', 'stt.provider', 'stt.utteranceEndMs', 'stt.baseUrl', 'llm.baseUrl', 'llm.temperature', 'tts.provider', 'transferTargets.sales', 'transferTargets.no/slashes', 'deepgramApiKeyEnv', '']) {
      expect(paths, p).toContain(p);
    }
  });

  it('create() reads both keys from the env names the options give; a missing one is an AdapterConfigError naming the variable', () => {
    const logger = memoryLogger();
    const options = adapter.options.parse({ instructions: 'x', openaiApiKeyEnv: 'MY_OPENAI_KEY' });
    expect(adapter.create(options, { env: { DEEPGRAM_API_KEY: 'dg', MY_OPENAI_KEY: 'sk' }, logger }).name).toBe('pipeline');
    expect(() => adapter.create(options, { env, logger })).toThrow(AdapterConfigError);
    expect(() => adapter.create(options, { env, logger })).toThrow(/MY_OPENAI_KEY/);
    const noDeepgram = (): unknown => adapter.create(adapter.options.parse({ instructions: 'x' }), { env: { OPENAI_API_KEY: 'sk', DEEPGRAM_API_KEY: ' ' }, logger });
    expect(noDeepgram).toThrow(expect.objectContaining({ code: 'ADAPTER_SECRET_MISSING', message: expect.stringContaining('DEEPGRAM_API_KEY') }) as Error);
  });

  it('the error never contains a secret value', () => {
    try {
      adapter.create(adapter.options.parse({ instructions: 'x' }), { env: { DEEPGRAM_API_KEY: 'dg-secret-value' }, logger: memoryLogger() });
      expect.unreachable();
    } catch (err) {
      expect(String(err)).not.toContain('dg-secret-value');
    }
  });
});
