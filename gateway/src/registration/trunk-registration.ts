/**
 * One trunk's registration (RFC 3261 §10.2): keeps a binding of our Contact at the trunk's registrar.
 *
 *   start ─► REGISTER ─2xx─► registered ─(refresh at ~half the granted lifetime)─► REGISTER ─► …
 *               │ 401/407: answered with credentials (new CSeq, same Call-ID), once per fresh challenge
 *               │ 423: Min-Expires taken as the new lifetime, sent again at once
 *               └ 403/4xx/5xx/timeout ─► failed ─(backoff with jitter, Retry-After as a floor)─► REGISTER
 *   stop ─► REGISTER Expires: 0 (bounded wait) ─► unregistered
 *
 * Every REGISTER of one registration shares a Call-ID with CSeq counting up (§10.2: the registrar orders them).
 * After a challenge, later REGISTERs carry credentials up front (nc counted up); a registrar that has expired the
 * nonce answers `stale=true` and we answer again. A second fresh (non-stale) challenge within one attempt means
 * the credentials were refused.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { Logger } from 'pino';
import type { TrunkRegistrationConfig } from '../config-trunks.js';
import { DigestClient } from '../sip/auth/client-digest.js';
import type { SipRequest, SipResponse } from '../sip/message.js';
import { randomToken } from '../sip/response.js';
import type { ClientTransaction, RemoteInfo } from '../sip/stack.js';
import type { TransportName } from '../sip/transport/types.js';
import { buildRegister, contactUri, grantedExpiresS, minExpiresS, retryAfterS } from './register-message.js';
import { backoffDelayMs, DEFAULT_BACKOFF, refreshDelayMs, type BackoffOptions } from './schedule.js';
import type { TlsPeerSetup } from '../tls/index.js';

export const REGISTRATION_STATES = ['unregistered', 'registering', 'registered', 'failed'] as const;
/**
 * `registered`: a binding the registrar granted has not run out (also while it is being refreshed);
 * `registering`: the first REGISTER (or one after the binding lapsed) is under way; `failed`: the last attempt
 * failed and no binding is held (the next attempt is at `nextAttemptAt`); `unregistered`: not started, or stopped.
 */
export type RegistrationState = (typeof REGISTRATION_STATES)[number];

/** Why the last attempt failed: stable codes for logs and the API. */
export const REGISTRATION_ERRORS = {
  /** A 4xx (403 Forbidden, 404 Not Found …) other than a challenge or 423. */
  REGISTRATION_REFUSED: 'the registrar refused the registration',
  /** Challenged again after we answered a fresh challenge: wrong username or password. */
  REGISTRATION_AUTH_REJECTED: 'the registrar did not accept our credentials',
  /** A 401/407 and the trunk has no credentials (`register.auth` or `outbound.auth`). */
  REGISTRATION_NO_CREDENTIALS: 'the registrar asks for credentials and the trunk has none',
  /** Only challenges we cannot answer (an algorithm other than MD5/SHA-256, qop=auth-int only). */
  REGISTRATION_AUTH_UNSUPPORTED: 'no digest challenge we can answer',
  /** 423 Interval Too Brief without a Min-Expires above what we asked for. */
  REGISTRATION_INTERVAL: '423 Interval Too Brief without a usable Min-Expires',
  /** 5xx or 6xx (also a transport error, reported as 503). */
  REGISTRATION_SERVER_ERROR: 'the registrar (or the path to it) failed',
  /** No final response in time (408 from our transaction, or from the registrar). */
  REGISTRATION_TIMEOUT: 'no answer from the registrar',
  /** The registrar host name did not resolve. */
  REGISTRATION_DNS: 'the registrar host name did not resolve',
  /** A 2xx that lists other contacts but not ours, or grants 0 seconds. */
  REGISTRATION_NOT_KEPT: 'the registrar answered 2xx but did not keep our contact',
} as const;
export type RegistrationErrorCode = keyof typeof REGISTRATION_ERRORS;

