/**
 * Decides whether an initial INVITE may become a call, in the order that leaks least to strangers: source
 * allowlist (403), trunk authentication (401/403), number routing (404), capacity (503). A refusal is a
 * `CallRejection` carrying the status, a reason phrase naming the cause, and any headers the status needs.
 *
 * Failed credentials are the exception to "a reason phrase naming the cause": whatever failed (unknown username,
 * wrong password, a locked-out source), the answer is one status line with no extra headers, so it cannot serve
 * as a username or password oracle. The cause is in the rejection's `code` (logged) and in `stats.failures`.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { DigestAuthenticator, parseCredentials } from '../sip/auth/digest.js';
import { FailureThrottle } from '../sip/auth/failure-throttle.js';
import { SipError } from '../sip/errors.js';
import { getHeader, type SipHeader, type SipRequest } from '../sip/message.js';
import { CidrSet, normalizeNumber, NumberRouter, parseIp, TrunkMatcher, type RouteMatch, type TrunkSpec } from '../routing/index.js';
import { isSipUri, parseUri } from '../sip/uri.js';
import type { Config } from '../config.js';
import { newAuthStats, type AuthStats } from './call-stats.js';

/** The one reason phrase of every 403 for failed credentials. */
export const AUTH_FAILED_REASON = 'Forbidden - authentication failed';

/**
 * Why digest authentication failed: the key in `stats.auth.failures` and the CallRejection `code` (in logs).
 * Every cause answered 403 is answered with AUTH_FAILED_REASON; only the code differs.
 */
export const AUTH_FAILURE_CODE = {
  /** 403: no trunk has this username (checked at the cost of a wrong password). */
  'unknown-user': 'CALL_AUTH_UNKNOWN_USER',
  /** 403: the response does not match (wrong password, or method/uri hashed differently). */
  'bad-response': 'CALL_AUTH_BAD_RESPONSE',
  /** 403: the credentials name another realm than `sip.authRealm`. */
  realm: 'CALL_AUTH_REALM',
  /** 403: the digest `uri` is not the Request-URI. */
  'uri-mismatch': 'CALL_AUTH_URI_MISMATCH',
  /** 403: an algorithm the trunk does not offer. */
  algorithm: 'CALL_AUTH_ALGORITHM',
  /** 403: the source is locked out (`sip.authThrottle`): its credentials are refused unchecked, right or wrong. */
  'locked-out': 'CALL_AUTH_LOCKED_OUT',
  /** 401 (a fresh challenge): the nonce has had `sip.authThrottle.maxFailuresPerNonce` wrong responses. */
  'nonce-spent': 'CALL_AUTH_NONCE_SPENT',
  /** 400: the Authorization header does not parse. */
  malformed: 'CALL_AUTH_MALFORMED',
} as const;
export type AuthFailureCause = keyof typeof AUTH_FAILURE_CODE;

export type NumberRoute = Config['numbers'][string];

/** A number's route and where it came from; `adapterKey` names its adapter agent when not its pattern. */
export interface RoutedNumber {
  readonly route: NumberRoute;
  readonly source: 'config' | 'numbers-api';
  readonly adapterKey?: string | undefined;
}

/** Where admission looks numbers up: the YAML's (default), or the number book (numbers/), swapped atomically. */
export interface NumberLookup {
  lookup(number: string): RouteMatch<RoutedNumber> | undefined;
}

export class CallRejection extends SipError {
  constructor(
    status: number,
    reason: string,
    readonly headers: SipHeader[] = [],
    code = 'CALL_REJECTED',
  ) {
    super(status, reason, { code });
  }
}

export interface Admission {
  /** The called number, normalised (E.164 when it is a phone number). */
  readonly number: string;
  /** The caller, normalised, for the agent's `start` message and logs (personal data: redact in logs). */
  readonly from: string;
  readonly route: NumberRoute;
  /** The routing pattern that matched, e.g. `+1555*`. */
  readonly pattern: string;
  readonly trunk?: string;
  /** Where the route came from (`patchbay.yaml` or the numbers API). */
  readonly source: RoutedNumber['source'];
  /** The adapter agent's key when it is not the pattern (runtime entries). */
  readonly adapterKey?: string | undefined;
}

export interface AdmissionOptions {
  config: Config;
  /** Number of calls live now (admitted and not yet ended). */
  activeCalls: () => number;
  /** Where authentication outcomes are counted (the controller's, for `GET /stats`); default a private one. */
  stats?: AuthStats;
  /** Lockouts are logged here (warn, with the source address). */
  logger?: Logger;
  /** Monotonic clock of the failure throttle, ms; default performance.now. */
  now?: () => number;
  /** The numbers to route by; default `config.numbers`, read once. */
  numbers?: NumberLookup;
}

