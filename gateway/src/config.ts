/**
 * The gateway's configuration: parsed once at start-up from `patchbay.yaml` (or `PATCHBAY_CONFIG`) and a few
 * environment overrides, validated with zod. Defaults live in the schema; unknown keys are errors (typos); every
 * problem is reported at once, one line per problem, with its path (`numbers."+1555".agent: ...`).
 *
 * This is the only module that reads `process.env`; everything else takes the typed `Config`.
 */
import { forwardTrunkIssues } from './forwarding/config.js';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { isScalar, parseDocument, visit } from 'yaml';
import { z } from 'zod';
import { formatIssue, formatPath } from '@patchbay/adapter-kit';
import { ENV_NAME, resolveSecret, type Env } from './config-secret.js';
import { apiSchema } from './config-api.js';
import { databaseOffIssues, databaseSchema } from './config-store.js';
import { drainSchema } from './config-drain.js';
import { edgeSchema, scannerUserAgentsSchema, unknownSourcesIssues, unknownSourcesSchema } from './config-edge.js';
import { httpSchema } from './config-http.js';
import { agentsSchema, codecList, mediaSchema } from './config-media.js';
import { numberRoute, transferPolicy } from './config-numbers.js';
import { trunkIssues, trunksSchema } from './config-trunks.js';
import { sipTlsSchema } from './config-tls.js';
import { numberWebhookIssues, webhooksSchema } from './config-webhooks.js';
import { duplicatePatternError, parseNumberPattern, RoutingError, type NumberPattern } from './routing/index.js';

export const DEFAULT_CONFIG_FILE = 'patchbay.yaml';
export { AGENT_PROTOCOLS, BUILTIN_AGENTS, numberRoute } from './config-numbers.js';
export { CODECS } from './config-media.js';
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;


