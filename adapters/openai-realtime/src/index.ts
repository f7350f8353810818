/**
 * @patchbay/adapter-openai-realtime: a number answered by OpenAI Realtime (speech to speech), through the official
 * `openai` SDK's WebSocket client. PCM16 24 kHz both ways, no resampling; barge-in truncates the model's memory to
 * what the caller heard; `end_call`, `transfer_call` and `send_dtmf` tools.
 */
import { defineAdapter, secretFromEnv } from '@patchbay/adapter-kit';
import type { AgentSession } from '@patchbay/agents';
import { callLogger } from './call-logger.js';
import { RealtimeFailureCode } from './failure-codes.js';
import { realtimeOptions } from './options.js';
import { AGENT_ERROR_REASON, RealtimeSession } from './realtime-session.js';

export const ADAPTER_NAME = 'openai-realtime';

export const adapter = defineAdapter({
  name: ADAPTER_NAME,
  options: realtimeOptions,
  create(options, { env, logger }) {
    const apiKey = secretFromEnv(env, options.apiKeyEnv, `${ADAPTER_NAME} apiKeyEnv`);
    return {
      name: ADAPTER_NAME,
      create(ctx): AgentSession {
        const log = callLogger(logger, ctx.start.callId);
        if (ctx.start.audio.sampleRate !== 24_000 || ctx.start.audio.encoding !== 'pcm16') {
          log.error({ code: RealtimeFailureCode.BadAudioFormat, audio: ctx.start.audio }, 'openai-realtime needs PCM16 24 kHz');
          return failedSession(() => ctx.send({ type: 'hangup', reason: AGENT_ERROR_REASON }));
        }
        try {
          return new RealtimeSession({ ctx, options, apiKey, logger: log });
        } catch (err) {
          log.error({ code: RealtimeFailureCode.SocketClosed, err: err instanceof Error ? err.message : String(err) }, 'openai-realtime could not start');
          return failedSession(() => ctx.send({ type: 'hangup', reason: AGENT_ERROR_REASON }));
        }
      },
    };
  },
});

/** A session that could not start: hangs up right after `create` returns and ignores the call. */
function failedSession(hangup: () => void): AgentSession {
  let closed = false;
  queueMicrotask(() => {
    if (!closed) hangup();
  });
  return {
    onAudio: () => undefined,
    onMessage: () => undefined,
    close: () => {
      closed = true;
    },
  };
}

export { realtimeOptions } from './options.js';
export type { RealtimeOptions, RealtimeOptionsInput } from './options.js';
export { AGENT_ERROR_REASON } from './realtime-session.js';
export { RealtimeFailureCode } from './failure-codes.js';
export type { RealtimeFailureCodeValue } from './failure-codes.js';
export { END_CALL_REASON } from './tool-runner.js';
export { TOOL_END_CALL, TOOL_SEND_DTMF, TOOL_TRANSFER_CALL } from './tools.js';
export { truncationsAt, PlaybackLedger } from './playback-ledger.js';
export type { Truncation } from './playback-ledger.js';
