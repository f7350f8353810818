/**
 * The `trunks:` section of the configuration: carriers and PBXs, each with an inbound side (who may send us calls:
 * `allow`, `auth`, `codecs`), an optional outbound side (`outbound:` where and how we send calls through it) and
 * optional registration (`register:` keep a binding at its registrar so it delivers calls to us).
 *
 * Outbound and registration secrets are only read from environment variables named in the file (`passwordEnv`);
 * the schema resolves them, so the rest of the gateway sees plain credentials and never reads `process.env`.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { codecList, srtpPolicy } from './config-media.js';
import { trunkTlsSchema } from './config-tls.js';
import { ENV_NAME, resolveSecret, type Env } from './config-secret.js';
import { DestinationPolicyError, parseCidr, parseDestinationEntry } from './routing/index.js';
import { isSipUri, isTelUri, parseUri } from './sip/uri.js';
import { SIP_TRANSPORTS } from './sip/transport/types.js';

/** Run a cross-field check even when a field inside failed; the check narrows what it reads. */
const ALWAYS = { when: () => true } as const;

const nonEmpty = z.string().trim().min(1);
const port = z.int().min(1).max(65535);

/** SIP transports a trunk may use; each must be enabled under `sip:` (`sip.udp`, `sip.tcp`, `sip.tls`). */
export const TRUNK_TRANSPORTS = ['udp', 'tcp', 'tls'] as const;
export type TrunkTransport = (typeof TRUNK_TRANSPORTS)[number];

/**
 * How the dialled number is written in the Request-URI and To of an outbound INVITE:
 * `e164` `+15557654321`; `e164-no-plus` `15557654321`; `national` in the trunk's country (`countryCode`, else
 * `sip.defaultCountryCode`): `5557654321` for country code 1, `02079460000` (trunk prefix 0) elsewhere; numbers of
 * other countries stay E.164 with `+`.
 */
export const NUMBER_FORMATS = ['e164', 'e164-no-plus', 'national'] as const;
export type NumberFormat = (typeof NUMBER_FORMATS)[number];

/** RFC 3323 / RFC 3325 `Privacy` values; `none` stands alone. */
export const PRIVACY_VALUES = ['none', 'header', 'session', 'user', 'id', 'critical'] as const;

const HOST = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+|[0-9A-Fa-f.]*:[0-9A-Fa-f:.]*)$/;
const host = z.string().trim().regex(HOST, 'must be a host name or IP address (no port: use port)');
/** A SIP user part we write ourselves: unreserved characters only (no escaping needed). */
const sipUser = z.string().regex(/^[A-Za-z0-9+._~-]{1,64}$/, 'must be 1 to 64 letters, digits or + . _ ~ -');

/** CIDR or bare address of an inbound `allow` list. */
export const cidr = z.string().superRefine((text, ctx) => {
  try {
    parseCidr(text);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: err instanceof Error ? err.message : String(err) });
  }
});

/** An E.164 prefix (`+1555`) or a SIP domain (`pbx.example.com`, `*.example.com`); see routing/destination-policy.ts. */
export const destinationEntry = z.string().superRefine((entry, ctx) => {
  try {
    parseDestinationEntry(entry);
  } catch (err) {
    if (!(err instanceof DestinationPolicyError)) throw err;
    ctx.addIssue({ code: 'custom', message: err.message });
  }
});

const countryCode = z
  .union([z.string(), z.int()])
  .transform((v) => String(v).replace(/^\+/, ''))
  .pipe(z.string().regex(/^[1-9]\d{0,2}$/, 'must be a country calling code of 1 to 3 digits, e.g. 1 or 44'));

