/**
 * SIP digest authentication, client side (RFC 3261 §22.2–22.3 with RFC 7616 semantics; SHA-256 per RFC 8760).
 *
 * A 401 carries `WWW-Authenticate` challenges and is answered with `Authorization`; a 407 carries
 * `Proxy-Authenticate` and is answered with `Proxy-Authorization`. When several challenges are offered (RFC 8760
 * §2.4: one per algorithm), the strongest one we support is taken: SHA-256 over MD5, `qop=auth` over none.
 * `qop=auth-int` alone (body hashing) is not supported; such a challenge is skipped.
 *
 * `parseChallenge`, `selectChallenge` and `answerChallenge` are pure. `DigestClient` remembers the last challenge
 * of each realm so that later requests can carry credentials up front (the nonce reused with `nc` counted up),
 * as phones do on re-REGISTER; a server that has expired the nonce answers `stale=true` and we answer afresh.
 */
import { randomBytes } from 'node:crypto';
import type { SipHeader, SipResponse } from '../message.js';
import { getHeaders } from '../message.js';
import { computeDigestResponse, parseAlgorithm, parseCredentials, quote, type DigestHashAlgorithm } from './digest.js';

export interface DigestChallenge {
  readonly realm: string;
  readonly nonce: string;
  readonly opaque?: string;
  readonly algorithm: DigestHashAlgorithm;
  /** Whether the algorithm was named in the challenge (echoed in the answer only then, as RFC 2617 clients do). */
  readonly algorithmNamed: boolean;
  /** `auth` when offered; undefined for an RFC 2069 challenge without qop. */
  readonly qop?: 'auth';
  /** The server's nonce was stale: the credentials were right, answer again with the new nonce. */
  readonly stale: boolean;
}

export interface DigestCredentials {
  readonly username: string;
  readonly password: string;
}

export interface DigestAnswerInput {
  readonly challenge: DigestChallenge;
  readonly credentials: DigestCredentials;
  readonly method: string;
  /** The digest-uri: the Request-URI of the request being authorised. */
  readonly uri: string;
  /** Nonce count, from 1; written as 8 hex digits. Ignored without qop. */
  readonly nc: number;
  /** Client nonce; ignored without qop (and without -sess). */
  readonly cnonce: string;
}

/** Reads one challenge header value; undefined for another scheme, missing realm/nonce, or an unsupported algorithm or qop. */
export function parseChallenge(value: string): DigestChallenge | undefined {
  const parsed = parseCredentials(value);
  if (parsed === undefined || parsed.scheme.toLowerCase() !== 'digest') return undefined;
  const p = parsed.params;
  const realm = p.get('realm');
  const nonce = p.get('nonce');
  if (realm === undefined || nonce === undefined || nonce === '') return undefined;
  const algorithmRaw = p.get('algorithm');
  const algorithm = parseAlgorithm(algorithmRaw);
  if (algorithm === undefined) return undefined;
  let qop: 'auth' | undefined;
  const qopRaw = p.get('qop');
  if (qopRaw !== undefined) {
    const offered = qopRaw.split(',').map((q) => q.trim().toLowerCase());
    if (!offered.includes('auth')) return undefined;
    qop = 'auth';
  } else if (algorithm.endsWith('-sess')) {
    return undefined; // -sess needs a cnonce, which only qop carries
  }
  const opaque = p.get('opaque');
  return {
    realm,
    nonce,
    algorithm,
    algorithmNamed: algorithmRaw !== undefined,
    ...(qop ? { qop } : {}),
    ...(opaque !== undefined ? { opaque } : {}),
    stale: p.get('stale')?.toLowerCase() === 'true',
  };
}

function strength(c: DigestChallenge): number {
  return (c.algorithm.startsWith('SHA-256') ? 4 : 0) + (c.qop === 'auth' ? 2 : 0) + (c.algorithm.endsWith('-sess') ? 0 : 1);
}

/** The strongest challenge we support among header values (first wins a tie), or undefined when there is none. */
export function selectChallenge(values: readonly string[]): DigestChallenge | undefined {
  let best: DigestChallenge | undefined;
  for (const value of values) {
    const c = parseChallenge(value);
    if (c !== undefined && (best === undefined || strength(c) > strength(best))) best = c;
  }
  return best;
}

