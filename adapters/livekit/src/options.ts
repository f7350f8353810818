/**
 * The options of `agent: { adapter: livekit, ... }`, validated at start-up. Defaults live here. Secrets are never
 * options: the options name the environment variables that hold them.
 */
import { ENV_NAME_PATTERN } from '@patchbay/adapter-kit';
import { z } from 'zod';
import { TEMPLATE_FIELDS, templateProblem } from './templates.js';

/** A LiveKit server URL as rtc-node connects to it. */
export const LIVEKIT_URL_PATTERN = /^wss?:\/\/[^/\s]+/i;

const envName = z.string().regex(ENV_NAME_PATTERN, 'must be an environment variable name');

function template(defaultValue: string) {
  return z
    .string()
    .min(1)
    .max(200)
    .superRefine((value, ctx) => {
      const problem = templateProblem(value);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .default(defaultValue);
}

export const livekitOptions = z
  .strictObject({
    /** The LiveKit server, `wss://<project>.livekit.cloud` or `ws://localhost:7880`. Either this or `urlEnv`. */
    url: z.string().regex(LIVEKIT_URL_PATTERN, 'must be a ws:// or wss:// URL').optional(),
    /** Environment variable holding the server URL (e.g. `LIVEKIT_URL`). Either this or `url`. */
    urlEnv: envName.optional(),
    /** Environment variable holding the API key. */
    apiKeyEnv: envName.default('LIVEKIT_API_KEY'),
    /** Environment variable holding the API secret. */
    apiSecretEnv: envName.default('LIVEKIT_API_SECRET'),
    /** Room to join: a fixed name, or a template with {callId}, {streamId}, {direction}. */
    room: template('patchbay-{callId}'),
    /** The caller participant's identity, a template like `room`. */
    identity: template('sip-{callId}'),
    /** The caller participant's display name. */
    participantName: z.string().min(1).max(128).default('Phone caller'),
    /** `sip`: the caller joins as a SIP participant (what LiveKit telephony agents expect); `standard` otherwise. */
    participantKind: z.enum(['sip', 'standard']).default('sip'),
    /** Dispatch this agent (its registered `agentName`) explicitly when the call's room is created. */
    agentName: z.string().min(1).max(128).optional(),
    /** Play this participant's audio; default: the first remote participant that publishes audio. */
    agentIdentity: z.string().min(1).max(256).optional(),
    /** Hang up when no agent audio has arrived this long after the call started; 0 waits forever. */
    agentTimeoutMs: z.int().min(0).max(300_000).default(20_000),
    /** Agent audio frames with every sample within ±silencePeak are silence (not sent between talk spurts). */
    silencePeak: z.int().min(0).max(32767).default(100),
    /** Silence that ends one of the agent's talk spurts. */
    spurtHangoverMs: z.int().min(20).max(5000).default(400),
    /** After `interrupted`, longest the rest of the agent's interrupted turn is held back; 0: `clear` at once. */
    interruptHoldMaxMs: z.int().min(0).max(10_000).default(2000),
  })
  .refine((options) => (options.url === undefined) !== (options.urlEnv === undefined), {
    path: ['url'],
    message: 'set exactly one of url or urlEnv',
    // Checked even when other options are wrong, so every problem is listed at once.
    when: (payload) => typeof payload.value === 'object' && payload.value !== null,
  });

export type LiveKitOptions = z.output<typeof livekitOptions>;

/** For documentation and error messages. */
export const TEMPLATE_PLACEHOLDERS = TEMPLATE_FIELDS.map((f) => `{${f}}`).join(', ');
