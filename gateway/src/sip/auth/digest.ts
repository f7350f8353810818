/**
 * SIP digest authentication, server side (RFC 3261 §22.4 with RFC 7616 semantics; SHA-256 per RFC 8760).
 *
 * Nonces validate themselves (see nonce-store.ts), so a challenge needs no state; only the nonce counts used
 * for replay protection, and the wrong responses each nonce has had, are remembered, in bounded LRUs. `verify`
 * never throws on client input.
 *
 * An unknown username costs the same work as a known one (the response is checked against a random decoy
 * password), so neither the answer nor its timing tells a prober which usernames exist.
 */

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { mintNonce, nonceIssuedAt, NonceFailureCounter, NonceUseTracker } from './nonce-store.js';
import type { NonceUse } from './nonce-store.js';

export type DigestAlgorithm = 'MD5' | 'SHA-256';
/** Algorithms a client may answer with: ours plus the `-sess` variants (never offered, accepted when sent). */
export type DigestHashAlgorithm = DigestAlgorithm | 'MD5-sess' | 'SHA-256-sess';

export interface DigestOptions {
  realm: string;
  /** Server secret keying the nonce HMAC; at least 16 bytes. */
  secret: Buffer;
  /** How long a nonce stays fresh. Default 300_000. */
  nonceTtlMs?: number;
  /** Offered in this order. Default ['SHA-256', 'MD5'] (RFC 8760 §2.4: strongest first). */
  algorithms?: DigestAlgorithm[];
  /** Bound on nonces tracked for replay protection (and, separately, for failure counts). Default 100_000. */
  maxTrackedNonces?: number;
  /**
   * Wrong responses one nonce may have before it is spent (`nonce-spent`: challenge afresh without checking).
   * 0 = no limit. Default 3.
   */
  maxFailuresPerNonce?: number;
  /** Wall clock in ms. Default Date.now. */
  now?: () => number;
}

export interface Credentials {
  username: string;
  password: string;
}

/**
 * Why a verification failed. Only the caller's logs and counters may tell `unknown-user`, `bad-response` and
 * `refused` apart: on the wire they must look the same, or the answer is a username oracle.
 * - `nonce-spent`: the nonce has had `maxFailuresPerNonce` wrong responses; challenge afresh (not stale).
 * - `refused`: the caller asked for a refusal without a check (`verify(..., { refuse: true })`).
 */
export type VerifyFailure =
  | 'missing'
  | 'malformed'
  | 'unknown-user'
  | 'bad-response'
  | 'stale'
  | 'replay'
  | 'realm'
  | 'uri-mismatch'
  | 'algorithm'
  | 'nonce-spent'
  | 'refused';

export type VerifyResult = { ok: true; username: string } | { ok: false; reason: VerifyFailure };