/** The Authorization / Proxy-Authorization header value answering `challenge`. */
export function answerChallenge(input: DigestAnswerInput): string {
  const { challenge: c, credentials, method, uri } = input;
  const nc = input.nc.toString(16).padStart(8, '0');
  const withQop = c.qop === 'auth';
  const response = computeDigestResponse({
    algorithm: c.algorithm,
    username: credentials.username,
    realm: c.realm,
    password: credentials.password,
    method,
    uri,
    nonce: c.nonce,
    ...(withQop ? { qop: 'auth' as const, nc, cnonce: input.cnonce } : {}),
  });
  const parts = [
    `username=${quote(credentials.username)}`,
    `realm=${quote(c.realm)}`,
    `nonce=${quote(c.nonce)}`,
    `uri=${quote(uri)}`,
    `response=${quote(response)}`,
  ];
  if (c.algorithmNamed || c.algorithm !== 'MD5') parts.push(`algorithm=${c.algorithm}`);
  if (withQop) parts.push(`cnonce=${quote(input.cnonce)}`, 'qop=auth', `nc=${nc}`);
  if (c.opaque !== undefined) parts.push(`opaque=${quote(c.opaque)}`);
  return `Digest ${parts.join(', ')}`;
}

/** Which header a status's challenges come in, and which header answers them. */
const CHALLENGE_HEADERS = {
  401: { challenge: 'WWW-Authenticate', answer: 'Authorization' },
  407: { challenge: 'Proxy-Authenticate', answer: 'Proxy-Authorization' },
} as const;

export type ChallengeOutcome =
  | { readonly ok: true; readonly challenge: DigestChallenge }
  /** `none`: not a 401/407 with a challenge; `unsupported`: only challenges we cannot answer (auth-int, SHA-512-256 …). */
  | { readonly ok: false; readonly reason: 'none' | 'unsupported' };

interface Remembered {
  readonly challenge: DigestChallenge;
  readonly header: 'Authorization' | 'Proxy-Authorization';
  nc: number;
  readonly cnonce: string;
}

/**
 * Credentials for one peer over time: `accept` a 401/407, then `authorize` each request (the first after a
 * challenge, and later ones up front). One challenge is kept per realm and header kind.
 */
export class DigestClient {
  readonly #credentials: DigestCredentials;
  readonly #cnonce: () => string;
  readonly #remembered = new Map<string, Remembered>();

  constructor(credentials: DigestCredentials, options: { cnonce?: () => string } = {}) {
    this.#credentials = credentials;
    this.#cnonce = options.cnonce ?? (() => randomBytes(12).toString('hex'));
  }

  /** Takes the strongest supported challenge of a 401/407 (replacing the one kept for its realm). */
  accept(res: SipResponse): ChallengeOutcome {
    if (res.status !== 401 && res.status !== 407) return { ok: false, reason: 'none' };
    const names = CHALLENGE_HEADERS[res.status];
    const values = getHeaders(res, names.challenge);
    if (values.length === 0) return { ok: false, reason: 'none' };
    const challenge = selectChallenge(values);
    if (challenge === undefined) return { ok: false, reason: 'unsupported' };
    this.#remembered.set(`${names.answer}\n${challenge.realm}`, { challenge, header: names.answer, nc: 0, cnonce: this.#cnonce() });
    return { ok: true, challenge };
  }

  /** Authorization headers for a request with every kept challenge (nc counted up); none before a challenge. */
  authorize(method: string, uri: string): SipHeader[] {
    const out: SipHeader[] = [];
    for (const r of this.#remembered.values()) {
      r.nc++;
      const value = answerChallenge({ challenge: r.challenge, credentials: this.#credentials, method, uri, nc: r.nc, cnonce: r.cnonce });
      out.push({ name: r.header, value });
    }
    return out;
  }

  /** Forgets every challenge (the next request goes without credentials). */
  reset(): void {
    this.#remembered.clear();
  }
}
