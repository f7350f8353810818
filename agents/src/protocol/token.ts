/**
 * Per-call token: the gateway signs one for each agent connection and sends it in the `X-Patchbay-Token` header of
 * the WebSocket upgrade. It is a standard HS256 JWT (RFC 7519), so any JWT library verifies it, and plain Node
 * `crypto` does in five lines (see docs/protocol.md):
 *
 *   header  {"alg":"HS256","typ":"JWT"}
 *   payload {"iss":"patchbay","aud":"<the URL the gateway dialed>","callId":"…","streamId":"…","iat":…,"exp":…}
 *
 * `aud` binds the token to one agent URL, so a token captured by one agent cannot be replayed to another, and `exp`
 * (default 60 s after `iat`) limits replay in time.
 */

import { createHmac, timingSafeEqual } from 'node:crypto';
import { ProtocolError, ProtocolErrorCode } from './errors.js';

export interface CallTokenClaims {
  callId: string;
  streamId: string;
  /** The agent URL the gateway dials (the JWT `aud`). */
  url: string;
  /** Seconds of validity; default 60. */
  ttlS?: number;
}

export interface VerifiedCallToken {
  callId: string;
  streamId: string;
  url: string;
  /** Issued at, seconds since the epoch. */
  iat: number;
  /** Expires at, seconds since the epoch. */
  exp: number;
}

export type CallTokenFailure = 'malformed' | 'bad_signature' | 'expired' | 'wrong_url';

export type VerifyCallTokenResult =
  | { ok: true; claims: VerifiedCallToken }
  | { ok: false; reason: CallTokenFailure };

export const DEFAULT_TOKEN_TTL_S = 60;
const ISSUER = 'patchbay';
const HEADER_B64 = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
const MAX_TOKEN_CHARS = 4096;

/** Signs a call token. Throws `ProtocolError` (`PROTOCOL_BAD_TOKEN`) on an empty secret or invalid claims. */
export function signCallToken(secret: string, claims: CallTokenClaims, nowS: number = epochS()): string {
  requireSecret(secret);
  const ttlS = claims.ttlS ?? DEFAULT_TOKEN_TTL_S;
  if (!Number.isInteger(ttlS) || ttlS <= 0) {
    throw new ProtocolError(ProtocolErrorCode.BadToken, `token ttlS must be a positive integer, got ${ttlS}`);
  }
  if (claims.callId === '' || claims.streamId === '' || claims.url === '') {
    throw new ProtocolError(ProtocolErrorCode.BadToken, 'token claims callId, streamId and url must be non-empty');
  }
  const iat = Math.floor(nowS);
  const payload = {
    iss: ISSUER,
    aud: claims.url,
    callId: claims.callId,
    streamId: claims.streamId,
    iat,
    exp: iat + ttlS,
  };
  const signingInput = `${HEADER_B64}.${b64url(JSON.stringify(payload))}`;
  return `${signingInput}.${hmac(secret, signingInput).toString('base64url')}`;
}

/**
 * Verifies a call token: signature (constant-time), expiry, and, when `url` is given, that the token was issued for
 * that URL (compared after URL normalisation, so `ws://h:80/x` equals `ws://h/x`).
 */
export function verifyCallToken(
  secret: string,
  token: string,
  options: { url?: string; nowS?: number } = {},
): VerifyCallTokenResult {
  requireSecret(secret);
  if (token.length > MAX_TOKEN_CHARS) return { ok: false, reason: 'malformed' };
  const parts = token.split('.');
  const [headerB64, payloadB64, sigB64] = parts;
  if (parts.length !== 3 || headerB64 === undefined || payloadB64 === undefined || sigB64 === undefined) {
    return { ok: false, reason: 'malformed' };
  }
  // Compare the encoded text, not decoded bytes: base64url decoding ignores a last character's spare bits.
  const expected = Buffer.from(hmac(secret, `${headerB64}.${payloadB64}`).toString('base64url'));
  const given = Buffer.from(sigB64);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, reason: 'bad_signature' };
  }
  // Signed by someone holding the secret; still check the shape rather than trust it.
  const header = decodeJson(headerB64);
  if (header === undefined || header.alg !== 'HS256') return { ok: false, reason: 'malformed' };
  const payload = decodeJson(payloadB64);
  if (payload === undefined) return { ok: false, reason: 'malformed' };
  const { aud, callId, streamId, iat, exp } = payload;
  if (
    typeof aud !== 'string' ||
    typeof callId !== 'string' ||
    typeof streamId !== 'string' ||
    typeof iat !== 'number' ||
    typeof exp !== 'number'
  ) {
    return { ok: false, reason: 'malformed' };
  }
  const nowS = options.nowS ?? epochS();
  if (nowS >= exp) return { ok: false, reason: 'expired' };
  if (options.url !== undefined && normaliseUrl(options.url) !== normaliseUrl(aud)) {
    return { ok: false, reason: 'wrong_url' };
  }
  return { ok: true, claims: { callId, streamId, url: aud, iat, exp } };
}

/** `new URL(u).href` when `u` parses (lower-cases scheme and host, drops default ports), else `u` unchanged. */
export function normaliseUrl(u: string): string {
  try {
    return new URL(u).href;
  } catch {
    return u;
  }
}

function requireSecret(secret: string): void {
  if (secret.length === 0) throw new ProtocolError(ProtocolErrorCode.BadToken, 'token secret must not be empty');
}

function hmac(secret: string, input: string): Buffer {
  return createHmac('sha256', secret).update(input).digest();
}

function b64url(s: string): string {
  return Buffer.from(s, 'utf8').toString('base64url');
}

function decodeJson(b64: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(b64, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function epochS(): number {
  // Wall clock is right here: token expiry is an absolute time shared with another machine.
  return Math.floor(Date.now() / 1000);
}
