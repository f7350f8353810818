/**
 * The call-control API's data, written once in zod: the routes validate with these, the OpenAPI document is generated
 * from them, and the types the call core implements (call-control.ts) are inferred from them. Plain data only.
 */
import { PERSON_HANGUP_ACTIONS } from '../forwarding/config.js';
import { MONITOR_MODES } from '../monitor/mixer.js';
import { DTMF_DIGITS, PROTOCOL_LIMITS } from '@patchbay/agents';
import { z } from 'zod';
import { CALL_STATUSES, DISPOSITIONS } from '../call/vocabulary.js';
import { BUILTIN_AGENTS } from '../config.js';

export const CALL_DIRECTIONS = ['inbound', 'outbound'] as const;

/**
 * A call's status: `queued → ringing → answered → completed`, or it ends `busy | no-answer | declined | failed |
 * canceled` without being answered. One vocabulary: the call core's table (call/vocabulary.ts).
 */
export { CALL_STATUSES } from '../call/vocabulary.js';

/**
 * What a call's agent is: a built-in agent, an agent URL (ws:// or wss://), an adapter by name, or `bridge`: the call
 * is joined with another call leg (forwarding: a person), whose call id is the `target`.
 */
export const AGENT_KINDS = ['builtin', 'url', 'adapter', 'bridge'] as const;

/** A registration's state (RFC 3261 §10); `none` when the trunk has no `register:`. */
export const REGISTRATION_STATES = ['none', 'registering', 'registered', 'failed'] as const;

const isoTime = z.iso.datetime({ offset: true });
const shortText = z.string().min(1).max(PROTOCOL_LIMITS.maxNameChars);

export const callSummarySchema = z
  .object({
    id: z.string().describe('Our id for the call (logs, agents, traces).'),
    direction: z.enum(CALL_DIRECTIONS),
    status: z.enum(CALL_STATUSES),
    from: z.string().describe('The caller (inbound) or the caller ID we present (outbound).'),
    to: z.string().describe('The number or URI called.'),
    number: z.string().optional().describe('The configured number (a `numbers:` key) whose route the call follows.'),
    trunk: z.string().optional().describe('The trunk the call came in on or went out through.'),
    agent: z.object({
      kind: z.enum(AGENT_KINDS),
      target: z.string().describe('The built-in name, the URL without query or credentials, or the adapter name.'),
    }),
    codec: z.string().optional().describe('The negotiated codec (e.g. `PCMU`), once known.'),
    srtp: z.string().optional().describe('The SRTP suite protecting the media (e.g. `AEAD_AES_128_GCM`); absent for plain RTP (docs/srtp.md).'),
    createdAt: isoTime,
    ringingAt: isoTime.optional(),
    answeredAt: isoTime.optional(),
    endedAt: isoTime.optional(),
    endReason: z.string().optional().describe('Why the call ended (the internal end reason).'),
    disposition: z.enum(DISPOSITIONS).optional().describe('How the call ended, for reports: completed, busy, no-answer, declined, failed or canceled.'),
    sipStatus: z.int().min(100).max(699).optional().describe('The final SIP status of the INVITE, when there was one.'),
  })
  .meta({ id: 'CallSummary' });

/** An agent by built-in name or URL, exactly as a `numbers:` entry's `agent` string. */
const agentString = z
  .string()
  .max(PROTOCOL_LIMITS.maxTargetChars)
  .refine((a) => (BUILTIN_AGENTS as readonly string[]).includes(a) || isAgentUrl(a), {
    message: `must be a built-in agent (${BUILTIN_AGENTS.join(', ')}) or a ws:// or wss:// URL`,
  });

/** An adapter block exactly as in `numbers:` (`{ adapter: openai-realtime, model: …, apiKeyEnv: … }`). */
const adapterBlock = z
  .looseObject({ adapter: z.string().regex(/^[a-z][a-z0-9-]{0,63}$/, 'must be an adapter name such as openai-realtime') })
  .describe('An adapter block exactly as in `numbers:`; its options are checked by the adapter.');

export const placeCallSchema = z
  .strictObject({
    to: z.string().min(1).max(PROTOCOL_LIMITS.maxTargetChars).describe('A phone number (E.164 preferred) or a sip: URI; must pass the trunk allow-list.'),
    from: shortText.optional().describe('Caller ID to present; default the trunk\'s.'),
    trunk: shortText.optional().describe('The trunk to call through; default the only outbound trunk, or the `number`\'s.'),
    agent: z.union([agentString, adapterBlock]).optional().describe('Default: the agent of `number`\'s route.'),
    parameters: z
      .record(z.string().max(PROTOCOL_LIMITS.maxNameChars), z.string().max(PROTOCOL_LIMITS.maxTextChars))
      .refine((p) => Object.keys(p).length <= PROTOCOL_LIMITS.maxParameters, `at most ${PROTOCOL_LIMITS.maxParameters} parameters`)
      .optional()
      .describe('Handed to the agent in its `start` message (merged over the route\'s).'),
    ringTimeoutS: z.int().min(1).max(600).optional().describe('Give up (CANCEL) after this many seconds of ringing.'),
    number: shortText.optional().describe('A number (a `numbers:` key or a `/v1/numbers` entry, any spelling) whose route to reuse.'),
  })
  .meta({ id: 'PlaceCallRequest' });

export const callFilterSchema = z.strictObject({
  direction: z.enum(CALL_DIRECTIONS).optional(),
  status: z.enum(CALL_STATUSES).optional(),
  number: shortText.optional(),
  trunk: shortText.optional(),
});

export const callIdParams = z.strictObject({ id: z.string().min(1).max(128) });

