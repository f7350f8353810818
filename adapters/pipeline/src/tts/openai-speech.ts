/**
 * OpenAI text-to-speech (`POST /v1/audio/speech`, `response_format: pcm`): the body streams raw PCM16 little-endian,
 * 24 kHz mono, no header, which is the gateway's format as it is.
 */
import type OpenAI from 'openai';
import { PipelineError, PipelineErrorCode, describeError, isAbort } from '../errors.js';
import { pcmFromBody } from './read-body.js';
import type { TextToSpeech } from './text-to-speech.js';

export interface OpenAiSpeechOptions {
  readonly model: string;
  readonly voice: string;
  readonly instructions?: string | undefined;
  readonly speed?: number | undefined;
  readonly timeoutMs: number;
}

export class OpenAiSpeech implements TextToSpeech {
  readonly provider = 'openai';

  constructor(
    private readonly client: OpenAI,
    private readonly options: OpenAiSpeechOptions,
  ) {}

  async *synthesize(text: string, signal: AbortSignal): AsyncGenerator<Int16Array, void, undefined> {
    const { model, voice, instructions, speed, timeoutMs } = this.options;
    let body: ReadableStream<Uint8Array> | null;
    try {
      const response = await this.client.audio.speech.create(
        { model, voice, input: text, response_format: 'pcm', ...(instructions === undefined ? {} : { instructions }), ...(speed === undefined ? {} : { speed }) },
        { signal, timeout: timeoutMs, maxRetries: 0 },
      );
      body = response.body;
    } catch (err) {
      if (isAbort(err, signal)) return;
      throw ttsError(err);
    }
    if (body === null) throw new PipelineError(PipelineErrorCode.TtsFailed, 'openai speech: empty response body');
    try {
      yield* pcmFromBody(body);
    } catch (err) {
      if (isAbort(err, signal)) return;
      throw ttsError(err);
    }
  }
}

function ttsError(err: unknown): PipelineError {
  const { message, status } = describeError(err);
  return new PipelineError(PipelineErrorCode.TtsFailed, `openai speech: ${message}`, status === undefined ? { cause: err } : { cause: err, status });
}
