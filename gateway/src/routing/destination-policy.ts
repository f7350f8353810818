/**
 * Where the gateway lets a call go: an allow-list (and optional deny-list) of E.164 prefixes and SIP domains that a
 * destination (an agent's transfer target today, an outbound call's Request-URI tomorrow) must match. Pure: no I/O,
 * no config reading; the caller builds one policy per scope (a number, a trunk) from validated entries.
 *
 * A target is read in one of three forms, then checked:
 *
 * - a phone number (`+15557654321`, `5557654321` with a default country code, `0044…`; `-.() ` separators allowed):
 *   it must read as E.164 and match an allowed prefix;
 * - `tel:+1-555-765-4321` (RFC 3966): the same, and no parameters (a `phone-context` or `ext` is refused);
 * - `sip:`/`sips:` URIs: the host must match an allowed domain, and a user part that is a phone number (or
 *   `user=phone`) must also match an allowed prefix (so an allowed PBX cannot be asked to dial out anywhere).
 *
 * Refused whatever the lists say: URI headers (`?Replaces=…`, `?P-Asserted-Identity=…`), `maddr` and every URI
 * parameter except `transport` and `user`, a password in the URI, other schemes, and numbers with `*`, `#` or letters
 * (feature codes such as `*72` forward the line). Deny entries win over allow entries; nothing configured = nothing
 * allowed. An accepted target comes back in canonical form (`uri`), rebuilt from its checked parts only.
 */
import { isIpv6, isSipUri, isTelUri, parseUri, uriScheme, type SipUri, type Uri } from '../sip/uri.js';
import { normalizeNumber } from './number.js';

/** Why a destination was refused: stable codes for logs, stats and APIs. */
export const DESTINATION_REFUSALS = {
  /** Empty, longer than 512 characters, or not a readable URI (bad escape, control characters, a password). */
  DESTINATION_MALFORMED: 'not a readable phone number or URI',
  /** A scheme other than `sip:`, `sips:` or `tel:` (`http:`, `mailto:`, `urn:` …). */
  DESTINATION_SCHEME: 'scheme not allowed',
  /** URI headers (`?Replaces=…&P-Asserted-Identity=…`): they would be copied into the request the peer sends. */
  DESTINATION_URI_HEADERS: 'URI headers not allowed',
  /** `maddr` (send the request elsewhere than the host says) or any URI parameter but `transport` and `user`. */
  DESTINATION_URI_PARAMETER: 'URI parameter not allowed',
  /** `*`, `#`, letters or other characters in a phone number (feature codes, vanity numbers); odd SIP user names. */
  DESTINATION_NOT_DIALABLE: 'not a dialable number',
  /** A number that cannot be read as E.164 (`011…`, a national number with no `sip.defaultCountryCode`). */
  DESTINATION_NOT_E164: 'not an E.164 number',
  /** Matched a deny entry. */
  DESTINATION_DENIED: 'denied',
  /** Matched no allow entry (always the case when none is configured). */
  DESTINATION_NOT_ALLOWED: 'not in the allow-list',
} as const;

export type DestinationRefusalCode = keyof typeof DESTINATION_REFUSALS;
export const DESTINATION_REFUSAL_CODES = Object.keys(DESTINATION_REFUSALS) as DestinationRefusalCode[];

/** An accepted destination, in canonical form. */
export type Destination =
  /** `number` is E.164; `uri` is `tel:<number>`. */
  | { readonly kind: 'number'; readonly number: string; readonly uri: string }
  /** `uri` is rebuilt from scheme, user, host, port, `transport` and `user`; `number` is the user part's E.164 reading. */
  | { readonly kind: 'sip'; readonly uri: string; readonly host: string; readonly number: string | undefined };

export type DestinationCheck =
  | ({ readonly ok: true } & Destination)
  | { readonly ok: false; readonly code: DestinationRefusalCode; readonly reason: string };

/** A configured entry that is neither an E.164 prefix nor a SIP domain. */
export class DestinationPolicyError extends Error {
  override readonly name = 'DestinationPolicyError';
  readonly code = 'DESTINATION_POLICY_INVALID_ENTRY';
}

/** One allow or deny entry, parsed. */
export type DestinationEntry =
  /** `+1555` or `+1555*`: E.164 numbers starting with `prefix`. */
  | { readonly kind: 'prefix'; readonly prefix: string; readonly source: string }
  /** `pbx.example.com`, `203.0.113.7`, `[2001:db8::1]`: that host only. */
  | { readonly kind: 'domain'; readonly host: string; readonly source: string }
  /** `*.example.com`: any host under `example.com` (not `example.com` itself). */
  | { readonly kind: 'subdomains'; readonly suffix: string; readonly source: string };

export interface DestinationPolicyOptions {
  readonly allow: readonly string[];
  readonly deny?: readonly string[];
  /** `sip.defaultCountryCode`: reads national numbers (`5557654321` → `+15557654321` for `1`). */
  readonly defaultCountryCode?: string | null;
}

