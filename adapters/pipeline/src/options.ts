/**
 * The pipeline adapter's options (everything under `agent:` besides `adapter: pipeline`), validated at start-up with
 * every problem listed at its path. Defaults live here, in the schema.
 */
import { ENV_NAME_PATTERN, transcriptModeOption } from '@patchbay/adapter-kit';
import { DTMF_DIGITS, PROTOCOL_LIMITS } from '@patchbay/agents';
import { z } from 'zod';

const envName = z.string().regex(ENV_NAME_PATTERN, 'must be an environment variable name');
/** A provider base URL, for proxies and tests (`http://127.0.0.1:8080/v1`). */
const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' });
const wsUrl = z.url({ protocol: /^(wss?|https?)$/, error: 'must be a ws://, wss://, http:// or https:// URL' });
const timeoutMs = z.int().min(1_000).max(120_000);

/** A phone number (`+15551234567`) or a SIP URI, as `transfer` accepts. */
const transferTarget = z
  .string()
  .max(PROTOCOL_LIMITS.maxTargetChars)
  .regex(/^(\+?[0-9]{2,20}|sips?:[^\s]+)$/, 'must be a phone number (+15551234567) or a sip: URI');

export const sttOptions = z.strictObject({
  provider: z.literal('deepgram').default('deepgram'),
  model: z.string().min(1).max(100).default('nova-3'),
  /** BCP-47 language (`en`, `multi`); Deepgram's default when absent. */
  language: z.string().min(1).max(35).optional(),
  /** Silence (ms) after speech before Deepgram marks a result `speech_final`: the end of the caller's turn. */
  endpointingMs: z.int().min(10).max(5_000).default(300),
  /** Gap (ms) after the last word before Deepgram sends `UtteranceEnd` (the fallback turn end; at least 1,000). */
  utteranceEndMs: z.int().min(1_000).max(5_000).default(1_000),
  smartFormat: z.boolean().default(true),
  /** Words to boost (Nova-3 `keyterm`). */
  keyterms: z.array(z.string().min(1).max(100)).max(100).default([]),
  /** Default `wss://api.deepgram.com`. */
  baseUrl: wsUrl.optional(),
});

export const llmOptions = z.strictObject({
  provider: z.literal('openai').default('openai'),
  model: z.string().min(1).max(100).default('gpt-4o-mini'),
  temperature: z.number().min(0).max(2).optional(),
  /** `max_completion_tokens` of each reply. */
  maxTokens: z.int().min(16).max(8_192).default(400),
  timeoutMs: timeoutMs.default(15_000),
  /** Messages kept besides the system prompt (oldest dropped first). */
  maxHistoryMessages: z.int().min(2).max(1_000).default(100),
  /** Chat completions base URL, `/v1` included. Default `https://api.openai.com/v1`. */
  baseUrl: httpUrl.optional(),
});

const openaiTts = z.strictObject({
  provider: z.literal('openai'),
  model: z.string().min(1).max(100).default('gpt-4o-mini-tts'),
  voice: z.string().min(1).max(100).default('alloy'),
  /** Voice direction for `gpt-4o-mini-tts` (tone, accent, pace). */
  instructions: z.string().min(1).max(4_000).optional(),
  speed: z.number().min(0.25).max(4).optional(),
  timeoutMs: timeoutMs.default(15_000),
  /** Default `https://api.openai.com/v1`. */
  baseUrl: httpUrl.optional(),
});

const deepgramTts = z.strictObject({
  provider: z.literal('deepgram'),
  /** The Aura voice is the model: `aura-2-thalia-en`. */
  model: z.string().min(1).max(100).default('aura-2-thalia-en'),
  timeoutMs: timeoutMs.default(15_000),
  /** Default `https://api.deepgram.com`. */
  baseUrl: httpUrl.optional(),
});

export const ttsOptions = z.discriminatedUnion('provider', [openaiTts, deepgramTts]);

/** The call-control tools offered to the model (the same switches as the openai-realtime adapter). */
export const toolOptions = z.strictObject({
  /** `end_call`: the agent says goodbye and hangs up once the goodbye has played. */
  endCall: z.boolean().default(true),
  /** `transfer_call`: to one of `transferTargets` by name (offered only when there are some). */
  transferCall: z.boolean().default(true),
  /** `send_dtmf`: the agent presses keys (navigating another phone menu). */
  sendDtmf: z.boolean().default(true),
  /**
   * `warm_transfer`: to one of `transferTargets`, introduced first (the gateway's `consult`/`bridge`: the caller hears
   * hold music while the agent tells the person the summary). Offered only when there are targets.
   */
  warmTransfer: z.boolean().default(true),
});

const targetName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}$/, 'must be a short name (letters, digits, space, _ . -)');

/**
 * Names the model may transfer to and what each dials: an allow-list, so a caller talking the model into it cannot
 * send the call anywhere else, and the model never sees the numbers.
 */
export const transferTargets = z.record(targetName, transferTarget).refine((t) => Object.keys(t).length <= 32, 'at most 32 targets');

export const pipelineOptions = z.strictObject({
  /** The system prompt. */
  instructions: z.string().min(1).max(100_000),
  /** Spoken when the call starts. */
  greeting: z.string().min(1).max(2_000).optional(),
  stt: sttOptions.prefault({}),
  llm: llmOptions.prefault({}),
  tts: ttsOptions.prefault({ provider: 'openai' }),
  tools: toolOptions.prefault({}),
  transferTargets: transferTargets.default({}),
  /**
   * The agent stops talking by itself when the caller says this many words over it (the words Deepgram transcribes).
   * With the number's `bargeIn: gateway` the gateway usually stops it first, at the speech onset.
   */
  interruptMinWords: z.int().min(1).max(10).default(1),
  /**
   * Transcript lines to the gateway, stored with the call's record: `final` (default) one line per caller turn (the
   * text the model gets) and per reply (what was spoken; cut by barge-in: what was heard, ending `—`); `partial` also
   * the caller's turn so far from Deepgram's interim results; `off` none.
   */
  transcript: transcriptModeOption,
  /** Bound on waiting for the goodbye (or transfer announcement) to play before `hangup` / `transfer`. */
  farewellTimeoutMs: z.int().min(0).max(60_000).default(10_000),
  deepgramApiKeyEnv: envName.default('DEEPGRAM_API_KEY'),
  openaiApiKeyEnv: envName.default('OPENAI_API_KEY'),
});

export type PipelineOptions = z.output<typeof pipelineOptions>;
export type SttOptions = z.output<typeof sttOptions>;
export type LlmOptions = z.output<typeof llmOptions>;
export type TtsOptions = z.output<typeof ttsOptions>;
/** What the tools need: the switches and the transfer allow-list. */
export type ToolOptions = z.output<typeof toolOptions> & { readonly transferTargets: Readonly<Record<string, string>> };

/** Characters `send_dtmf` accepts. */
export const DTMF_PATTERN = new RegExp(`^[${DTMF_DIGITS}]{1,${PROTOCOL_LIMITS.maxDigits}}$`);