export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'CONFIG_INVALID';

  constructor(
    /** One line per problem, `path: message`. */
    readonly issues: string[],
    /** Where the configuration came from: a file path, or a description. */
    readonly source: string,
    options?: ErrorOptions,
  ) {
    const count = issues.length === 1 ? '1 error' : `${issues.length} errors`;
    super(`Invalid Patchbay configuration (${source}), ${count}:\n${issues.map((i) => `  ${i}`).join('\n')}`, options);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Schema

/** Run a cross-field check even when a field inside failed; the check narrows what it reads. */
const ALWAYS = { when: () => true } as const;

const port = z.int().min(0).max(65535);
const mediaPort = z.int().min(1).max(65535);
const nonEmpty = z.string().trim().min(1);


function configSchema(env: Env) {
  const sip = z
    .strictObject({
      host: nonEmpty.default('0.0.0.0'),
      port: port.default(5060),
      udp: z.boolean().default(true),
      tcp: z.boolean().default(true),
      /**
       * TCP connection bounds (sip/transport/types.ts TcpLimits). 1,000 connections in all and 50 per source
       * address: a carrier or PBX uses a handful, so one source cannot take the table. 5 min idle (no SIP message;
       * RFC 5626 pings count once the peer has sent a message) outlasts carriers' 30-60 s OPTIONS pings; 10 s for
       * a message to arrive whole (and for an accepted connection's first message) is ample on any real link.
       */
      tcpLimits: z
        .strictObject({
          maxConnections: z.int().min(1).default(1000),
          maxConnectionsPerIp: z.int().min(1).default(50),
          idleTimeoutMs: z.int().min(100).default(300_000),
          incompleteMessageTimeoutMs: z.int().min(100).default(10_000),
        })
        .prefault({}),
      /** SIP over TLS on its own port (config-tls.ts, docs/tls.md); absent: no TLS. */
      tls: sipTlsSchema,
      /** Address advertised in Contact and SDP; null = the caller picks one. */
      publicAddress: z.string().regex(/^\S+$/, 'must be a host name or IP address').nullable().default(null),
      maxMessageBytes: z.int().min(1024).max(65535).default(65535),
      /**
       * Live SIP transactions before new out-of-dialog requests get 503. RFC 6026 keeps each answered INVITE 32 s
       * (Timer L) and each BYE 32 s (Timer J), so the stack holds ~64 transactions per call-per-second of load.
       */
      maxTransactions: z.int().min(100).default(100_000),
      maxConcurrentCalls: z.int().min(1).default(1000),
      retryAfterSeconds: z.int().min(0).default(5),
      ringing: z.boolean().default(false),
      answerDelayMs: z.int().min(0).max(60_000).default(0),
      /** Country code for national numbers; YAML `1` and `'+1'` are both read as `'1'`. */
      defaultCountryCode: z
        .union([z.string(), z.int()])
        .transform((v) => String(v).replace(/^\+/, ''))
        .pipe(z.string().regex(/^[1-9]\d{0,2}$/, 'must be a country calling code of 1 to 3 digits, e.g. 1 or 44'))
        .nullable()
        .default(null),
      userAgent: nonEmpty.default('Patchbay'),
      timers: z
        .strictObject({
          t1Ms: z.int().min(1).default(500),
          t2Ms: z.int().min(1).default(4000),
          t4Ms: z.int().min(1).default(5000),
        })
        .superRefine((t: unknown, ctx) => {
          if (!isRecord(t) || typeof t['t1Ms'] !== 'number' || typeof t['t2Ms'] !== 'number') return;
          if (t['t2Ms'] < t['t1Ms']) ctx.addIssue({ code: 'custom', path: ['t2Ms'], message: 'must be >= t1Ms' });
        }, ALWAYS)
        .prefault({}),
      authRealm: nonEmpty.default('patchbay'),
      /**
       * Digest guessing limits: `maxFailures` failed digests from one source address (IPv6: its /64) within
       * `windowMs` lock it out for `lockoutMs`, during which its credentials are refused unchecked, right or wrong
       * (0 = no lockout). A nonce that has had `maxFailuresPerNonce` wrong responses is spent (0 = no limit).
       */
      authThrottle: z
        .strictObject({
          maxFailures: z.int().min(0).default(10),
          windowMs: z.int().min(1).default(60_000),
          lockoutMs: z.int().min(1).default(300_000),
          /** Sources remembered (each of: with recent failures, locked out); beyond it the stalest are forgotten. */
          maxSources: z.int().min(1).default(10_000),
          maxFailuresPerNonce: z.int().min(0).default(3),
        })
        .prefault({}),
      /** Per-source rate limit and ban list before parsing (config-edge.ts, docs/edge.md). */
      edge: edgeSchema,
      /** `answer` | `drop`: requests from outside every trunk's allow-list answered as usual, or dropped unanswered. */
      unknownSources: unknownSourcesSchema,
      /** User-Agent substrings of known scanners, dropped before parsing (edge/scanners.ts, docs/edge.md). */
      scannerUserAgents: scannerUserAgentsSchema,
      /**
       * Host (optionally `:port`) of the Refer-To URI when an agent transfers a call to a phone number:
       * `sip:<number>@<transferDomain>`. null = the host the call came from (the carrier or PBX that sent the INVITE).
       */
      transferDomain: z
        .string()
        .regex(/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+)(:\d{1,5})?$/, 'must be a host name or address, optionally with :port')
        .nullable()
        .default(null),
    })
    .prefault({});

  /** The HTTP listeners: main (health, API), admin (metrics, stats), HTTPS (config-http.ts; docs/http.md). */
  const http = httpSchema();

  const media = mediaSchema();

  const trunks = trunksSchema(env);

  return z
    .strictObject({
      sip,
      http,
      media,
      numbers: z.record(z.string(), numberRoute).prefault({ '*': { agent: 'demo' } }),
      trunks,
      /** Transfer destinations of every number without its own `transfer`; default: none (transfers refused). */
      transfer: transferPolicy.prefault({}),
      agents: agentsSchema(env),
      /** The call-control REST API: keys (from env), limits. */
      api: apiSchema(env),
      /** Event webhooks: endpoints, limits, retries (config-webhooks.ts; docs/webhooks.md). */
      webhooks: webhooksSchema(env),
      /** Where call records, webhook deliveries and runtime numbers live (store/, docs/store.md). */
      database: databaseSchema(env),
      /** Graceful drain on SIGTERM: how long live calls may go on, the Retry-After of the 503s (config-drain.ts; docs/drain.md). */
      drain: drainSchema(),
      log: z.strictObject({ level: z.enum(LOG_LEVELS).default('info') }).prefault({}),
    })
    .superRefine((config: unknown, ctx) => {
      for (const issue of numberKeyIssues(config)) ctx.addIssue({ code: 'custom', ...issue });
      for (const issue of trunkIssues(config)) ctx.addIssue({ code: 'custom', ...issue });
      for (const issue of forwardTrunkIssues(config)) ctx.addIssue({ code: 'custom', ...issue });
      for (const issue of numberWebhookIssues(config, env)) ctx.addIssue({ code: 'custom', ...issue });
      for (const issue of databaseOffIssues(config)) ctx.addIssue({ code: 'custom', ...issue });
      for (const issue of unknownSourcesIssues(config)) ctx.addIssue({ code: 'custom', ...issue });
    }, ALWAYS);
}

