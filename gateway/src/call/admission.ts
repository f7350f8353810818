/**
 * Decides whether an initial INVITE may become a call, in the order that leaks least to strangers: source
 * allowlist (403), trunk authentication (401/403), number routing (404), capacity (503). A refusal is a
 * `CallRejection` carrying the status, a reason phrase naming the cause, and any headers the status needs.
 */
import { randomBytes } from 'node:crypto';
import { DigestAuthenticator, type Credentials } from '../sip/auth/digest.js';
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
  private readonly digest: DigestAuthenticator;
  private readonly normalizeOptions: { defaultCountryCode?: string };

  constructor(private readonly options: AdmissionOptions) {
    const { config } = options;
    this.normalizeOptions = config.sip.defaultCountryCode ? { defaultCountryCode: config.sip.defaultCountryCode } : {};
    this.router = new NumberRouter(Object.entries(config.numbers), this.normalizeOptions);
    const specs: TrunkSpec[] = config.trunks.map((t) => ({
      name: t.name,
      allow: t.allow,
      ...(t.auth ? { auth: { username: t.auth.username, password: t.auth.password } } : {}),
    }));
    this.trunks = new TrunkMatcher(specs);
    this.authOnlyTrunks = specs.filter((t) => t.allow.length === 0 && t.auth !== undefined);
    this.digest = new DigestAuthenticator({ realm: config.sip.authRealm, secret: randomBytes(32) });
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
    const candidates = byAddress ? [byAddress] : this.authOnlyTrunks;
    if (candidates.length === 0) {
      throw new CallRejection(403, 'Forbidden - source address not allowed', [], 'CALL_SOURCE_FORBIDDEN');
    }
    const needsAuth = candidates.filter((t) => t.auth !== undefined);
    if (needsAuth.length === 0) return byAddress;
    const lookup = (username: string): Credentials | undefined => {
      const t = needsAuth.find((c) => c.auth?.username === username);
      return t?.auth ? { username: t.auth.username, password: t.auth.password } : undefined;
    };
    const result = this.digest.verify(invite.method, invite.uri, getHeader(invite, 'authorization'), lookup);
    if (result.ok) return needsAuth.find((t) => t.auth?.username === result.username);
    switch (result.reason) {
      case 'missing':
      case 'stale':
      case 'replay':
        throw this.challenge(result.reason === 'stale' || result.reason === 'replay');
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

  private challenge(stale: boolean): CallRejection {
    const headers = this.digest.challenge({ stale }).map((value) => ({ name: 'WWW-Authenticate', value }));
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
