/**
 * Decides whether an initial INVITE may become a call, in the order that leaks least to strangers: source
 * allowlist (403), trunk authentication (401/403), number routing (404), capacity (503). A refusal is a
 * `CallRejection` carrying the status, a reason phrase naming the cause, and any headers the status needs.
 */
import { randomBytes } from 'node:crypto';
import { DigestAuthenticator, parseCredentials } from '../sip/auth/digest.js';
import { SipError } from '../sip/errors.js';
import { getHeader, type SipHeader, type SipRequest } from '../sip/message.js';
import { normalizeNumber, NumberRouter, TrunkMatcher, type TrunkSpec } from '../routing/index.js';
import type { Config } from '../config.js';

export type NumberRoute = Config['numbers'][string];

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
}

export interface AdmissionOptions {
  config: Config;
  /** Number of calls live now (admitted and not yet ended). */
  activeCalls: () => number;
}

export class CallAdmission {
  private readonly router: NumberRouter<NumberRoute>;
  private readonly trunks: TrunkMatcher;
  private readonly authOnlyTrunks: TrunkSpec[];
  /** One authenticator per trunk (its algorithm order); all share the nonce secret. */
  private readonly authenticators = new Map<string, DigestAuthenticator>();
  private readonly nonceSecret = randomBytes(32);
  private readonly normalizeOptions: { defaultCountryCode?: string };

  constructor(private readonly options: AdmissionOptions) {
    const { config } = options;
    this.normalizeOptions = config.sip.defaultCountryCode ? { defaultCountryCode: config.sip.defaultCountryCode } : {};
    this.router = new NumberRouter(Object.entries(config.numbers), this.normalizeOptions);
    const specs: TrunkSpec[] = config.trunks.map((t) => ({
      name: t.name,
      allow: t.allow,
      ...(t.auth ? { auth: { username: t.auth.username, password: t.auth.password, algorithms: t.auth.algorithms } } : {}),
    }));
    this.trunks = new TrunkMatcher(specs);
    this.authOnlyTrunks = specs.filter((t) => t.allow.length === 0 && t.auth !== undefined);
  }

  /** Admits the INVITE or throws a CallRejection. */
  admit(invite: SipRequest, sourceAddress: string): Admission {
    const trunk = this.authenticate(invite, sourceAddress);
    const { number, route, pattern } = this.route(invite);
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
    return { number, from, route, pattern, ...(trunk ? { trunk: trunk.name } : {}) };
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
    const result = this.authenticatorFor(trunk).verify(invite.method, invite.uri, authorization, (name) =>
      trunk.auth && trunk.auth.username === name ? { username: name, password: trunk.auth.password } : undefined,
    );
    if (result.ok) return trunk;
    switch (result.reason) {
      case 'missing':
      case 'stale':
      case 'replay':
        throw this.challenge(trunk, result.reason !== 'missing');
      case 'malformed':
        throw new CallRejection(400, 'Bad Request - malformed Authorization header', [], 'CALL_AUTH_MALFORMED');
      case 'unknown-user':
      case 'bad-response':
      case 'realm':
      case 'uri-mismatch':
      case 'algorithm':
        throw new CallRejection(403, `Forbidden - authentication failed (${result.reason})`, [], 'CALL_AUTH_FAILED');
    }
  }

  private authenticatorFor(trunk: TrunkSpec): DigestAuthenticator {
    let digest = this.authenticators.get(trunk.name);
    if (!digest) {
      digest = new DigestAuthenticator({
        realm: this.options.config.sip.authRealm,
        secret: this.nonceSecret,
        algorithms: [...(trunk.auth?.algorithms ?? ['SHA-256', 'MD5'])],
      });
      this.authenticators.set(trunk.name, digest);
    }
    return digest;
  }

  private challenge(trunk: TrunkSpec, stale: boolean): CallRejection {
    const headers = this.authenticatorFor(trunk).challenge({ stale }).map((value) => ({ name: 'WWW-Authenticate', value }));
    return new CallRejection(401, 'Unauthorized', headers, 'CALL_AUTH_REQUIRED');
  }

  private route(invite: SipRequest): { number: string; route: NumberRoute; pattern: string } {
    const fromUri = normalizeNumber(invite.uri, this.normalizeOptions);
    const candidates = [fromUri];
    const to = getHeader(invite, 'to');
    if (to !== undefined) candidates.push(normalizeNumber(to, this.normalizeOptions));
    for (const number of candidates) {
      if (number === '') continue;
      const hit = this.router.lookup(number);
      if (hit) return { number, route: hit.value, pattern: hit.pattern };
    }
    throw new CallRejection(404, 'Not Found - no route for the called number', [], 'CALL_NO_ROUTE');
  }
}