export type Config = z.output<ReturnType<typeof configSchema>>;
export type NumberRouteConfig = Config['numbers'][string];
export type TrunkConfig = Config['trunks'][number];

/**
 * Number keys that are not valid patterns, or the same as another after normalisation (`15550100001` and
 * `+1 555 010 0001`). Checked here rather than by a key schema so the entry's value is still validated too.
 */
function numberKeyIssues(config: unknown): { path: string[]; message: string }[] {
  if (!isRecord(config) || !isRecord(config['numbers'])) return [];
  const sip = config['sip'];
  const cc = isRecord(sip) && typeof sip['defaultCountryCode'] === 'string' ? sip['defaultCountryCode'] : undefined;
  return numberPatternIssues(Object.keys(config['numbers']), cc);
}

/** `numberKeyIssues` over a list of patterns (also the numbers API's check of YAML and runtime entries together). */
export function numberPatternIssues(keys: Iterable<string>, cc: string | undefined): { path: string[]; message: string }[] {
  const seen = new Map<string, NumberPattern>();
  const issues: { path: string[]; message: string }[] = [];
  for (const key of keys) {
    try {
      const pattern = parseNumberPattern(key, { defaultCountryCode: cc });
      const id = `${pattern.kind}:${pattern.key}`;
      const first = seen.get(id);
      if (first !== undefined) throw duplicatePatternError(first, pattern);
      seen.set(id, pattern);
    } catch (err) {
      if (!(err instanceof RoutingError)) throw err;
      issues.push({ path: ['numbers', key], message: err.message });
    }
  }
  return issues;
}

// ---------------------------------------------------------------------------------------------------------------
// Loading

export interface LoadOptions {
  /**
   * Where `patchbay.yaml` is looked for and a relative `PATCHBAY_CONFIG` is resolved from: the directory the user
   * ran the command in (main.ts passes npm's `INIT_CWD`, since `npm start` runs the gateway in `gateway/`);
   * default `process.cwd()`.
   */
  cwd?: string;
  /** Default `process.env`. */
  env?: Record<string, string | undefined>;
}

/** Where the configuration came from: a file (named by `PATCHBAY_CONFIG`, or `patchbay.yaml` found in `dir`), or none. */
export type ConfigSource =
  | { readonly kind: 'file'; readonly path: string; readonly via: 'PATCHBAY_CONFIG' | 'patchbay.yaml' }
  | { readonly kind: 'defaults'; readonly dir: string };

/** Validate an already-parsed object (e.g. from a test or another loader). `env` resolves `...Env` secrets. */
export function parseConfig(raw: unknown, env: Env = {}): Config {
  return validate(raw ?? {}, env, [], 'object');
}

/**
 * Load `env.PATCHBAY_CONFIG` (which must exist) or else `patchbay.yaml` in `cwd` if present, else defaults; apply
 * `PATCHBAY_SIP_PORT`, `PATCHBAY_HTTP_PORT`, `PATCHBAY_LOG_LEVEL` and `PATCHBAY_PUBLIC_ADDRESS`; validate.
 * @throws ConfigError listing every problem.
 */
export function loadConfig(options: LoadOptions = {}): Config {
  return loadConfigWithSource(options).config;
}

/** `loadConfig`, also saying which file was read (for the start-up log and banner). */
export function loadConfigWithSource(options: LoadOptions = {}): { config: Config; source: ConfigSource } {
  const cwd = resolve(options.cwd ?? process.cwd());
  const env = options.env ?? process.env;
  const explicit = env['PATCHBAY_CONFIG'];
  let raw: unknown = {};
  let source: ConfigSource = { kind: 'defaults', dir: cwd };
  if (explicit !== undefined && explicit !== '') {
    const path = resolve(cwd, explicit);
    if (!existsSync(path)) {
      const relative = path === explicit ? '' : ` (relative to ${cwd}, where the command was run)`;
      throw new ConfigError([`PATCHBAY_CONFIG=${explicit}: file not found: ${path}${relative}`], path);
    }
    source = { kind: 'file', path, via: 'PATCHBAY_CONFIG' };
    raw = readYaml(path);
  } else {
    const candidate = resolve(cwd, DEFAULT_CONFIG_FILE);
    if (existsSync(candidate)) {
      source = { kind: 'file', path: candidate, via: 'patchbay.yaml' };
      raw = readYaml(candidate);
    }
  }
  const envIssues: string[] = [];
  raw = applyEnvOverrides(raw ?? {}, env, envIssues);
  const label = source.kind === 'file' ? source.path : 'defaults';
  return { config: validate(raw, env, envIssues, label), source };
}

