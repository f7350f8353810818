/**
 * The `webhooks:` section of the configuration (global endpoints, delivery limits, retry schedule) and the
 * per-number `numbers.<pattern>.webhooks` list. Secrets are never written in the file: each endpoint names the
 * environment variable holding its Standard Webhooks secret (`whsec_` + base64), read once at start; a missing or
 * malformed one is a start-up error naming the variable. docs/webhooks.md documents every key.
 */
import { z } from 'zod';
import { ENV_NAME, type Env } from './config-secret.js';
import { parseNumberPattern, RoutingError } from './routing/index.js';
import { WEBHOOK_EVENT_TYPES, type WebhookEventType } from './webhooks/events.js';

/** Standard Webhooks secrets: `whsec_` then base64 of 24 to 64 random bytes (`openssl rand -base64 32`). */
export const SECRET_PREFIX = 'whsec_';
const SECRET_MIN_BYTES = 24;
const SECRET_MAX_BYTES = 64;

/** Why a secret's value is not usable, or undefined when it is. */
export function secretProblem(name: string, value: string | undefined): string | undefined {
  if (value === undefined || value === '') return `environment variable ${name} is not set`;
  if (!value.startsWith(SECRET_PREFIX)) return `${name} must start with '${SECRET_PREFIX}' (Standard Webhooks secret: whsec_ + base64)`;
  const body = value.slice(SECRET_PREFIX.length);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body)) return `${name} must be '${SECRET_PREFIX}' followed by base64`;
  const bytes = Buffer.from(body, 'base64').length;
  if (bytes < SECRET_MIN_BYTES || bytes > SECRET_MAX_BYTES) {
    return `${name} must hold ${SECRET_MIN_BYTES} to ${SECRET_MAX_BYTES} bytes after '${SECRET_PREFIX}' (got ${bytes}); make one with: echo "whsec_$(openssl rand -base64 32)"`;
  }
  return undefined;
}

const eventList = z
  .array(z.enum(WEBHOOK_EVENT_TYPES as unknown as [WebhookEventType, ...WebhookEventType[]]))
  .min(1)
  .transform((events) => [...new Set(events)])
  .optional()
  .describe('Event types sent to the endpoint; default all.');

const httpUrl = z.string().refine((u) => {
  try {
    const url = new URL(u);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.username === '' && url.password === '';
  } catch {
    return false;
  }
}, 'must be an http:// or https:// URL without credentials');

const envName = z.string().regex(ENV_NAME, 'must be an environment variable name');

/** One entry of `numbers.<pattern>.webhooks` (its secret is checked by numberWebhookIssues, which sees the env). */
export const numberWebhookSchema = z.strictObject({ url: httpUrl, secretEnv: envName, events: eventList });
export const numberWebhooksSchema = z.array(numberWebhookSchema).max(10).optional();
export type NumberWebhookConfig = z.output<typeof numberWebhookSchema>;

function endpointSchema(env: Env) {
  return z
    .strictObject({
      /** Names the endpoint in the delivery list and logs (never the secret). */
      name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1 to 64 letters, digits, _ . or -'),
      url: httpUrl,
      secretEnv: envName,
      events: eventList,
      /** Only calls whose number matched one of these `numbers:` patterns; default every call. */
      numbers: z.array(z.string()).min(1).optional(),
    })
    .transform((e, ctx) => {
      const problem = secretProblem(e.secretEnv, env[e.secretEnv]);
      if (problem !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['secretEnv'], message: problem });
        return z.NEVER;
      }
      e.numbers?.forEach((p, i) => {
        try {
          parseNumberPattern(p);
        } catch (err) {
          if (!(err instanceof RoutingError)) throw err;
          ctx.addIssue({ code: 'custom', path: ['numbers', i], message: err.message });
        }
      });
      return { ...e, secret: env[e.secretEnv] ?? '' };
    });
}

export function webhooksSchema(env: Env) {
  return z
    .strictObject({
      endpoints: z
        .array(endpointSchema(env))
        .superRefine((list, ctx) => {
          const seen = new Set<string>();
          list.forEach((e, i) => {
            if (seen.has(e.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate webhook endpoint name '${e.name}'` });
            seen.add(e.name);
          });
        })
        .default([]),
      /** One POST's bound (connect to last byte of the answer). */
      timeoutMs: z.int().min(100).max(60_000).default(5000),
      /** POSTs in flight to one endpoint at once, per gateway. */
      maxConcurrentPerEndpoint: z.int().min(1).max(100).default(4),
      /** Exponential backoff with full jitter: try n waits a uniform draw in [initialDelayMs, min(maxDelayMs, initialDelayMs·2^(n-1))]. */
      retry: z
        .strictObject({
          initialDelayMs: z.int().min(1).default(5000),
          maxDelayMs: z.int().min(1).default(3_600_000),
          /** A delivery still failing this long after its event is marked `failed` (one last try at the mark). */
          giveUpAfterMs: z.int().min(1).default(86_400_000),
        })
        .refine((r) => r.maxDelayMs >= r.initialDelayMs, { path: ['maxDelayMs'], message: 'must be >= initialDelayMs' })
        .prefault({}),
      /** How often the outbox is read for due deliveries when nothing wakes it (new events wake it at once). */
      pollIntervalMs: z.int().min(10).max(60_000).default(1000),
    })
    .prefault({});
}

export type WebhooksConfig = z.output<ReturnType<typeof webhooksSchema>>;
export type WebhookEndpointConfig = WebhooksConfig['endpoints'][number];

/** `numbers.<pattern>.webhooks[i].secretEnv` naming an unset or malformed variable (config.ts's superRefine). */
export function numberWebhookIssues(config: unknown, env: Env): { path: (string | number)[]; message: string }[] {
  if (!isRecord(config) || !isRecord(config['numbers'])) return [];
  const issues: { path: (string | number)[]; message: string }[] = [];
  for (const [pattern, route] of Object.entries(config['numbers'])) {
    if (!isRecord(route) || !Array.isArray(route['webhooks'])) continue;
    route['webhooks'].forEach((hook: unknown, i) => {
      if (!isRecord(hook) || typeof hook['secretEnv'] !== 'string' || !ENV_NAME.test(hook['secretEnv'])) return;
      const problem = secretProblem(hook['secretEnv'], env[hook['secretEnv']]);
      if (problem !== undefined) issues.push({ path: ['numbers', pattern, 'webhooks', i, 'secretEnv'], message: problem });
    });
  }
  return issues;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
