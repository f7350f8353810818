/**
 * Deepgram Aura text-to-speech over REST (`POST /v1/speak?model=…&encoding=linear16&sample_rate=24000&container=none`):
 * the body streams raw PCM16 little-endian at 24 kHz as it is synthesised. `container=none` asks for no WAV header (the
 * REST default for linear16 is `wav`); a header that comes anyway is skipped.
 */
import type { DeepgramClient } from '@deepgram/sdk';
import { PipelineError, PipelineErrorCode, describeError, isAbort } from '../errors.js';
import { pcmFromBody } from './read-body.js';
import type { TextToSpeech } from './text-to-speech.js';

export interface DeepgramAuraOptions {
  readonly model: string;
  readonly timeoutMs: number;
}

export class DeepgramAura implements TextToSpeech {
  readonly provider = 'deepgram';

  constructor(
    private readonly client: DeepgramClient,
    private readonly options: DeepgramAuraOptions,
  ) {}

  async *synthesize(text: string, signal: AbortSignal): AsyncGenerator<Int16Array, void, undefined> {
    let body: ReadableStream<Uint8Array> | null;
    try {
      const response = await this.client.speak.v1.audio.generate(
        { text, model: this.options.model, encoding: 'linear16', sample_rate: 24_000, container: 'none' },
        { abortSignal: signal, maxRetries: 0, timeoutInSeconds: this.options.timeoutMs / 1000 },
      );
      body = response.stream();
    } catch (err) {
      if (isAbort(err, signal)) return;
      throw ttsError(err);
    }
    if (body === null) throw new PipelineError(PipelineErrorCode.TtsFailed, 'deepgram aura: empty response body');
    try {
      yield* pcmFromBody(body, { skipWavHeader: true });
    } catch (err) {
      if (isAbort(err, signal)) return;
      throw ttsError(err);
    }
  }
}

function ttsError(err: unknown): PipelineError {
  const { message, status } = describeError(err);
  return new PipelineError(PipelineErrorCode.TtsFailed, `deepgram aura: ${message}`, status === undefined ? { cause: err } : { cause: err, status });
}