export class CallAdmission {
  private readonly router: NumberLookup;
  private readonly trunks: TrunkMatcher;
  private readonly authOnlyTrunks: TrunkSpec[];
  /** Trunks that register, by the user part of the Contact they register (see `registeredContact`). */
  private readonly contacts = new Map<string, { readonly spec: TrunkSpec; readonly allow: CidrSet }>();
  /** One authenticator per trunk (its algorithm order); all share the nonce secret. */
  private readonly authenticators = new Map<string, DigestAuthenticator>();
  private readonly nonceSecret = randomBytes(32);
  private readonly normalizeOptions: { defaultCountryCode?: string };
  /** Failed digests per source; undefined when `sip.authThrottle.maxFailures` is 0. */
  private readonly throttle: FailureThrottle | undefined;
  readonly stats: AuthStats;

  constructor(private readonly options: AdmissionOptions) {
    const { config } = options;
    this.stats = options.stats ?? newAuthStats();
    const limits = config.sip.authThrottle;
    this.throttle =
      limits.maxFailures === 0
        ? undefined
        : new FailureThrottle({ ...limits, ...(options.now ? { now: options.now } : {}) });
    this.normalizeOptions = config.sip.defaultCountryCode ? { defaultCountryCode: config.sip.defaultCountryCode } : {};
    this.router =
      options.numbers ??
      new NumberRouter<RoutedNumber>(Object.entries(config.numbers).map(([p, route]) => [p, { route, source: 'config' }] as const), this.normalizeOptions);
    // A trunk for outbound calls only (no allow, auth or register) admits nothing and leaves inbound as it was.
    const inbound = config.trunks.filter((t) => t.allow.length > 0 || t.auth !== undefined || t.register !== undefined);
    const specs: TrunkSpec[] = inbound.map((t) => ({
      name: t.name,
      allow: t.allow,
      ...(t.auth ? { auth: { username: t.auth.username, password: t.auth.password, algorithms: t.auth.algorithms } } : {}),
    }));
    this.trunks = new TrunkMatcher(specs);
    inbound.forEach((t, i) => {
      const spec = specs[i];
      if (t.register && spec) this.contacts.set(t.register.contactUser, { spec, allow: new CidrSet(t.allow) });
    });
    this.authOnlyTrunks = specs.filter((t) => t.allow.length === 0 && t.auth !== undefined);
  }

  /** Admits the INVITE or throws a CallRejection. */
  admit(invite: SipRequest, sourceAddress: string): Admission {
    const registered = this.registeredContact(invite, sourceAddress);
    const trunk = registered ?? this.authenticate(invite, sourceAddress);
    // Delivered to our contact, the Request-URI names the contact: the dialled number is in To.
    const { number, hit, pattern } = this.route(invite, registered !== undefined);
    const { config } = this.options;
    if (this.options.activeCalls() >= config.sip.maxConcurrentCalls) {
      throw new CallRejection(
        503,
        'Service Unavailable - maximum concurrent calls reached',
        [{ name: 'Retry-After', value: String(config.sip.retryAfterSeconds) }],
        'CALL_CAPACITY',
      );
    }
    const from = normalizeNumber(getHeader(invite, 'from') ?? '', this.normalizeOptions);
    const { route, source, adapterKey } = hit;
    return { number, from, route, pattern, source, ...(adapterKey === undefined ? {} : { adapterKey }), ...(trunk ? { trunk: trunk.name } : {}) };
  }

  /**
   * The trunk whose registrar delivered this INVITE to the Contact we registered: the Request-URI user is that
   * trunk's `register.contactUser` (by default a token derived from its credentials, unknown to scanners), and the
   * source is in the trunk's `allow` list when it has one. No digest: a registrar relaying calls does not answer
   * challenges. Anything else goes through the usual checks.
   */
  private registeredContact(invite: SipRequest, sourceAddress: string): TrunkSpec | undefined {
    if (this.contacts.size === 0) return undefined;
    let user: string | undefined;
    try {
      const uri = parseUri(invite.uri);
      user = isSipUri(uri) ? uri.user : undefined;
    } catch {
      return undefined;
    }
    const hit = user === undefined ? undefined : this.contacts.get(user);
    if (hit === undefined || (hit.spec.allow.length > 0 && !hit.allow.contains(sourceAddress))) return undefined;
    return hit.spec;
  }

