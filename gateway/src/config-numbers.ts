/**
 * One `numbers:` entry of the configuration (config.ts): the agent that takes a number's calls and its per-number
 * settings. Also what `/v1/numbers` accepts and a routing webhook answers (numbers/, routing-webhook/).
 */
import { z } from 'zod';
import { bargeInMode, failoverSettings, onAgentFailure, speechSettings, srtpPolicy } from './config-media.js';
import { destinationEntry } from './config-trunks.js';
import { numberWebhooksSchema } from './config-webhooks.js';
import { forwardSchema } from './forwarding/config.js';
import { routingWebhookSchema } from './routing-webhook/config.js';

export const BUILTIN_AGENTS = ['echo', 'demo'] as const;

const agentRef = z.string().superRefine((agent, ctx) => {
  const problem = agentProblem(agent);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
});

function agentProblem(agent: string): string | undefined {
  if ((BUILTIN_AGENTS as readonly string[]).includes(agent)) return undefined;
  const expected = `must be a built-in agent (${BUILTIN_AGENTS.join(', ')}) or a ws:// or wss:// URL`;
  if (!/^wss?:\/\//i.test(agent)) return `${expected}, got '${agent}'`;
  try {
    const url = new URL(agent);
    return url.hostname === '' ? `'${agent}' has no host` : undefined;
  } catch {
    return `'${agent}' is not a valid URL`;
  }
}

/**
 * An adapter by name with its options (`agent: { adapter: openai-realtime, model: ..., apiKeyEnv: OPENAI_API_KEY }`).
 * Here only the name's shape is checked; at start-up the adapter validates the rest with its own schema and every
 * problem is listed with its path. `websocket` is the native protocol to `url` (what a bare ws:// string means).
 */
const adapterAgent = z.looseObject({
  adapter: z.string().regex(/^[a-z][a-z0-9-]{0,63}$/, 'must be an adapter name such as openai-realtime'),
});

/** What an agent URL speaks: Patchbay's protocol v1, or Twilio Media Streams' messages (bots written for Twilio). */
export const AGENT_PROTOCOLS = ['patchbay', 'twilio'] as const;

/** Where an agent may transfer a call: nothing unless listed (deny entries win). */
export const transferPolicy = z.strictObject({
  allow: z.array(destinationEntry).default([]),
  deny: z.array(destinationEntry).default([]),
});

/** What a number's `agent` says when it is missing (a `webhook:` number needs one too: its fallback) or of no kind. */
const AGENT_ERRORS = {
  missing: "required: the agent that takes the call (a built-in name, a ws:// URL or an adapter block); with 'webhook:' too, as the fallback route",
  kind: 'must be a built-in name (echo, demo), a ws:// or wss:// URL, or an adapter block ({adapter: openai-realtime, ...})',
} as const;

/** One `numbers:` entry; also what `/v1/numbers` accepts and a routing webhook answers (numbers/, routing-webhook/). */
export const numberRoute = z.strictObject({
  /** Required, also with `webhook:` (the fallback route then): a missing or shapeless one says so, not "Invalid input". */
  agent: z.union([agentRef, adapterAgent], { error: (issue) => (issue.input === undefined ? AGENT_ERRORS.missing : AGENT_ERRORS.kind) }),
  /** For a ws:// agent: `twilio` speaks Twilio Media Streams (µ-law 8 kHz, base64 in JSON) instead of protocol v1. */
  protocol: z.enum(AGENT_PROTOCOLS).optional(),
  ringing: z.boolean().optional(),
  answerDelayMs: z.int().min(0).max(60_000).optional(),
  /** Custom parameters handed to the agent in its start message. */
  parameters: z.record(z.string(), z.string()).default({}),
  /** What the caller gets when the agent cannot be reached (overrides `agents.onFailure`). */
  onAgentFailure: onAgentFailure.optional(),
  /**
   * Agent failover mid-call for this number (overrides `agents.failover`, key by key); `standby`: the agent re-dials
   * go to (a built-in or a ws:// URL) instead of the number's own.
   */
  failover: failoverSettings.extend({ standby: agentRef.optional() }).optional(),
  /** Barge-in for this number (overrides `media.bargeIn`). */
  bargeIn: bargeInMode.optional(),
  /** Speech detection for this number (overrides `media.speech`, key by key). */
  speech: speechSettings.optional(),
  /** SRTP for this number's calls (overrides its trunk's `srtp` and `media.srtp`): docs/srtp.md. */
  srtp: srtpPolicy.optional(),
  /** Transfer destinations for this number (replaces the top-level `transfer` as a whole). */
  transfer: transferPolicy.optional(),
  /** This number's own webhook endpoints (config-webhooks.ts; docs/webhooks.md). */
  webhooks: numberWebhooksSchema,
  /** Ask this URL per call which agent takes it; this entry's own agent and settings are the fallback (docs/numbers.md). */
  webhook: routingWebhookSchema.optional(),
  /** Ring these people first; the `agent` takes the call when nobody answers (forwarding/; docs/forwarding.md). */
  forward: forwardSchema.optional(),
}).refine((r) => r.protocol !== 'twilio' || (typeof r.agent === 'string' && /^wss?:\/\//i.test(r.agent)), {
  path: ['protocol'],
  message: 'twilio is spoken to a ws:// or wss:// agent URL',
});