export interface RegistrationStatus {
  readonly trunk: string;
  readonly state: RegistrationState;
  /** `sip:<user>@<domain>`. */
  readonly aor: string;
  /** `host:port` and transport of the registrar. */
  readonly registrar: string;
  readonly transport: TransportName;
  /** The Contact URI last registered (or tried). */
  readonly contact?: string;
  /** Last final response: its status (408/503 also when our transaction timed out or could not send) and reason. */
  readonly lastStatus?: number;
  readonly lastReason?: string;
  /** Why the last attempt failed; absent after a success. */
  readonly lastError?: RegistrationErrorCode;
  /** Lifetime the registrar last granted, seconds. */
  readonly grantedExpiresS?: number;
  /** Wall-clock ms when the binding runs out. */
  readonly expiresAt?: number;
  /** Wall-clock ms of the next REGISTER (refresh or retry). */
  readonly nextAttemptAt?: number;
  /** Failed attempts in a row. */
  readonly failures: number;
}

/** What a registration needs of the SIP stack. */
export interface RegistrationHost {
  sendRequest(req: SipRequest, target: RemoteInfo): ClientTransaction;
  localAddressFor(target: RemoteInfo): { address: string; port: number };
}

export interface TrunkRegistrationOptions {
  readonly trunk: string;
  readonly config: TrunkRegistrationConfig;
  readonly host: RegistrationHost;
  /** `sip.publicAddress`: the host of our Contact; null = the local address towards the registrar. */
  readonly publicAddress: string | null;
  readonly userAgent?: string;
  readonly logger: Logger;
  /** Host name → address; default the system resolver (dns.lookup). */
  readonly resolve?: (host: string) => Promise<string>;
  readonly backoff?: BackoffOptions;
  /** In [0, 1); default Math.random (jitter only). */
  readonly random?: () => number;
  /** Wall clock, ms (for `expiresAt`; timers use setTimeout); default Date.now. */
  readonly now?: () => number;
  /** Told after every state change (metrics, API push). */
  readonly onChange?: (status: RegistrationStatus) => void;
  /** How a `tls` registrar is connected to (the trunk's `tls:`); unset: the stack's default. */
  readonly tlsPeers?: TlsPeerSetup;
}

/** REGISTERs one attempt may send: the first, an answer to a challenge, one to a stale nonce, one after a 423. */
const MAX_SENDS_PER_ATTEMPT = 4;
/** How long `stop` waits for the un-REGISTER by default. */
export const UNREGISTER_WAIT_MS = 2_000;

type Phase = 'idle' | 'sending' | 'waiting' | 'stopped';

export class TrunkRegistration {
  readonly trunk: string;
  readonly #o: TrunkRegistrationOptions;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #digest: DigestClient | undefined;
  readonly #callId = `${randomToken(16)}@patchbay`;
  readonly #aor: string;
  readonly #requestUri: string;
  #phase: Phase = 'idle';
  #cseq = 0;
  #requestedS: number;
  #target: RemoteInfo | undefined;
  #contact: string | undefined;
  #expiresAt: number | undefined;
  #granted: number | undefined;
  #failures = 0;
  #last: { status: number; reason: string } | undefined;
  #lastError: RegistrationErrorCode | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #nextAttemptAt: number | undefined;
  #stopping: Promise<void> | undefined;

  constructor(options: TrunkRegistrationOptions) {
    this.#o = options;
    this.trunk = options.trunk;
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
    this.#requestedS = options.config.expiresS;
    const { aor, registrar, auth } = options.config;
    this.#digest = auth ? new DigestClient(auth) : undefined;
    this.#aor = `sip:${aor.user}@${bracket(aor.domain)}`;
    // The registrar's own port belongs in the Request-URI when the domain is the registrar itself.
    const port = aor.domain === registrar.host && registrar.port !== 5060 ? `:${registrar.port}` : '';
    this.#requestUri = `sip:${bracket(aor.domain)}${port}`;
  }