export const transferSchema = z
  .strictObject({
    target: z.string().min(1).max(PROTOCOL_LIMITS.maxTargetChars).describe('A phone number or a sip:/sips: URI; checked against the same allow-list as the agent\'s `transfer`.'),
  })
  .meta({ id: 'TransferRequest' });

export const forwardSchema = z
  .strictObject({
    to: z
      .union([z.string().min(1).max(PROTOCOL_LIMITS.maxTargetChars), z.array(z.string().min(1).max(PROTOCOL_LIMITS.maxTargetChars)).min(1).max(10)])
      .describe('Phone numbers or sip:/sips: URIs to ring; each must pass the trunk\'s outbound allow-list.'),
    trunk: z.string().min(1).max(PROTOCOL_LIMITS.maxNameChars).describe('The outbound trunk the people are reached through.'),
    strategy: z.enum(['sequential', 'simultaneous']).default('sequential').describe('One after another, or all at once (the first to answer wins).'),
    ringTimeoutS: z.int().min(1).max(300).default(20).describe('How long each target rings (sequential), or all of them (simultaneous).'),
    onPersonHangup: z
      .enum(PERSON_HANGUP_ACTIONS)
      .default('end')
      .describe('The person hangs up first: the call ends too (`end`), or the caller goes back to the call\'s agent (`agent`), which is dialled again with `start.resume{cause: person-hangup}`.'),
  })
  .meta({ id: 'ForwardRequest' });
export type ForwardRequestBody = z.output<typeof forwardSchema>;

const agentStream = z
  .boolean()
  .default(false)
  .describe('An AI agent gets the supervisor\'s voice as its own `supervisor_audio` stream instead of mixed into the caller audio (whisper, barge).');

export const monitorSchema = z
  .union([
    z.strictObject({
      mode: z.enum(MONITOR_MODES).describe('`listen`: hear both sides; `whisper`: also talk to the agent side only; `barge`: talk to both.'),
      to: z.string().min(1).max(PROTOCOL_LIMITS.maxTargetChars).describe('The supervisor\'s phone number or sip:/sips: URI; must pass the trunk\'s outbound allow-list.'),
      trunk: z.string().min(1).max(PROTOCOL_LIMITS.maxNameChars).describe('The outbound trunk the supervisor is rung through.'),
      agentStream: agentStream,
    }),
    z.strictObject({
      mode: z.enum(MONITOR_MODES),
      url: z.string().regex(/^wss?:\/\//i, 'must be a ws:// or wss:// URL').max(2048).describe('A WebSocket dialled like an agent (protocol v1): it is sent the mix and may send audio.'),
      agentStream: agentStream,
    }),
  ])
  .meta({ id: 'MonitorRequest' });
export type MonitorRequestBody = z.output<typeof monitorSchema>;

export const monitorModeSchema = z.strictObject({ mode: z.enum(MONITOR_MODES) }).meta({ id: 'MonitorModeRequest' });

export const monitorStateSchema = z
  .object({
    monitor: z.object({
      mode: z.enum(MONITOR_MODES),
      state: z.enum(['ringing', 'on']).describe('`ringing` until the supervisor\'s phone answers; `on` once they hear the call.'),
      callId: z.string().nullable().describe('The supervisor\'s leg (a phone), or null (a WebSocket).'),
    }),
  })
  .meta({ id: 'MonitorState' });
export type MonitorStateBody = z.output<typeof monitorStateSchema>['monitor'];

const dtmfPattern = new RegExp(`^[${DTMF_DIGITS.replace('*', '\\*')}]{1,${PROTOCOL_LIMITS.maxDigits}}$`);

export const dtmfSchema = z
  .strictObject({
    digits: z.string().regex(dtmfPattern, `must be 1 to ${PROTOCOL_LIMITS.maxDigits} of ${DTMF_DIGITS}`),
    durationMs: z.int().min(PROTOCOL_LIMITS.minDtmfMs).max(PROTOCOL_LIMITS.maxDtmfMs).optional().describe('Per digit; default 100.'),
  })
  .meta({ id: 'DtmfRequest' });

export const trunkStateSchema = z
  .object({
    name: z.string(),
    registration: z.object({
      state: z.enum(REGISTRATION_STATES),
      expiresAt: isoTime.optional(),
      lastStatus: z.int().min(100).max(699).optional().describe('The last final SIP status from the registrar.'),
    }),
    outbound: z
      .object({
        activeCalls: z.int().min(0),
        maxConcurrentCalls: z.int().min(1).optional(),
        callsPerSecond: z.number().positive().optional(),
      })
      .optional()
      .describe('Absent when the trunk has no outbound side.'),
  })
  .meta({ id: 'TrunkState' });

export const callListSchema = z.object({ calls: z.array(callSummarySchema) }).meta({ id: 'CallList' });
export const trunkListSchema = z.object({ trunks: z.array(trunkStateSchema) }).meta({ id: 'TrunkList' });
export const acceptedSchema = z.object({ accepted: z.literal(true) }).meta({ id: 'Accepted' });

export type CallSummary = z.output<typeof callSummarySchema>;
export type PlaceCallRequest = z.output<typeof placeCallSchema>;
export type CallFilter = z.output<typeof callFilterSchema>;
export type TrunkState = z.output<typeof trunkStateSchema>;
export type CallStatus = (typeof CALL_STATUSES)[number];
export type CallDirection = (typeof CALL_DIRECTIONS)[number];
export type AgentKind = (typeof AGENT_KINDS)[number];

function isAgentUrl(agent: string): boolean {
  if (!/^wss?:\/\//i.test(agent)) return false;
  try {
    return new URL(agent).hostname !== '';
  } catch {
    return false;
  }
}
