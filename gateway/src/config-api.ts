/** The `api:` section of the configuration: the call-control REST API's keys and limits (gateway/src/api/). */
import { z } from 'zod';
import { ENV_NAME, type Env } from './config-secret.js';

/** Shortest API key accepted: 16 characters (`openssl rand -hex 32` gives 64). */
export const API_KEY_MIN_CHARS = 16;

function apiKeySchema(env: Env) {
  return z
    .strictObject({
      /** Names the key in logs and rate limits (never the secret). */
      name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1 to 64 letters, digits, _ . or -'),
      /** The environment variable holding the key (keys are never written in the file). */
      keyEnv: z.string().regex(ENV_NAME, 'must be an environment variable name'),
    })
    .transform((k, ctx) => {
      const key = env[k.keyEnv];
      if (key === undefined || key === '') {
        ctx.addIssue({ code: 'custom', path: ['keyEnv'], message: `environment variable ${k.keyEnv} is not set` });
        return z.NEVER;
      }
      if (key.length < API_KEY_MIN_CHARS || /\s/.test(key)) {
        ctx.addIssue({ code: 'custom', path: ['keyEnv'], message: `${k.keyEnv} must hold at least ${API_KEY_MIN_CHARS} characters and no spaces` });
        return z.NEVER;
      }
      return { name: k.name, key };
    });
}

export function apiSchema(env: Env) {
  return z
    .strictObject({
      /** Bearer keys; none = the API (and `/stats?reset=1`) answers loopback clients only. */
      keys: z
        .array(apiKeySchema(env))
        .superRefine((keys, ctx) => {
          const seen = new Set<string>();
          keys.forEach((k, i) => {
            if (seen.has(k.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate API key name '${k.name}'` });
            seen.add(k.name);
          });
        })
        .default([]),
      rateLimit: z
        .strictObject({
          /** `POST /v1/calls` per API key per minute (429 `RATE_LIMITED` beyond). */
          callsPerMinute: z.int().min(1).max(100_000).default(60),
        })
        .prefault({}),
      /** Largest request body (413 `BODY_TOO_LARGE` beyond). */
      bodyLimitBytes: z.int().min(1024).max(1024 * 1024).default(64 * 1024),
    })
    .prefault({});
}