const MAX_TARGET_CHARS = 512;
const PREFIX_ENTRY = /^\+[1-9]\d{0,14}\*?$/;
const LABEL = /^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const E164 = /^\+[1-9]\d{1,14}$/;
const VISUAL_SEPARATORS = /[-.() ]/g;
/** A SIP user part that is a name, not a number: conservative (no `;`, `?`, `*`, `#`, `%`). */
const NAME_USER = /^[a-z][a-z0-9._~-]{0,63}$/i;
const ALLOWED_PARAMS: ReadonlyMap<string, ReadonlySet<string>> = new Map([
  ['transport', new Set(['udp', 'tcp', 'tls', 'sctp', 'ws', 'wss'])],
  ['user', new Set(['phone', 'ip'])],
]);

/** Parses one allow/deny entry; throws DestinationPolicyError saying what an entry may be. */
export function parseDestinationEntry(source: string): DestinationEntry {
  const text = source.trim().toLowerCase();
  if (text.startsWith('+')) {
    if (!PREFIX_ENTRY.test(text)) {
      throw new DestinationPolicyError(`'${source}' is not an E.164 prefix: '+' then 1 to 15 digits, e.g. +1555 or +44`);
    }
    return { kind: 'prefix', prefix: text.replace(/\*$/, ''), source };
  }
  if (text.startsWith('*.')) {
    const suffix = text.slice(2);
    if (!isDomainName(suffix)) throw invalidEntry(source);
    return { kind: 'subdomains', suffix, source };
  }
  const host = hostKey(text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text);
  if (host === undefined) throw invalidEntry(source);
  return { kind: 'domain', host, source };
}

function invalidEntry(source: string): DestinationPolicyError {
  return new DestinationPolicyError(
    `'${source}' is neither an E.164 prefix (+1555) nor a SIP domain (pbx.example.com, *.example.com, an IP address)`,
  );
}

export class DestinationPolicy {
  /** Nothing is allowed: the default until a scope is configured. */
  static readonly DENY_ALL = new DestinationPolicy({ allow: [] });

  readonly #allow: readonly DestinationEntry[];
  readonly #deny: readonly DestinationEntry[];
  readonly #countryCode: string | undefined;

  /** @throws DestinationPolicyError for an entry that is neither a prefix nor a domain (validate config first). */
  constructor(options: DestinationPolicyOptions) {
    this.#allow = options.allow.map(parseDestinationEntry);
    this.#deny = (options.deny ?? []).map(parseDestinationEntry);
    const cc = options.defaultCountryCode?.replace(/^\+/, '');
    this.#countryCode = cc !== undefined && /^[1-9]\d{0,2}$/.test(cc) ? cc : undefined;
  }

  /** Whether nothing at all is allowed. */
  get deniesAll(): boolean {
    return this.#allow.length === 0;
  }

  /** Reads and checks `target`. Total: never throws. */
  check(target: string): DestinationCheck {
    if (target.length === 0 || target.length > MAX_TARGET_CHARS) return refuse('DESTINATION_MALFORMED', 'empty or too long');
    const scheme = uriScheme(target);
    if (scheme === undefined) return this.#checkNumber(target);
    if (scheme !== 'sip' && scheme !== 'sips' && scheme !== 'tel') return refuse('DESTINATION_SCHEME', `scheme '${scheme.slice(0, 16)}:' not allowed`);
    // Before parsing: a '?' anywhere starts headers or hides in a user part; neither is dialled.
    if (target.includes('?')) return refuse('DESTINATION_URI_HEADERS', 'URI headers (?…) are not allowed');
    let uri: Uri;
    try {
      uri = parseUri(target);
    } catch {
      return refuse('DESTINATION_MALFORMED', `not a valid ${scheme}: URI`);
    }
    if (isTelUri(uri)) {
      const param = uri.params.keys().next();
      if (!param.done) return refuse('DESTINATION_URI_PARAMETER', `tel: parameter '${param.value.slice(0, 32)}' not allowed`);
      return this.#checkNumber(uri.number);
    }
    if (!isSipUri(uri)) return refuse('DESTINATION_MALFORMED', `not a valid ${scheme}: URI`);
    return this.#checkSip(uri);
  }