/** Credentials we present to a carrier: the password only by environment variable name. */
function envCredentials(env: Env) {
  return z
    .strictObject({
      username: nonEmpty,
      passwordEnv: z.string().regex(ENV_NAME, 'must be an environment variable name').optional(),
      /** Refused with a clear message rather than "unrecognized key". */
      password: z.unknown().optional(),
    })
    .transform((a, ctx) => {
      if (a.password !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['password'], message: 'carrier passwords are read from the environment only: name the variable in passwordEnv' });
        return z.NEVER;
      }
      if (a.passwordEnv === undefined) {
        ctx.addIssue({ code: 'custom', path: ['passwordEnv'], message: 'is required: the environment variable holding the password' });
        return z.NEVER;
      }
      const password = resolveSecret('password', undefined, a.passwordEnv, env, ctx);
      return password === undefined ? z.NEVER : { username: a.username, password };
    });
}

const transport = z.enum(TRUNK_TRANSPORTS);

/** `P-Asserted-Identity`: an E.164 number or a sip:/sips:/tel: URI without headers. */
const assertedIdentity = z.string().superRefine((text, ctx) => {
  if (/^\+[1-9]\d{1,14}$/.test(text)) return;
  let ok = false;
  try {
    const uri = parseUri(text);
    ok = (isSipUri(uri) && uri.headers.size === 0) || isTelUri(uri);
  } catch {
    ok = false;
  }
  if (!ok) ctx.addIssue({ code: 'custom', message: 'must be an E.164 number (+15550100001) or a sip:, sips: or tel: URI' });
});

