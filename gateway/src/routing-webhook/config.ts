/**
 * A number's `webhook:` key (config.ts numberRoute): the URL asked per call which agent takes it. The entry's own
 * agent and settings are the fallback when the webhook does not answer in time or answers nonsense. Only the shape
 * is checked here; whether `secretEnv` is set is checked where the entry is loaded (start, reload, the numbers API).
 */
import { z } from 'zod';
import { ENV_NAME } from '../config-secret.js';

export const ROUTING_WEBHOOK_DEFAULT_TIMEOUT_MS = 2000;

export const routingWebhookSchema = z.strictObject({
  url: z
    .string()
    .regex(/^https?:\/\/[^/\s]+/i, 'must be an http:// or https:// URL')
    .refine((u) => URL.canParse(u), 'is not a valid URL'),
  /** How long the call waits for the answer before the fallback (the caller hears ringing meanwhile). */
  timeoutMs: z.int().min(100).max(30_000).default(ROUTING_WEBHOOK_DEFAULT_TIMEOUT_MS),
  /** Environment variable holding the Standard Webhooks secret (`whsec_...`); absent: requests are not signed. */
  secretEnv: z.string().regex(ENV_NAME, 'must be an environment variable name').optional(),
});

export type RoutingWebhookConfig = z.output<typeof routingWebhookSchema>;