  #checkNumber(written: string): DestinationCheck {
    const number = this.#e164(written);
    if (typeof number !== 'string') return number;
    const refusal = this.#match(number, (e) => e.kind === 'prefix' && number.startsWith(e.prefix), 'number');
    return refusal ?? { ok: true, kind: 'number', number, uri: `tel:${number}` };
  }

  #checkSip(uri: SipUri): DestinationCheck {
    if (uri.password !== undefined) return refuse('DESTINATION_MALFORMED', 'a password in the URI');
    if (uri.headers.size > 0) return refuse('DESTINATION_URI_HEADERS', 'URI headers (?…) are not allowed');
    for (const [name, value] of uri.params) {
      const values = ALLOWED_PARAMS.get(name);
      if (values === undefined || value === null || !values.has(value.toLowerCase())) {
        return refuse('DESTINATION_URI_PARAMETER', `URI parameter '${name.slice(0, 32)}' not allowed`);
      }
    }
    const host = hostKey(uri.host.toLowerCase());
    if (host === undefined) return refuse('DESTINATION_MALFORMED', 'not a host name or IP address');
    let user = uri.user;
    let number: string | undefined;
    if (user !== undefined && (uri.params.get('user') === 'phone' || !NAME_USER.test(user))) {
      if (!/^[+\d*#]/.test(user)) return refuse('DESTINATION_NOT_DIALABLE', 'a SIP user part must be a number or a plain name');
      const e164 = this.#e164(user);
      if (typeof e164 !== 'string') return e164;
      number = e164;
      user = user.replace(VISUAL_SEPARATORS, ''); // as written (national stays national), without separators
    }
    const refusal = this.#match(host, (e) => hostMatches(e, host), 'domain');
    if (refusal) return refusal;
    if (number !== undefined) {
      const n = number;
      const numberRefusal = this.#match(n, (e) => e.kind === 'prefix' && n.startsWith(e.prefix), 'number');
      if (numberRefusal) return numberRefusal;
    }
    let out = `${uri.scheme}:`;
    if (user !== undefined) out += `${user}@`;
    out += host.includes(':') ? `[${host}]` : host;
    if (uri.port !== undefined) out += `:${uri.port}`;
    for (const [name, value] of uri.params) out += `;${name}=${(value ?? '').toLowerCase()}`;
    return { ok: true, kind: 'sip', uri: out, host, number };
  }

  /** Deny first, then allow; undefined when `matches` lets the value through. */
  #match(value: string, matches: (e: DestinationEntry) => boolean, what: 'number' | 'domain'): DestinationCheck | undefined {
    if (this.#deny.some(matches)) return refuse('DESTINATION_DENIED', `${what} matches a deny entry`);
    if (!this.#allow.some(matches)) {
      return refuse('DESTINATION_NOT_ALLOWED', this.deniesAll ? 'no destination is allowed (none configured)' : `${what} matches no allow entry`);
    }
    return undefined;
  }

  /**
   * The E.164 reading of a written number, or the refusal. Only what a carrier would dial the same way is read:
   * `+…`, `00…`, and national numbers in the default country. A long digit string without either (which the
   * inbound normalisation takes as E.164 missing its `+`) would be dialled as national: refused.
   */
  #e164(written: string): string | DestinationCheck {
    const compact = written.replace(VISUAL_SEPARATORS, '');
    if (!/^\+?\d+$/.test(compact)) return refuse('DESTINATION_NOT_DIALABLE', 'a number may hold only digits after an optional +');
    let number: string | undefined;
    if (compact.startsWith('+') || /^00[1-9]/.test(compact)) {
      number = normalizeNumber(compact);
    } else if (this.#countryCode !== undefined) {
      const cc = this.#countryCode;
      const national = cc === '1' ? /^1?[2-9]\d{9}$/.test(compact) : /^0[1-9]/.test(compact);
      const read = normalizeNumber(compact, { defaultCountryCode: cc });
      if (national && read.startsWith(`+${cc}`)) number = read;
    }
    if (number === undefined || !E164.test(number)) {
      return refuse('DESTINATION_NOT_E164', this.#countryCode === undefined ? 'not an E.164 number (+ and country code)' : 'not an E.164 or national number');
    }
    return number;
  }
}

/**
 * A target fit for logs: a number keeps its first five characters (`+1900…`), a URI its scheme and host
 * (`sip:…@evil.example.com`); the rest is personal data. Never throws.
 */
export function redactDestination(target: string): string {
  const scheme = uriScheme(target);
  if (scheme === undefined) return target.length <= 5 ? target : `${target.slice(0, 5)}…`;
  const rest = target.slice(scheme.length + 1);
  const at = rest.indexOf('@');
  const afterUser = at >= 0 ? rest.slice(at + 1) : scheme === 'tel' ? '' : rest;
  const host = /^(\[[0-9a-f:.]*\]|[a-z0-9_.-]*)/i.exec(afterUser)?.[0] ?? '';
  const shownHost = host.length > 64 ? `${host.slice(0, 64)}…` : host;
  return `${scheme.slice(0, 16)}:…${at >= 0 ? '@' : ''}${shownHost}`;
}

function refuse(code: DestinationRefusalCode, reason: string): DestinationCheck {
  return { ok: false, code, reason };
}

function hostMatches(e: DestinationEntry, host: string): boolean {
  if (e.kind === 'domain') return e.host === host;
  return e.kind === 'subdomains' && host.endsWith(`.${e.suffix}`);
}

/** Lower-case host without a trailing dot, or undefined when it is no host name or IP address. */
function hostKey(text: string): string | undefined {
  const host = text.endsWith('.') ? text.slice(0, -1) : text;
  if (IPV4.test(host) || isIpv6(host) || isDomainName(host)) return host;
  return undefined;
}

/** Labels of letters, digits, `-` and `_`; the last one not all digits (that would be an IP address). */
function isDomainName(text: string): boolean {
  if (text.length === 0 || text.length > 253) return false;
  const labels = text.split('.');
  return labels.every((l) => LABEL.test(l)) && /[a-z]/.test(labels.at(-1) ?? '');
}
