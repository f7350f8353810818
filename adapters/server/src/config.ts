/**
 * The adapter server's configuration (`adapters.yaml`): parsed once at start-up with zod, defaults in the schema,
 * unknown keys are errors, every problem listed at once with its path. Only the shape of each agent is checked here
 * (`adapter:` names an adapter); its options are validated by the adapter's own schema when the server builds it.
 * Secrets come only from environment variables named here; `env` is passed in, never read from `process.env`.
 */
import { readFileSync } from 'node:fs';
import { ENV_NAME_PATTERN, formatIssue, type Env } from '@patchbay/adapter-kit';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import type { AdapterSpec } from './registry.js';
import { AdapterServerConfigError } from './errors.js';

export const DEFAULT_PORT = 8790;
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
/** Shortest token secret accepted (the gateway asks the same of an inline `tokenSecret`). */
export const MIN_SECRET_CHARS = 16;

export interface AdapterServerConfig {
  readonly listen: { readonly host: string; readonly port: number };
  /** The HMAC secret every upgrade's `X-Patchbay-Token` must be signed with; undefined: no token is checked. */
  readonly tokenSecret: string | undefined;
  /** The base URL the gateway dials (`wss://adapters.example.com`), when it differs from the listening address. */
  readonly publicUrl: string | undefined;
  /** Each URL path's agent, as configured: `{ '/sales': { adapter: 'openai-realtime', ... } }`. */
  readonly agents: Readonly<Record<string, AdapterSpec>>;
  readonly log: { readonly level: (typeof LOG_LEVELS)[number] };
}

/** A path the server can serve: `/` followed by URL path characters. */
const agentPath = z.string().regex(/^\/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$/, 'must be a URL path starting with / (e.g. /sales)');

const adapterSpec = z.looseObject({
  adapter: z
    .string()
    .regex(/^[a-z][a-z0-9-]{0,63}$/, 'must be an adapter name such as openai-realtime')
    .refine((name) => name !== 'websocket', 'websocket is for the gateway (an agent at a URL); here, name an adapter such as openai-realtime'),
});

const publicUrl = z
  .string()
  .refine(
    (u) => /^wss?:\/\/[^/\s?#]+(\/[^\s?#]*)?$/i.test(u) && URL.canParse(u),
    'must be a ws:// or wss:// URL without a query, e.g. wss://adapters.example.com',
  );

const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '[::]']);

function schema(env: Env) {
  return z
    .strictObject({
      listen: z
        .strictObject({ host: z.string().trim().min(1).default('0.0.0.0'), port: z.int().min(0).max(65535).default(DEFAULT_PORT) })
        .prefault({}),
      /** Name of the environment variable holding the gateway's `agents.tokenSecret`. */
      tokenSecretEnv: z.string().regex(ENV_NAME_PATTERN, 'must be an environment variable name').optional(),
      publicUrl: publicUrl.optional(),
      agents: z
        .record(agentPath, adapterSpec)
        .refine((agents) => Object.keys(agents).length > 0, 'must name at least one path, e.g. /sales: { adapter: openai-realtime }'),
      log: z.strictObject({ level: z.enum(LOG_LEVELS).default('info') }).prefault({}),
    })
    .transform((c, ctx): AdapterServerConfig => {
      const { tokenSecretEnv, ...rest } = c;
      let tokenSecret: string | undefined;
      if (tokenSecretEnv !== undefined) {
        const value = env[tokenSecretEnv];
        if (value === undefined || value === '') {
          ctx.addIssue({ code: 'custom', path: ['tokenSecretEnv'], message: `environment variable ${tokenSecretEnv} is not set` });
        } else if (value.length < MIN_SECRET_CHARS) {
          ctx.addIssue({ code: 'custom', path: ['tokenSecretEnv'], message: `environment variable ${tokenSecretEnv} must hold at least ${MIN_SECRET_CHARS} characters` });
        } else tokenSecret = value;
        // Tokens are issued for the URL the gateway dials; on a wildcard address the server cannot know it.
        if (c.publicUrl === undefined && WILDCARD_HOSTS.has(c.listen.host)) {
          ctx.addIssue({
            code: 'custom',
            path: ['publicUrl'],
            message: `is required with tokenSecretEnv when listening on ${c.listen.host}: the base URL the gateway dials, e.g. ws://adapters:${c.listen.port}`,
          });
        }
      }
      return { ...rest, tokenSecret, publicUrl: c.publicUrl, agents: c.agents as Record<string, AdapterSpec> };
    });
}

/**
 * Validates an already-parsed configuration object. `env` resolves `tokenSecretEnv`.
 * @throws AdapterServerConfigError listing every problem.
 */
export function parseAdapterServerConfig(raw: unknown, env: Env, source = 'object'): AdapterServerConfig {
  const result = schema(env).safeParse(raw ?? {});
  if (result.success) return result.data;
  throw new AdapterServerConfigError(result.error.issues.flatMap(formatIssue), source, { cause: result.error });
}

/**
 * Reads and validates the YAML file `file` (an absolute path, or relative to the process's directory).
 * @throws AdapterServerConfigError listing every problem, including an unreadable file or a YAML syntax error.
 */
export function loadAdapterServerConfig(file: string, env: Env): AdapterServerConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new AdapterServerConfigError([`${file}: cannot read: ${why}`], file, { cause: err });
  }
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new AdapterServerConfigError(
      doc.errors.map((e) => `${file}: YAML syntax error: ${e.message.split('\n')[0] ?? e.code}`),
      file,
    );
  }
  return parseAdapterServerConfig(doc.toJS(), env, file);
}