  private authenticate(invite: SipRequest, sourceAddress: string): TrunkSpec | undefined {
    if (this.trunks.open) return undefined;
    const byAddress = this.trunks.match(sourceAddress);
    if (byAddress && !byAddress.auth) return byAddress;
    const candidates = byAddress ? [byAddress] : this.authOnlyTrunks;
    const first = candidates[0];
    if (first === undefined) {
      throw new CallRejection(403, 'Forbidden - source address not allowed', [], 'CALL_SOURCE_FORBIDDEN');
    }
    const authorization = getHeader(invite, 'authorization');
    if (authorization === undefined) throw this.challenge(first, false);
    // The credentials name the trunk (auth-only trunks share no address); its authenticator checks them.
    const username = parseCredentials(authorization)?.params.get('username');
    const trunk = candidates.find((t) => t.auth?.username === username) ?? first;
    // A locked-out source goes through every check a client can see except the digest itself, and is refused
    // where a wrong digest would be: what it sees is what a wrong password gets, so the lockout reveals nothing.
    const source = throttleKey(sourceAddress);
    const refuse = this.throttle?.isLocked(source) ?? false;
    const lookup = (name: string): { username: string; password: string } | undefined =>
      trunk.auth && trunk.auth.username === name ? { username: name, password: trunk.auth.password } : undefined;
    const result = this.authenticatorFor(trunk).verify(invite.method, invite.uri, authorization, lookup, { refuse });
    if (result.ok) return trunk;
    switch (result.reason) {
      case 'missing':
      case 'stale':
      case 'replay':
        throw this.challenge(trunk, result.reason !== 'missing');
      case 'nonce-spent':
        this.count('nonce-spent');
        throw this.challenge(trunk, false);
      case 'malformed':
        this.count('malformed');
        throw new CallRejection(400, 'Bad Request - malformed Authorization header', [], AUTH_FAILURE_CODE.malformed);
      case 'refused':
        throw this.refuse('locked-out', source);
      case 'unknown-user':
      case 'bad-response':
      case 'realm':
      case 'uri-mismatch':
      case 'algorithm':
        throw this.refuse(result.reason, source);
    }
  }

  private count(cause: AuthFailureCause): void {
    this.stats.failures[cause] = (this.stats.failures[cause] ?? 0) + 1;
  }

  /** The one 403 for failed credentials; a failure that was checked counts towards its source's lockout. */
  private refuse(cause: Exclude<AuthFailureCause, 'nonce-spent' | 'malformed'>, source: string): CallRejection {
    this.count(cause);
    if (cause !== 'locked-out' && this.throttle?.fail(source) === 'locked') {
      this.stats.lockouts++;
      const { maxFailures, windowMs, lockoutMs } = this.options.config.sip.authThrottle;
      this.options.logger?.warn({ source, maxFailures, windowMs, lockoutMs, code: AUTH_FAILURE_CODE['locked-out'] }, 'source locked out after failed authentications');
    }
    return new CallRejection(403, AUTH_FAILED_REASON, [], AUTH_FAILURE_CODE[cause]);
  }

  private authenticatorFor(trunk: TrunkSpec): DigestAuthenticator {
    let digest = this.authenticators.get(trunk.name);
    if (!digest) {
      digest = new DigestAuthenticator({
        realm: this.options.config.sip.authRealm,
        secret: this.nonceSecret,
        algorithms: [...(trunk.auth?.algorithms ?? ['SHA-256', 'MD5'])],
        maxFailuresPerNonce: this.options.config.sip.authThrottle.maxFailuresPerNonce,
      });
      this.authenticators.set(trunk.name, digest);
    }
    return digest;
  }

  private challenge(trunk: TrunkSpec, stale: boolean): CallRejection {
    this.stats.challenges++;
    const headers = this.authenticatorFor(trunk).challenge({ stale }).map((value) => ({ name: 'WWW-Authenticate', value }));
    return new CallRejection(401, 'Unauthorized', headers, 'CALL_AUTH_REQUIRED');
  }

  private route(invite: SipRequest, toFirst = false): { number: string; hit: RoutedNumber; pattern: string } {
    const fromUri = normalizeNumber(invite.uri, this.normalizeOptions);
    const candidates = [fromUri];
    const to = getHeader(invite, 'to');
    if (to !== undefined) candidates[toFirst ? 'unshift' : 'push'](normalizeNumber(to, this.normalizeOptions));
    for (const number of candidates) {
      if (number === '') continue;
      const hit = this.router.lookup(number);
      if (hit) return { number, hit: hit.value, pattern: hit.pattern };
    }
    throw new CallRejection(404, 'Not Found - no route for the called number', [], 'CALL_NO_ROUTE');
  }
}

/** The throttle's key for a source: the IPv4 address (also when IPv4-mapped), or an IPv6 address's /64. */
export function throttleKey(address: string): string {
  const bytes = parseIp(address);
  if (bytes === undefined || bytes.length === 4) return address;
  const v4Mapped = bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  if (v4Mapped) return bytes.subarray(12).join('.');
  // One host on IPv6 holds a whole /64: counting per address would give it 2^64 fresh starts.
  return `${Buffer.from(bytes.subarray(0, 8)).toString('hex')}::/64`;
}