  /** Sends the first REGISTER now. Idempotent; a stopped registration stays stopped. */
  start(): void {
    if (this.#phase !== 'idle') return;
    this.#run();
  }

  status(): RegistrationStatus {
    const { registrar } = this.#o.config;
    return {
      trunk: this.trunk,
      state: this.#state(),
      aor: this.#aor,
      registrar: `${bracket(registrar.host)}:${registrar.port}`,
      transport: registrar.transport,
      ...(this.#contact !== undefined ? { contact: this.#contact } : {}),
      ...(this.#last ? { lastStatus: this.#last.status, lastReason: this.#last.reason } : {}),
      ...(this.#lastError !== undefined ? { lastError: this.#lastError } : {}),
      ...(this.#granted !== undefined ? { grantedExpiresS: this.#granted } : {}),
      ...(this.#expiresAt !== undefined ? { expiresAt: this.#expiresAt } : {}),
      ...(this.#nextAttemptAt !== undefined ? { nextAttemptAt: this.#nextAttemptAt } : {}),
      failures: this.#failures,
    };
  }

  /**
   * Stops refreshing and removes the binding (REGISTER with Expires: 0), waiting at most `waitMs` for the answer.
   * Never rejects. Idempotent.
   */
  stop(waitMs = UNREGISTER_WAIT_MS): Promise<void> {
    if (this.#stopping) return this.#stopping;
    const mayBeBound = this.#phase === 'sending' || this.#bound();
    this.#phase = 'stopped';
    this.#clearTimer();
    const target = this.#target;
    if (!mayBeBound || target === undefined) {
      this.#stopping = Promise.resolve();
      this.#forget();
      return this.#stopping;
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, waitMs);
    });
    this.#stopping = Promise.race([this.#unregister(target), timeout])
      .catch((err: unknown) => this.#o.logger.warn({ err, trunk: this.trunk }, 'un-REGISTER failed'))
      .finally(() => {
        clearTimeout(timer);
        this.#forget();
      });
    return this.#stopping;
  }

  #state(): RegistrationState {
    if (this.#bound()) return 'registered';
    if (this.#phase === 'sending') return 'registering';
    if (this.#phase !== 'stopped' && this.#failures > 0) return 'failed';
    return 'unregistered';
  }

  #bound(): boolean {
    return this.#expiresAt !== undefined && this.#now() < this.#expiresAt;
  }

  #run(): void {
    this.#timer = undefined;
    this.#nextAttemptAt = undefined;
    this.#phase = 'sending';
    this.#changed();
    this.#attempt().catch((err: unknown) => {
      // A fault of ours: keep trying on the failure schedule rather than stop registering.
      this.#o.logger.error({ err, trunk: this.trunk }, 'registration attempt failed unexpectedly');
      if (this.#phase === 'sending') this.#fail('REGISTRATION_SERVER_ERROR', undefined);
    });
  }

  async #attempt(): Promise<void> {
    let target: RemoteInfo;
    try {
      target = await this.#resolveTarget();
    } catch (err) {
      if (this.#phase !== 'sending') return;
      this.#o.logger.warn({ err, trunk: this.trunk, host: this.#o.config.registrar.host }, 'registrar host did not resolve');
      return this.#fail('REGISTRATION_DNS', undefined);
    }
    if (this.#phase !== 'sending') return;
    this.#target = target;
    let answeredFresh = false;
    let res: SipResponse | undefined;
    for (let sends = 0; sends < MAX_SENDS_PER_ATTEMPT; sends++) {
      res = await this.#send(target, this.#requestedS);
      if (this.#phase !== 'sending') return; // stopped meanwhile
      this.#last = { status: res.status, reason: res.reason };
      if (res.status >= 200 && res.status < 300) return this.#registered(res);
      if (res.status === 401 || res.status === 407) {
        if (this.#digest === undefined) return this.#fail('REGISTRATION_NO_CREDENTIALS', res);
        const outcome = this.#digest.accept(res);
        if (!outcome.ok) return this.#fail('REGISTRATION_AUTH_UNSUPPORTED', res);
        if (answeredFresh && !outcome.challenge.stale) return this.#fail('REGISTRATION_AUTH_REJECTED', res);
        answeredFresh = true;
        continue;
      }
      if (res.status === 423) {
        const min = minExpiresS(res);
        if (min === undefined || min <= this.#requestedS) return this.#fail('REGISTRATION_INTERVAL', res);
        this.#o.logger.info({ trunk: this.trunk, askedS: this.#requestedS, minExpiresS: min }, 'registrar wants a longer registration (423): asking for Min-Expires');
        this.#requestedS = min;
        continue;
      }
      return this.#fail(failureCode(res.status), res);
    }
    return this.#fail('REGISTRATION_AUTH_REJECTED', res);
  }

  async #send(target: RemoteInfo, expiresS: number): Promise<SipResponse> {
    const local = this.#o.host.localAddressFor(target);
    const { contactUser, registrar } = this.#o.config;
    this.#contact = contactUri(contactUser, this.#o.publicAddress ?? local.address, local.port, registrar.transport);
    const req = buildRegister({
      requestUri: this.#requestUri,
      aor: this.#aor,
      contact: this.#contact,
      expiresS,
      callId: this.#callId,
      cseq: ++this.#cseq,
      fromTag: randomToken(8),
      branch: `z9hG4bK${randomToken(12)}`,
      via: { transport: registrar.transport, host: local.address, port: local.port },
      ...(this.#o.userAgent !== undefined ? { userAgent: this.#o.userAgent } : {}),
      credentials: this.#digest?.authorize('REGISTER', this.#requestUri) ?? [],
    });
    return this.#o.host.sendRequest(req, target).response;
  }

  #registered(res: SipResponse): void {
    const granted = grantedExpiresS(res, this.#contact ?? '', this.#requestedS);
    if (granted === undefined || granted === 0) return this.#fail('REGISTRATION_NOT_KEPT', res);
    const first = !this.#bound() || this.#granted !== granted;
    this.#granted = granted;
    this.#expiresAt = this.#now() + granted * 1000;
    this.#failures = 0;
    this.#lastError = undefined;
    const delay = refreshDelayMs(granted);
    const fields = { trunk: this.trunk, grantedS: granted, refreshInMs: delay, contact: this.#contact };
    if (first) this.#o.logger.info(fields, 'trunk registered');
    else this.#o.logger.debug(fields, 'trunk registration refreshed');
    this.#schedule(delay);
  }

  #fail(code: RegistrationErrorCode, res: SipResponse | undefined): void {
    this.#failures++;
    this.#lastError = code;
    const delay = backoffDelayMs(this.#failures, this.#random(), this.#o.backoff ?? DEFAULT_BACKOFF, res && retryAfterS(res));
    this.#o.logger.warn(
      { trunk: this.trunk, code, status: res?.status, reason: res?.reason, failures: this.#failures, retryInMs: delay, stillRegistered: this.#bound() },
      `trunk registration failed: ${REGISTRATION_ERRORS[code]}`,
    );
    this.#schedule(delay);
  }

  #schedule(delayMs: number): void {
    this.#clearTimer();
    this.#phase = 'waiting';
    this.#nextAttemptAt = this.#now() + delayMs;
    this.#timer = setTimeout(() => this.#run(), delayMs);
    this.#timer.unref?.();
    this.#changed();
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#nextAttemptAt = undefined;
  }

  async #unregister(target: RemoteInfo): Promise<void> {
    let res = await this.#send(target, 0);
    if ((res.status === 401 || res.status === 407) && this.#digest?.accept(res).ok === true) res = await this.#send(target, 0);
    this.#last = { status: res.status, reason: res.reason };
    this.#o.logger.info({ trunk: this.trunk, status: res.status }, 'trunk unregistered');
  }

  #forget(): void {
    this.#expiresAt = undefined;
    this.#changed();
  }

  async #resolveTarget(): Promise<RemoteInfo> {
    const { host, port, transport } = this.#o.config.registrar;
    const name = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
    const address = isIP(name) !== 0 ? name : await (this.#o.resolve ?? systemResolve)(name);
    const target: RemoteInfo = { transport, address, port };
    this.#o.tlsPeers?.prepare(this.trunk, host, target);
    return target;
  }

  #changed(): void {
    this.#o.onChange?.(this.status());
  }
}

function failureCode(status: number): RegistrationErrorCode {
  if (status === 408) return 'REGISTRATION_TIMEOUT';
  if (status >= 500) return 'REGISTRATION_SERVER_ERROR';
  return 'REGISTRATION_REFUSED';
}

async function systemResolve(host: string): Promise<string> {
  return (await lookup(host)).address;
}

function bracket(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}
