/**
 * Parsing and validation of protocol v1 text messages, both directions. Unknown fields are ignored (and stripped)
 * so that a newer peer can add fields; an unknown `type` is an error the peer can read.
 */

import { z } from 'zod';
import { ProtocolError, ProtocolErrorCode } from './errors.js';
import { AGENT_STAGES, CONSULT_STATUSES, PROTOCOL_LIMITS, PROTOCOL_VERSION, RESUME_CAUSES, TRANSCRIPT_ROLES } from './messages.js';
import type { AgentMessage, GatewayErrorCodeValue, GatewayMessage, StopReasonValue } from './messages.js';

const L = PROTOCOL_LIMITS;

const name = z.string().min(1).max(L.maxNameChars);
const text = z.string().max(L.maxTextChars);
/** A transfer or consultation target. */
const target = z
  .string()
  .min(1)
  .max(L.maxTargetChars)
  .regex(/^(\+?[0-9*#]{1,32}|sips?:[^\s<>"]+)$/i, 'must be a phone number (+15551234567) or a sip: URI');
const ms = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const digit = z.string().regex(/^[0-9*#A-D]$/, 'must be one of 0-9 * # A-D');
const digits = z
  .string()
  .min(1)
  .max(L.maxDigits)
  .regex(/^[0-9*#A-D]+$/, 'must contain only 0-9 * # A-D');

const audioFormat = z.object({
  encoding: z.literal('pcm16'),
  sampleRate: z.literal(24000),
  channels: z.literal(1),
  frameMs: z.literal(20),
});

type Schemas<U extends { type: string }> = { [K in U['type']]: z.ZodType<Extract<U, { type: K }>> };

const gatewaySchemas: Schemas<GatewayMessage> = {
  start: z.object({
    type: z.literal('start'),
    version: z.literal(1),
    callId: name,
    streamId: name,
    from: z.string().max(L.maxNameChars),
    to: z.string().max(L.maxNameChars),
    direction: z.enum(['inbound', 'outbound']),
    parameters: z
      .record(z.string().max(L.maxNameChars), text)
      .refine((p) => Object.keys(p).length <= L.maxParameters, `at most ${L.maxParameters} entries`),
    audio: audioFormat,
    resume: z
      .object({
        attempt: z.int().min(1).max(100),
        cause: z.enum(RESUME_CAUSES),
        transcript: z.array(z.object({ role: z.enum(['caller', 'agent']), text })).max(L.maxResumeLines),
        playedMs: ms,
      })
      .optional(),
  }),
  dtmf: z.object({
    type: z.literal('dtmf'),
    digit,
    durationMs: ms,
    source: z.enum(['rfc4733', 'sip-info']),
  }),
  mark: z.object({
    type: z.literal('mark'),
    name,
    status: z.enum(['played', 'cleared']),
    playedMs: ms,
  }),
  cleared: z.object({ type: z.literal('cleared'), droppedMs: ms, playedMs: ms, itemPlayedMs: ms.optional(), afterMark: name.optional(), turnId: name.optional() }),
  interrupted: z.object({
    type: z.literal('interrupted'),
    playedMs: ms,
    droppedMs: ms,
    itemPlayedMs: ms.optional(),
    afterMark: name.optional(),
    marks: z.array(name).max(1000),
  }),
  speech_started: z.object({ type: z.literal('speech_started'), atMs: ms }),
  speech_stopped: z.object({ type: z.literal('speech_stopped'), atMs: ms }),
  // A newer gateway may send a reason or code this version does not list (docs/protocol.md): read as the table's
  // type, so an agent's `switch` needs a `default`, and never refused.
  stop: z.object({ type: z.literal('stop'), reason: z.string().max(L.maxNameChars).transform((r) => r as StopReasonValue) }),
  consult: z.object({
    type: z.literal('consult'),
    status: z.enum(CONSULT_STATUSES),
    target: z.string().max(L.maxTargetChars),
    reason: name.optional(),
    message: text.optional(),
    whisper: text.optional(),
  }),
  supervisor_audio: z.object({ type: z.literal('supervisor_audio'), audio: z.base64().max(16_384) }),
  error: z.object({
    type: z.literal('error'),
    code: name.transform((c) => c as GatewayErrorCodeValue),
    message: text,
    droppedMs: ms.optional(),
  }),
};

const agentSchemas: Schemas<AgentMessage> = {
  mark: z.object({ type: z.literal('mark'), name }),
  clear: z.object({ type: z.literal('clear'), turnId: name.optional() }),
  hangup: z.object({ type: z.literal('hangup'), reason: z.string().max(L.maxNameChars).optional() }),
  dtmf: z.object({
    type: z.literal('dtmf'),
    digits,
    durationMs: z.number().int().min(L.minDtmfMs).max(L.maxDtmfMs).optional(),
  }),
  transfer: z.object({ type: z.literal('transfer'), target }),
  consult: z.object({ type: z.literal('consult'), target, whisper: text.optional() }),
  bridge: z.object({ type: z.literal('bridge'), listen: z.boolean().optional() }),
  cancel_consult: z.object({ type: z.literal('cancel_consult') }),
  stage: z.object({ type: z.literal('stage'), stage: z.enum(AGENT_STAGES), ms: z.number().nonnegative().max(L.maxStageMs) }),
  transcript: z.object({ type: z.literal('transcript'), role: z.enum(TRANSCRIPT_ROLES), text, final: z.boolean() }),
};

/** Parses a text message an agent sent to the gateway. Throws `ProtocolError` naming the fault. */
export function parseAgentMessage(text: string): AgentMessage {
  return parseWith(agentSchemas, text, 'agent');
}

/** Parses a text message the gateway sent to an agent. Throws `ProtocolError` naming the fault. */
export function parseGatewayMessage(text: string): GatewayMessage {
  const obj = parseObject(text);
  if (obj.type === 'start' && obj.version !== PROTOCOL_VERSION) {
    throw new ProtocolError(
      ProtocolErrorCode.UnsupportedVersion,
      `start: protocol version ${JSON.stringify(obj.version)} is not supported (this side speaks ${PROTOCOL_VERSION})`,
    );
  }
  return validate(gatewaySchemas, obj, 'gateway');
}

/**
 * Validates a message an in-process agent handed over as an object (it never went through JSON): the same schema as
 * `parseAgentMessage`, so an in-process agent can do exactly what a remote one can, and no more.
 */
export function validateAgentMessage(value: unknown): AgentMessage {
  return validate(agentSchemas, asMessage(value), 'agent');
}

function parseWith<U extends { type: string }>(schemas: Schemas<U>, text: string, from: string): U {
  return validate(schemas, parseObject(text), from);
}

function parseObject(text: string): Record<string, unknown> & { type: string } {
  // UTF-8 takes at least one byte per UTF-16 code unit, so a long string is too large without counting bytes.
  if (text.length > L.maxJsonBytes || Buffer.byteLength(text, 'utf8') > L.maxJsonBytes) {
    throw new ProtocolError(ProtocolErrorCode.TooLarge, `message is larger than ${L.maxJsonBytes} bytes`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    throw new ProtocolError(ProtocolErrorCode.BadJson, `message is not valid JSON: ${detail}`, { cause });
  }
  return asMessage(value);
}

function asMessage(value: unknown): Record<string, unknown> & { type: string } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ProtocolError(ProtocolErrorCode.NotAMessage, 'message must be a JSON object');
  }
  const type: unknown = (value as Record<string, unknown>).type;
  if (typeof type !== 'string') {
    throw new ProtocolError(ProtocolErrorCode.NotAMessage, 'message must have a string "type"');
  }
  return { ...(value as Record<string, unknown>), type };
}

function validate<U extends { type: string }>(
  schemas: Schemas<U>,
  obj: Record<string, unknown> & { type: string },
  from: string,
): U {
  const key = obj.type;
  if (!isKey(schemas, key)) {
    const known = Object.keys(schemas).join(', ');
    throw new ProtocolError(
      ProtocolErrorCode.UnknownType,
      `unknown ${from} message type ${JSON.stringify(key.slice(0, 64))} (v${PROTOCOL_VERSION} knows: ${known})`,
    );
  }
  const schema: z.ZodType<U> = schemas[key];
  const result = schema.safeParse(obj);
  if (!result.success) {
    const issue = result.error.issues[0];
    const path = issue === undefined || issue.path.length === 0 ? '(message)' : issue.path.map(String).join('.');
    const why = issue?.message ?? 'invalid';
    throw new ProtocolError(ProtocolErrorCode.BadField, `${key}: bad field "${path}": ${why}`);
  }
  return result.data;
}

function isKey<U extends { type: string }>(schemas: Schemas<U>, key: string): key is U['type'] {
  return Object.hasOwn(schemas, key);
}
