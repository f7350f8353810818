/**
 * Who may use the API (and `/metrics` + `/stats` on the main listener: docs/http.md): a bearer API key from
 * `api.keys`, or, when no key is configured, any client on a loopback address (the API is then open to this host
 * only, whatever `http.host` is). Keys are compared in constant time:
 * both sides are hashed to fixed-length SHA-256 digests and every configured key is compared (timingSafeEqual)
 * whatever matched before, so neither a key's length nor its position in the list shows in the timing.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { ApiErrorCode } from './errors.js';

export interface ApiKey {
  /** Shown in logs and used as the rate-limit key; never the secret. */
  readonly name: string;
  readonly key: string;
}

export type AccessResult = { ok: true; client: string } | { ok: false; code: Extract<ApiErrorCode, 'API_KEY_MISSING' | 'API_KEY_INVALID' | 'LOOPBACK_ONLY'> };

export interface AccessRequest {
  readonly headers: { readonly authorization?: string | undefined };
  /** The TCP peer's address (never a forwarded header). */
  readonly remoteAddress: string | undefined;
}

export class ApiAccess {
  private readonly keys: { name: string; digest: Buffer }[];

  constructor(keys: readonly ApiKey[]) {
    this.keys = keys.map((k) => ({ name: k.name, digest: digest(k.key) }));
  }

  /** True when keys are configured (else loopback clients only). */
  get keyed(): boolean {
    return this.keys.length > 0;
  }

  check(req: AccessRequest): AccessResult {
    if (!this.keyed) return isLoopback(req.remoteAddress) ? { ok: true, client: 'loopback' } : { ok: false, code: 'LOOPBACK_ONLY' };
    const presented = bearer(req.headers.authorization);
    if (presented === undefined) return { ok: false, code: 'API_KEY_MISSING' };
    const given = digest(presented);
    let match: string | undefined;
    for (const k of this.keys) {
      // No early exit: every key is compared.
      if (timingSafeEqual(given, k.digest) && match === undefined) match = k.name;
    }
    return match === undefined ? { ok: false, code: 'API_KEY_INVALID' } : { ok: true, client: match };
  }

  /** One line for the start-up log: who can reach the API. */
  describe(httpHost: string): string {
    if (this.keyed) return `API: bearer keys required (${this.keys.map((k) => k.name).join(', ')})`;
    return isLoopbackHost(httpHost)
      ? `API: no api.keys configured; HTTP listens on ${httpHost} (loopback), so the API is reachable from this host only`
      : `API: no api.keys configured; /v1, /metrics and /stats answer loopback clients only (HTTP listens on ${httpHost}: /healthz and /readyz stay open)`;
  }
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

function bearer(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const m = /^Bearer[ ]+(\S+)[ ]*$/i.exec(header);
  return m?.[1];
}

/** 127.0.0.0/8, ::1, and IPv4-mapped 127.x (a dual-stack listener). */
export function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4) || address === '::1';
}

function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || isLoopback(host);
}