export class DigestConfigError extends Error {
  readonly code = 'DIGEST_CONFIG';
  constructor(message: string) {
    super(message);
    this.name = 'DigestConfigError';
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Header parsing

export interface ParsedCredentials {
  /** Auth scheme as sent, e.g. `Digest`. */
  scheme: string;
  /** Parameter names lower-cased; values unquoted and unescaped. */
  params: ReadonlyMap<string, string>;
}

const TOKEN = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;
const WS = /[ \t\r\n]/;

/**
 * Parses `Digest name=value, name="quoted \"value\", with commas"`. Returns undefined for anything that does not
 * follow the grammar (RFC 7235 credentials), including duplicate parameters. Unquoted values may hold any
 * character but whitespace, comma and quote, since some phones send `uri=sip:x@y` bare.
 */
export function parseCredentials(value: string): ParsedCredentials | undefined {
  let i = 0;
  const n = value.length;
  const skipWs = (): void => {
    while (i < n && WS.test(value.charAt(i))) i++;
  };
  const readToken = (): string => {
    const start = i;
    while (i < n && TOKEN.test(value.charAt(i))) i++;
    return value.slice(start, i);
  };

  skipWs();
  const scheme = readToken();
  if (scheme === '' || i >= n || !WS.test(value.charAt(i))) return undefined;
  const params = new Map<string, string>();
  for (;;) {
    skipWs();
    if (i >= n) break;
    if (value.charAt(i) === ',') {
      i++; // empty list element
      continue;
    }
    const name = readToken().toLowerCase();
    if (name === '') return undefined;
    skipWs();
    if (value.charAt(i) !== '=') return undefined;
    i++;
    skipWs();
    let v = '';
    if (value.charAt(i) === '"') {
      i++;
      let closed = false;
      while (i < n) {
        const ch = value.charAt(i++);
        if (ch === '"') {
          closed = true;
          break;
        }
        if (ch === '\\') {
          if (i >= n) return undefined;
          v += value.charAt(i++);
        } else v += ch;
      }
      if (!closed) return undefined;
    } else {
      const start = i;
      while (i < n && !WS.test(value.charAt(i)) && value.charAt(i) !== ',' && value.charAt(i) !== '"') i++;
      v = value.slice(start, i);
      if (v === '') return undefined;
    }
    if (params.has(name)) return undefined;
    params.set(name, v);
    skipWs();
    if (i < n && value.charAt(i) !== ',') return undefined;
  }
  if (params.size === 0) return undefined;
  return { scheme, params };
}

/** A quoted-string with `\\` and `"` escaped (RFC 3261 §25.1). */
export function quote(s: string): string {
  return `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

// ---------------------------------------------------------------------------------------------------------------
// Hashing (RFC 7616 §3.4.1–3.4.3)

export interface DigestInput {
  algorithm: DigestHashAlgorithm;
  username: string;
  realm: string;
  password: string;
  method: string;
  uri: string;
  nonce: string;
  /** With qop=auth, `nc` (as sent, e.g. `00000001`) and `cnonce` are required. */
  qop?: 'auth';
  nc?: string;
  cnonce?: string;
}

function hashHex(algorithm: DigestHashAlgorithm, data: string): string {
  const name = algorithm.startsWith('SHA-256') ? 'sha256' : 'md5';
  return createHash(name).update(data, 'utf8').digest('hex');
}

/** The expected `response` value, lower-case hex. Throws TypeError if qop or -sess lacks nc/cnonce. */
export function computeDigestResponse(input: DigestInput): string {
  const { algorithm: alg } = input;
  let ha1 = hashHex(alg, `${input.username}:${input.realm}:${input.password}`);
  if (alg.endsWith('-sess')) {
    if (input.cnonce === undefined) throw new TypeError('-sess algorithms need a cnonce');
    ha1 = hashHex(alg, `${ha1}:${input.nonce}:${input.cnonce}`);
  }
  const ha2 = hashHex(alg, `${input.method}:${input.uri}`);
  if (input.qop === undefined) return hashHex(alg, `${ha1}:${input.nonce}:${ha2}`);
  if (input.nc === undefined || input.cnonce === undefined) throw new TypeError('qop=auth needs nc and cnonce');
  return hashHex(alg, `${ha1}:${input.nonce}:${input.nc}:${input.cnonce}:${input.qop}:${ha2}`);
}

/** An `algorithm=` parameter (absent means MD5, RFC 7616 §3.3); undefined for one we do not support. */
export function parseAlgorithm(raw: string | undefined): DigestHashAlgorithm | undefined {
  switch ((raw ?? 'MD5').toUpperCase()) {
    case 'MD5':
      return 'MD5';
    case 'MD5-SESS':
      return 'MD5-sess';
    case 'SHA-256':
      return 'SHA-256';
    case 'SHA-256-SESS':
      return 'SHA-256-sess';
    default:
      return undefined;
  }
}

function safeEqualHex(expected: string, got: string): boolean {
  const a = Buffer.from(expected, 'latin1');
  const b = Buffer.from(got.toLowerCase(), 'latin1');
  // The length of a hex digest is public; only the content comparison must not leak timing.
  return a.length === b.length && timingSafeEqual(a, b);
}

const NC = /^[0-9a-fA-F]{1,8}$/;
/** Tolerated backward step of the wall clock before a nonce counts as issued in the future. */
const CLOCK_SKEW_MS = 5_000;

// ---------------------------------------------------------------------------------------------------------------

export class DigestAuthenticator {
  private readonly realm: string;
  private readonly secret: Buffer;
  private readonly ttlMs: number;
  private readonly algorithms: readonly DigestAlgorithm[];
  private readonly now: () => number;
  private readonly used: NonceUseTracker;
  private readonly failures: NonceFailureCounter;
  private readonly opaque: string;
  /** Checked against when the username is unknown, so that costs what a wrong password costs. Never matches. */
  private readonly decoyPassword = randomBytes(18).toString('base64url');

  constructor(options: DigestOptions) {
    this.realm = options.realm;
    this.secret = options.secret;
    this.ttlMs = options.nonceTtlMs ?? 300_000;
    this.algorithms = options.algorithms ?? ['SHA-256', 'MD5'];
    this.now = options.now ?? Date.now;
    if (this.secret.length < 16) throw new DigestConfigError('secret must be at least 16 bytes');
    if (!(this.ttlMs > 0)) throw new DigestConfigError('nonceTtlMs must be positive');
    if (this.algorithms.length === 0) throw new DigestConfigError('algorithms must not be empty');
    if (new Set(this.algorithms).size !== this.algorithms.length) {
      throw new DigestConfigError('algorithms must not repeat');
    }
    this.used = new NonceUseTracker(options.maxTrackedNonces ?? 100_000);
    this.failures = new NonceFailureCounter(options.maxFailuresPerNonce ?? 3, options.maxTrackedNonces ?? 100_000);
    // Opaque is echoed by clients and not checked: the nonce already carries everything we need.
    const opaque = createHash('sha256').update(this.secret).update(`opaque:${this.realm}`).digest('base64url');
    this.opaque = opaque.slice(0, 22);
  }

  /** WWW-Authenticate (or Proxy-Authenticate) values, one per algorithm, all sharing one fresh nonce. */
  challenge(options?: { stale?: boolean }): string[] {
    const nonce = mintNonce(this.secret, this.now());
    const stale = options?.stale === true ? ', stale=true' : '';
    const common = `Digest realm=${quote(this.realm)}, nonce="${nonce}", opaque="${this.opaque}"`;
    return this.algorithms.map((alg) => `${common}, algorithm=${alg}, qop="auth"${stale}`);
  }

  /**
   * Checks an Authorization (or Proxy-Authorization) header value for a request. On `stale`, re-challenge with
   * `{ stale: true }`; on `nonce-spent`, re-challenge without it; on any other failure, re-challenge without it
   * or answer 403 as policy dictates (the same answer for `unknown-user`, `bad-response` and `refused`).
   *
   * `refuse`: check everything but the credentials, then fail with `refused` where the digest would be computed,
   * counting it against the nonce as a wrong response. For a caller that must be refused without learning whether
   * its credentials were right (a locked-out source): every answer it can see is the one a wrong password gets.
   */
  verify(
    method: string,
    requestUri: string,
    authorization: string | undefined,
    lookup: (username: string) => Credentials | undefined,
    options?: { refuse?: boolean },
  ): VerifyResult {
    if (authorization === undefined || authorization.trim() === '') return fail('missing');
    const parsed = parseCredentials(authorization);
    if (parsed === undefined || parsed.scheme.toLowerCase() !== 'digest') return fail('malformed');
    const p = parsed.params;
    const username = p.get('username');
    const realm = p.get('realm');
    const nonce = p.get('nonce');
    const uri = p.get('uri');
    const response = p.get('response');
    if (username === undefined || realm === undefined || nonce === undefined || uri === undefined) {
      return fail('malformed');
    }
    if (response === undefined || !/^[0-9a-fA-F]+$/.test(response)) return fail('malformed');
    // userhash (RFC 7616 §3.4.4) is never offered, so a client must not use it.
    if (p.get('userhash')?.toLowerCase() === 'true') return fail('malformed');
    if (realm !== this.realm) return fail('realm');

    const algorithm = parseAlgorithm(p.get('algorithm'));
    if (algorithm === undefined) return fail('algorithm');
    const base: DigestAlgorithm = algorithm.startsWith('SHA-256') ? 'SHA-256' : 'MD5';
    if (!this.algorithms.includes(base)) return fail('algorithm');

    const qopRaw = p.get('qop');
    const cnonce = p.get('cnonce');
    const ncRaw = p.get('nc');
    let use: NonceUse;
    if (qopRaw === undefined) {
      if (algorithm.endsWith('-sess') && cnonce === undefined) return fail('malformed');
      use = 'once';
    } else {
      // Only qop=auth is offered; auth-int (body hashing) is not supported.
      if (qopRaw.toLowerCase() !== 'auth') return fail('malformed');
      if (cnonce === undefined || cnonce === '' || ncRaw === undefined || !NC.test(ncRaw)) return fail('malformed');
      use = Number.parseInt(ncRaw, 16);
      if (use === 0) return fail('malformed');
    }
    if (uri !== requestUri) return fail('uri-mismatch');

    if (this.failures.spent(nonce)) return fail('nonce-spent');
    if (options?.refuse === true) return this.wrong(nonce, 'refused');
    const creds = lookup(username);
    const expected = computeDigestResponse({
      algorithm,
      username,
      realm,
      password: creds?.password ?? this.decoyPassword,
      method,
      uri,
      nonce,
      ...(qopRaw === undefined ? { cnonce } : { qop: 'auth' as const, nc: ncRaw, cnonce }),
    });
    const matches = safeEqualHex(expected, response);
    if (creds === undefined) return this.wrong(nonce, 'unknown-user');
    if (!matches) return this.wrong(nonce, 'bad-response');

    // RFC 7616 §3.3: stale only when the digest is right but the nonce is not (expired, or not one of ours).
    const now = this.now();
    const issuedMs = nonceIssuedAt(this.secret, nonce);
    if (issuedMs === undefined) return fail('stale');
    const ageMs = now - issuedMs;
    if (ageMs > this.ttlMs || ageMs < -CLOCK_SKEW_MS) return fail('stale');
    switch (this.used.use(nonce, use, issuedMs + this.ttlMs, now)) {
      case 'ok':
        return { ok: true, username };
      case 'replay':
        return fail('replay');
      case 'unknown':
        return fail('stale');
    }
  }

  private wrong(nonce: string, reason: 'unknown-user' | 'bad-response' | 'refused'): VerifyResult {
    this.failures.fail(nonce);
    return fail(reason);
  }
}

function fail(reason: VerifyFailure): VerifyResult {
  return { ok: false, reason };
}
