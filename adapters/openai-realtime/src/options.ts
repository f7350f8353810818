/**
 * The options a number gives under `agent: { adapter: openai-realtime, ... }`, validated at start-up (strict: an
 * unknown key such as `temperature`, which the GA Realtime session no longer accepts, is an error, not ignored).
 */
import { ENV_NAME_PATTERN, transcriptModeOption } from '@patchbay/adapter-kit';
import { DTMF_DIGITS } from '@patchbay/agents';
import { z } from 'zod';

/** The input transcription model used for transcript lines when `inputTranscription` does not name one. */
export const DEFAULT_TRANSCRIPTION_MODEL = 'gpt-4o-mini-transcribe';

/** What `transfer` accepts: a phone number or a sip:/sips: URI (the protocol's own rule). */
export const TRANSFER_TARGET_PATTERN = /^(\+?[0-9*#]{1,32}|sips?:[^\s<>"]+)$/i;

const turnDetection = z
  .strictObject({
    /** `server_vad`: silence ends the turn; `semantic_vad`: a model judges whether the caller is done. */
    type: z.enum(['server_vad', 'semantic_vad']).default('server_vad'),
    /** server_vad: activation threshold, 0–1 (API default 0.5). */
    threshold: z.number().min(0).max(1).optional(),
    /** server_vad: audio kept before the detected onset (API default 300 ms). */
    prefixPaddingMs: z.int().min(0).max(5_000).optional(),
    /** server_vad: silence that ends the caller's turn (API default 500 ms). */
    silenceDurationMs: z.int().min(0).max(10_000).optional(),
    /** server_vad: the model speaks up after this long without caller speech once its answer has played. */
    idleTimeoutMs: z.int().min(5_000).max(30_000).optional(),
    /** semantic_vad: how eagerly the model takes the turn. */
    eagerness: z.enum(['low', 'medium', 'high', 'auto']).optional(),
    /**
     * Whether the model cancels its own answer when its VAD hears the caller. Default: only with `bargeIn: agent`;
     * with `bargeIn: gateway` the gateway decides barge-in (with its false-barge-in protection) and the adapter cancels.
     */
    interruptResponse: z.boolean().optional(),
  })
  .superRefine((td, ctx) => {
    if (td.type === 'semantic_vad') {
      for (const key of ['threshold', 'prefixPaddingMs', 'silenceDurationMs', 'idleTimeoutMs'] as const) {
        if (td[key] !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: `only applies to server_vad` });
      }
    } else if (td.eagerness !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['eagerness'], message: 'only applies to semantic_vad' });
    }
  });

const tools = z.strictObject({
  /** `end_call`: the model hangs up (after its goodbye has played). */
  endCall: z.boolean().default(true),
  /** `transfer_call`: the model transfers the caller to one of `transferTargets` (offered only when there are some). */
  transferCall: z.boolean().default(true),
  /**
   * `warm_transfer`: the model introduces the caller to a person of `transferTargets` before handing over (the
   * gateway's `consult`/`bridge`; the caller hears hold music meanwhile). Offered only when there are targets.
   */
  warmTransfer: z.boolean().default(true),
  /** `send_dtmf`: the model presses keys (navigating another phone menu). */
  sendDtmf: z.boolean().default(true),
});

const targetName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}$/, 'must be a short name (letters, digits, space, _ . -)');

export const realtimeOptions = z.strictObject({
  /** Realtime model. */
  model: z.string().min(1).max(128).default('gpt-realtime'),
  /** Voice (`marin`, `cedar`, `alloy`, …); the API's default when unset. Fixed once the model has spoken. */
  voice: z.string().min(1).max(64).optional(),
  /** System instructions (prompt). Personal data: never logged. */
  instructions: z.string().max(64_000).optional(),
  /** Environment variable holding the API key (read at start-up; a missing one fails the configuration). */
  apiKeyEnv: z.string().regex(ENV_NAME_PATTERN, 'must be an environment variable name').default('OPENAI_API_KEY'),
  /**
   * API base URL (default https://api.openai.com/v1): a proxy, a compatible endpoint, a test server. The Realtime
   * socket is `<baseUrl>/realtime?model=…`; `http://` and `ws://` connect without TLS, `https://` and `wss://` with.
   */
  baseUrl: z
    .url({ protocol: /^(https?|wss?)$/, error: 'must be an http(s):// or ws(s):// URL' })
    .optional(),
  /** Who stops the model's audio when the caller speaks over it: match the number's `bargeIn` (default gateway). */
  bargeIn: z.enum(['gateway', 'agent']).default('gateway'),
  turnDetection: turnDetection.prefault({}),
  /** When set, the model speaks first: these instructions for its first answer (e.g. "Greet the caller …"). */
  greeting: z.string().min(1).max(4_000).optional(),
  tools: tools.prefault({}),
  /** Names the model may transfer to (`transfer_call{target: name}`) and the number or SIP URI each one dials. */
  transferTargets: z
    .record(targetName, z.string().max(512).regex(TRANSFER_TARGET_PATTERN, 'must be a phone number (+15551234567) or a sip: URI'))
    .refine((t) => Object.keys(t).length <= 32, 'at most 32 targets')
    .optional(),
  /** Tell the model which keys the caller pressed (as a conversation item), and let it answer. */
  dtmfToText: z.boolean().default(true),
  /** Keys pressed within this long of each other reach the model as one message (`#` sends at once). */
  dtmfFlushMs: z.int().min(0).max(10_000).default(1_000),
  /**
   * Transcript lines to the gateway, stored with the call's record: `final` (default) the caller's turns (the API's
   * input transcription) and the model's answers (its audio transcript); `partial` also the caller's words as the
   * transcription streams them; `off` none (and no input transcription unless `inputTranscription` asks for it).
   */
  transcript: transcriptModeOption,
  /**
   * The caller's audio transcription (`{ model, language? }`): whisper-1, gpt-4o-mini-transcribe, gpt-4o-transcribe…
   * Default with `transcript` on: `{ model: gpt-4o-mini-transcribe }`. Billed by the API per the model's pricing.
   */
  inputTranscription: z
    .strictObject({ model: z.string().min(1).max(128), language: z.string().min(2).max(16).optional() })
    .optional(),
  /** Input noise reduction: `near_field` (handsets) or `far_field` (speakerphones); off when unset. */
  noiseReduction: z.enum(['near_field', 'far_field']).optional(),
  /** Speaking speed, 0.25–1.5 (API default 1). */
  speed: z.number().min(0.25).max(1.5).optional(),
  /** Longest answer in tokens (1–4096), or `inf` (API default). */
  maxOutputTokens: z.union([z.int().min(1).max(4_096), z.literal('inf')]).optional(),
  /** Bound on connecting to the API (TCP, TLS and the WebSocket upgrade); the call is hung up beyond it. */
  connectTimeoutMs: z.int().min(500).max(30_000).default(5_000),
  /** Longest wait for a goodbye (or "transferring you now") to finish playing before the hang-up or transfer. */
  maxGoodbyeMs: z.int().min(0).max(60_000).default(15_000),
});

export type RealtimeOptions = z.output<typeof realtimeOptions>;
export type RealtimeOptionsInput = z.input<typeof realtimeOptions>;

/** True for a string of keypad digits the protocol accepts. */
export function isDtmfDigits(text: string): boolean {
  return text.length > 0 && text.length <= 64 && [...text].every((c) => DTMF_DIGITS.includes(c));
}