function validate(raw: unknown, env: Env, extraIssues: string[], source: string): Config {
  const result = configSchema(env).safeParse(raw);
  const issues = [...extraIssues, ...(result.success ? [] : result.error.issues.flatMap(formatIssue))];
  if (issues.length > 0 || !result.success) throw new ConfigError(issues, source, { cause: result.error });
  return result.data;
}

function readYaml(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new ConfigError([`${file}: cannot read: ${why}`], file, { cause: err });
  }
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    const issues = doc.errors.map((e) => `${file}: YAML syntax error: ${e.message.split('\n')[0] ?? e.code}`);
    throw new ConfigError(issues, file);
  }
  // Keep map keys as written: YAML reads `+15550100001:` as the integer 15550100001 and `0044...:` as 44...
  visit(doc, {
    Pair(_, pair) {
      if (isScalar(pair.key) && typeof pair.key.value !== 'string' && pair.key.source !== undefined) {
        pair.key.value = pair.key.source;
      }
    },
  });
  return doc.toJS();
}

interface EnvOverride {
  readonly name: string;
  readonly section: 'sip' | 'http' | 'log' | 'database';
  /** A key of the section, or [key, sub-key] (`http.admin.port`). */
  readonly key: string | readonly [string, string];
  readonly parse: (value: string) => { value: unknown } | { error: string };
}

const parsePort = (value: string): { value: unknown } | { error: string } =>
  /^\d{1,5}$/.test(value) && Number(value) <= 65535
    ? { value: Number(value) }
    : { error: `must be a port number from 0 to 65535, got '${value}'` };

const ENV_OVERRIDES: readonly EnvOverride[] = [
  { name: 'PATCHBAY_SIP_PORT', section: 'sip', key: 'port', parse: parsePort },
  { name: 'PATCHBAY_HTTP_PORT', section: 'http', key: 'port', parse: parsePort },
  { name: 'PATCHBAY_ADMIN_PORT', section: 'http', key: ['admin', 'port'], parse: parsePort },
  {
    name: 'PATCHBAY_LOG_LEVEL',
    section: 'log',
    key: 'level',
    parse: (v) =>
      (LOG_LEVELS as readonly string[]).includes(v)
        ? { value: v }
        : { error: `must be one of ${LOG_LEVELS.join(', ')}, got '${v}'` },
  },
  { name: 'PATCHBAY_PUBLIC_ADDRESS', section: 'sip', key: 'publicAddress', parse: (v) => ({ value: v.trim() }) },
  /** The Docker image sets it: the records' folder is a volume, whatever configuration file is mounted. */
  { name: 'PATCHBAY_DATA_DIR', section: 'database', key: 'dataDir', parse: (v) => ({ value: v.trim() }) },
];

/** A copy of `raw` with the environment overrides applied; bad values are reported under the variable's name. */
function applyEnvOverrides(raw: unknown, env: Env, issues: string[]): unknown {
  if (!isRecord(raw)) return raw; // the schema reports a non-object file
  const out: Record<string, unknown> = { ...raw };
  for (const o of ENV_OVERRIDES) {
    const value = env[o.name];
    if (value === undefined || value === '') continue;
    const parsed = o.parse(value);
    if ('error' in parsed) {
      issues.push(`${o.name}: ${parsed.error}`);
      continue;
    }
    const section = out[o.section] ?? {};
    if (!isRecord(section)) continue;
    if (typeof o.key === 'string') out[o.section] = { ...section, [o.key]: parsed.value };
    else {
      const [key, sub] = o.key;
      const inner = section[key];
      out[o.section] = { ...section, [key]: { ...(isRecord(inner) ? inner : {}), [sub]: parsed.value } };
    }
  }
  return out;
}

/** Config paths are written the same way in every Patchbay configuration (adapter-kit's formatter). */
export { formatPath };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
