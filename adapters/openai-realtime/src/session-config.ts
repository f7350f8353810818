/**
 * The `session.update` a call starts with, from the adapter's options (GA Realtime shape: `session.type: realtime`,
 * `audio.input` / `audio.output`). Audio is PCM16 at 24 kHz both ways, the gateway's own format.
 */
import type {
  RealtimeAudioInputTurnDetection,
  RealtimeSessionCreateRequest,
} from 'openai/resources/realtime/realtime';
import { DEFAULT_TRANSCRIPTION_MODEL, type RealtimeOptions } from './options.js';
import { toolDefinitions } from './tools.js';

export const PCM_24K = { type: 'audio/pcm', rate: 24000 } as const;

/** The input transcription the session asks for: the configured one, else the default when transcript lines are on. */
export function inputTranscription(options: RealtimeOptions): RealtimeOptions['inputTranscription'] {
  return options.inputTranscription ?? (options.transcript === 'off' ? undefined : { model: DEFAULT_TRANSCRIPTION_MODEL });
}

export function sessionConfig(options: RealtimeOptions): RealtimeSessionCreateRequest {
  const tools = toolDefinitions(options);
  const transcription = inputTranscription(options);
  return {
    type: 'realtime',
    model: options.model,
    output_modalities: ['audio'],
    ...(options.instructions !== undefined ? { instructions: options.instructions } : {}),
    ...(options.maxOutputTokens !== undefined ? { max_output_tokens: options.maxOutputTokens } : {}),
    audio: {
      input: {
        format: PCM_24K,
        turn_detection: turnDetection(options),
        ...(transcription !== undefined
          ? { transcription: { model: transcription.model, ...(transcription.language !== undefined ? { language: transcription.language } : {}) } }
          : {}),
        ...(options.noiseReduction !== undefined ? { noise_reduction: { type: options.noiseReduction } } : {}),
      },
      output: {
        format: PCM_24K,
        ...(options.voice !== undefined ? { voice: options.voice } : {}),
        ...(options.speed !== undefined ? { speed: options.speed } : {}),
      },
    },
    tools,
    tool_choice: 'auto',
  };
}

function turnDetection(options: RealtimeOptions): RealtimeAudioInputTurnDetection {
  const td = options.turnDetection;
  // With bargeIn: gateway the gateway decides barge-in (and the adapter cancels); the model only ends turns.
  const interrupt = td.interruptResponse ?? options.bargeIn === 'agent';
  if (td.type === 'semantic_vad') {
    return {
      type: 'semantic_vad',
      create_response: true,
      interrupt_response: interrupt,
      ...(td.eagerness !== undefined ? { eagerness: td.eagerness } : {}),
    };
  }
  return {
    type: 'server_vad',
    create_response: true,
    interrupt_response: interrupt,
    ...(td.threshold !== undefined ? { threshold: td.threshold } : {}),
    ...(td.prefixPaddingMs !== undefined ? { prefix_padding_ms: td.prefixPaddingMs } : {}),
    ...(td.silenceDurationMs !== undefined ? { silence_duration_ms: td.silenceDurationMs } : {}),
    ...(td.idleTimeoutMs !== undefined ? { idle_timeout_ms: td.idleTimeoutMs } : {}),
  };
}