function outboundSchema(env: Env) {
  return z.strictObject({
    /** Where INVITEs go: the carrier's SIP proxy. */
    /** `port` defaults to the transport's: 5060, 5061 for TLS. */
    proxy: z
      .strictObject({ host, port: port.optional(), transport: transport.default('udp') })
      .transform((p) => ({ host: p.host, port: p.port ?? SIP_TRANSPORTS[p.transport].defaultPort, transport: p.transport })),
    /** Digest credentials for 401/407 challenges to our INVITEs. */
    auth: envCredentials(env).optional(),
    numberFormat: z.enum(NUMBER_FORMATS).default('e164'),
    /** The trunk's country for `numberFormat: national`; default `sip.defaultCountryCode`. */
    countryCode: countryCode.optional(),
    /**
     * Written before a national number (`numberFormat: national`): default none for country code 1, else `0`. Set
     * `''` for countries without a trunk prefix (Spain, Italy, Denmark, Norway …).
     */
    nationalPrefix: z.string().regex(/^\d{0,3}$/, 'must be up to 3 digits (or empty)').optional(),
    callerId: z
      .strictObject({
        /** From user part when the call names no caller (a number the carrier lets us present). */
        user: sipUser.optional(),
        displayName: z.string().regex(/^[^"\\\x00-\x1f\x7f]{1,64}$/, 'must be 1 to 64 characters without quotes, backslashes or control characters').optional(),
        pAssertedIdentity: assertedIdentity.optional(),
        privacy: z
          .array(z.enum(PRIVACY_VALUES))
          .min(1)
          .refine((p) => !p.includes('none') || p.length === 1, 'none stands alone')
          .refine((p) => new Set(p).size === p.length, 'must not repeat a value')
          .optional(),
      })
      .prefault({}),
    /** Codec preference of our offer (default `media.codecs`). */
    codecs: codecList.optional(),
    maxConcurrentCalls: z.int().min(1).default(10),
    callsPerSecond: z.number().positive().max(1000).default(1),
    /** Destinations calls may be placed to (E.164 prefixes, SIP domains); default none: every call refused. */
    allow: z.array(destinationEntry).default([]),
    deny: z.array(destinationEntry).default([]),
  });
}

function registerSchema(env: Env) {
  return z.strictObject({
    /** The registrar; default the outbound proxy's host, port and transport. */
    host: host.optional(),
    port: port.optional(),
    transport: transport.optional(),
    /** Address of record: `sip:<user>@<domain>` (domain default: the registrar host). */
    user: sipUser,
    domain: host.optional(),
    /** Default `outbound.auth`. */
    auth: envCredentials(env).optional(),
    /** Binding lifetime asked for; the registrar may grant less (or more, via 423 Min-Expires). */
    expiresS: z.int().min(1).max(604_800).default(3600),
    /**
     * User part of our Contact: calls the registrar delivers to it are admitted for this trunk. Default a token
     * derived from the trunk name and credentials (`pb-…`), stable across restarts and not guessable by scanners.
     */
    contactUser: sipUser.optional(),
  });
}

/** A trunk's registration with every default applied. */
export interface TrunkRegistrationConfig {
  readonly registrar: { readonly host: string; readonly port: number; readonly transport: TrunkTransport };
  readonly aor: { readonly user: string; readonly domain: string };
  readonly auth?: { readonly username: string; readonly password: string };
  readonly expiresS: number;
  readonly contactUser: string;
}

function trunkSchema(env: Env) {
  const auth = z
    .strictObject({
      username: nonEmpty,
      password: z.string().min(1).optional(),
      passwordEnv: z.string().regex(ENV_NAME, 'must be an environment variable name').optional(),
      /**
       * Digest challenges in order of preference (RFC 8760 §2.4: the UAC takes the topmost it supports). Put MD5
       * first for peers that read only the first challenge and know only MD5 (SIPp 3.6, older PBXs).
       */
      algorithms: z
        .array(z.enum(['SHA-256', 'MD5']))
        .min(1)
        .refine((a) => new Set(a).size === a.length, 'must not repeat an algorithm')
        .default(['SHA-256', 'MD5']),
    })
    .transform((a, ctx) => {
      const password = resolveSecret('password', a.password, a.passwordEnv, env, ctx);
      return password === undefined ? z.NEVER : { username: a.username, password, algorithms: a.algorithms };
    });
  return z
    .strictObject({
      name: nonEmpty,
      /** CIDRs or bare addresses; may be empty only when `auth` or `register` admits calls, or for outbound only. */
      allow: z.array(cidr).default([]),
      auth: auth.optional(),
      /** Codec preference for calls from this trunk (overrides `media.codecs`). */
      codecs: codecList.optional(),
      /** SRTP for calls from and to this trunk (overrides `media.srtp`; a number's `srtp` overrides it): docs/srtp.md. */
      srtp: srtpPolicy.optional(),
      outbound: outboundSchema(env).optional(),
      /**
       * How an agent's `transfer` of a call from this trunk is carried out: `refer` (default) sends a blind REFER to
       * the trunk; `bridge` rings the target through this trunk's outbound side and bridges it with the caller, the
       * gateway staying in the call (docs/forwarding.md): for carriers that refuse REFER, and so a transfer nobody
       * answers leaves the caller with the agent. Needs `outbound`.
       */
      transferBy: z.enum(['refer', 'bridge']).default('refer'),
      register: registerSchema(env).optional(),
      /** How we connect over TLS to this trunk's proxy and registrar (transport `tls`); config-tls.ts, docs/tls.md. */
      tls: trunkTlsSchema,
    })
    .superRefine((trunk: unknown, ctx) => {
      if (!isRecord(trunk) || !Array.isArray(trunk['allow'])) return;
      const admits = trunk['auth'] !== undefined || trunk['register'] !== undefined || trunk['outbound'] !== undefined;
      if (trunk['allow'].length === 0 && !admits) {
        ctx.addIssue({ code: 'custom', path: ['allow'], message: 'must not be empty unless auth, register or outbound is set' });
      }
      if (trunk['transferBy'] === 'bridge' && trunk['outbound'] === undefined) {
        ctx.addIssue({ code: 'custom', path: ['transferBy'], message: 'bridge needs the trunk\'s outbound side (outbound.proxy) to ring the target' });
      }
      const register = trunk['register'];
      if (isRecord(register) && register['host'] === undefined && trunk['outbound'] === undefined) {
        ctx.addIssue({ code: 'custom', path: ['register', 'host'], message: 'is required when the trunk has no outbound proxy' });
      }
    }, ALWAYS)
    .transform(({ register, ...trunk }): typeof trunk & { register?: TrunkRegistrationConfig } => {
      if (register === undefined) return trunk;
      const proxy = trunk.outbound?.proxy;
      const registrarHost = register.host ?? proxy?.host ?? '';
      const auth = register.auth ?? trunk.outbound?.auth;
      const registrarTransport = register.transport ?? proxy?.transport ?? 'udp';
      const resolved: TrunkRegistrationConfig = {
        registrar: { host: registrarHost, port: register.port ?? proxy?.port ?? SIP_TRANSPORTS[registrarTransport].defaultPort, transport: registrarTransport },
        aor: { user: register.user, domain: register.domain ?? registrarHost },
        ...(auth ? { auth } : {}),
        expiresS: register.expiresS,
        contactUser: register.contactUser ?? defaultContactUser(trunk.name, register.user, auth?.password),
      };
      return { ...trunk, register: resolved };
    });
}

/** `pb-` and 16 hex digits of a hash of what only we and the registrar know: stable, and not a guessable name. */
export function defaultContactUser(trunk: string, aorUser: string, password: string | undefined): string {
  return `pb-${createHash('sha256').update(`patchbay-contact\0${trunk}\0${aorUser}\0${password ?? ''}`).digest('hex').slice(0, 16)}`;
}

/** The `trunks:` list: names unique. Cross-section checks (transports, country codes) are in `trunkIssues`. */
export function trunksSchema(env: Env) {
  return z
    .array(trunkSchema(env))
    .superRefine((list: unknown, ctx) => {
      if (!Array.isArray(list)) return;
      const seen = new Set<string>();
      list.forEach((trunk: unknown, i) => {
        if (!isRecord(trunk) || typeof trunk['name'] !== 'string') return;
        if (seen.has(trunk['name'])) {
          ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate trunk name '${trunk['name']}'` });
        }
        seen.add(trunk['name']);
      });
    }, ALWAYS)
    .default([]);
}

/**
 * Checks between `trunks:` and `sip:` on the parsed (or partly parsed) configuration: a trunk's transports must be
 * enabled, `national` numbers need a country code, and no two registrations may share a contact user.
 */
export function trunkIssues(config: unknown): { path: (string | number)[]; message: string }[] {
  if (!isRecord(config) || !Array.isArray(config['trunks'])) return [];
  const sip = isRecord(config['sip']) ? config['sip'] : {};
  const issues: { path: (string | number)[]; message: string }[] = [];
  const contacts = new Map<string, number>();
  config['trunks'].forEach((trunk: unknown, i) => {
    if (!isRecord(trunk)) return;
    const outbound = isRecord(trunk['outbound']) ? trunk['outbound'] : undefined;
    const proxy = outbound && isRecord(outbound['proxy']) ? outbound['proxy'] : undefined;
    const register = isRecord(trunk['register']) ? trunk['register'] : undefined;
    const registrar = register && isRecord(register['registrar']) ? register['registrar'] : undefined;
    const uses: [(string | number)[], unknown][] = [
      [['trunks', i, 'outbound', 'proxy', 'transport'], proxy?.['transport']],
      [['trunks', i, 'register', 'transport'], registrar?.['transport']],
    ];
    for (const [path, t] of uses) {
      if ((t === 'udp' || t === 'tcp') && sip[t] === false) issues.push({ path, message: `${t} is disabled (sip.${t}: false)` });
      // Our Contact on a TLS trunk names our TLS port: the trunk's requests to us need the listener.
      if (t === 'tls' && !isRecord(sip['tls'])) issues.push({ path, message: 'tls needs the TLS listener (sip.tls with certFile and keyFile)' });
    }
    if (outbound?.['numberFormat'] === 'national' && outbound['countryCode'] === undefined && typeof sip['defaultCountryCode'] !== 'string') {
      issues.push({ path: ['trunks', i, 'outbound', 'countryCode'], message: 'is required for numberFormat national (or set sip.defaultCountryCode)' });
    }
    const contactUser = register?.['contactUser'];
    if (typeof contactUser === 'string') {
      const first = contacts.get(contactUser);
      if (first !== undefined) issues.push({ path: ['trunks', i, 'register', 'contactUser'], message: `'${contactUser}' is also trunks[${first}]'s contact user` });
      else contacts.set(contactUser, i);
    }
  });
  return issues;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
