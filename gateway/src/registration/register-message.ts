/**
 * REGISTER requests (RFC 3261 §10.2) and what their responses grant. Pure: the caller supplies tags, branch and
 * addresses, so the bytes are testable.
 */
import { getHeader, getHeaders, type SipHeader, type SipRequest, type SipResponse } from '../sip/message.js';
import { parseNameAddr, splitHeaderList } from '../sip/headers.js';
import { hostPort } from '../sip/dialog.js';
import { isSipUri, parseUri } from '../sip/uri.js';
import type { TrunkTransport } from '../config-trunks.js';
import { uriTransportParam } from '../sip/transport/types.js';

export interface RegisterRequestInput {
  /** `sip:<domain>`: the registrar's domain (RFC 3261 §10.2: no user part). */
  readonly requestUri: string;
  /** `sip:<user>@<domain>`. */
  readonly aor: string;
  /** Our Contact URI, e.g. `sip:pb-1a2b@198.51.100.7:5060;transport=tcp`. */
  readonly contact: string;
  readonly expiresS: number;
  readonly callId: string;
  readonly cseq: number;
  readonly fromTag: string;
  readonly branch: string;
  readonly via: { readonly transport: TrunkTransport; readonly host: string; readonly port: number };
  readonly userAgent?: string;
  /** Authorization / Proxy-Authorization. */
  readonly credentials?: readonly SipHeader[];
}

export function buildRegister(input: RegisterRequestInput): SipRequest {
  const headers: SipHeader[] = [
    { name: 'Via', value: `SIP/2.0/${input.via.transport.toUpperCase()} ${hostPort(input.via.host, input.via.port)};branch=${input.branch};rport` },
    { name: 'Max-Forwards', value: '70' },
    { name: 'From', value: `<${input.aor}>;tag=${input.fromTag}` },
    { name: 'To', value: `<${input.aor}>` },
    { name: 'Call-ID', value: input.callId },
    { name: 'CSeq', value: `${input.cseq} REGISTER` },
    { name: 'Contact', value: `<${input.contact}>` },
    { name: 'Expires', value: String(input.expiresS) },
  ];
  if (input.userAgent) headers.push({ name: 'User-Agent', value: input.userAgent });
  if (input.credentials) headers.push(...input.credentials);
  headers.push({ name: 'Content-Length', value: '0' });
  return { kind: 'request', method: 'REGISTER', uri: input.requestUri, headers, body: Buffer.alloc(0) };
}

/** Our Contact URI: `sip:<user>@<host>:<port>`, with `;transport=tcp` on TCP. */
export function contactUri(user: string, host: string, port: number, transport: TrunkTransport): string {
  return `sip:${user}@${hostPort(host, port)}${uriTransportParam(transport)}`;
}

/**
 * The lifetime a 2xx granted our binding (RFC 3261 §10.2.4): the `expires` parameter of our Contact among those
 * returned, else the Expires header, else what we asked for. Undefined when the registrar lists contacts but not
 * ours with a lifetime and gives no Expires: then we asked for nothing it kept.
 */
export function grantedExpiresS(res: SipResponse, ourContact: string, requestedS: number): number | undefined {
  let listed = false;
  for (const value of getHeaders(res, 'contact').flatMap((v) => splitHeaderList(v))) {
    try {
      const na = parseNameAddr(value);
      listed = true;
      if (!sameContact(na.uri, ourContact)) continue;
      const expires = na.params.get('expires');
      const n = expires == null ? undefined : seconds(expires);
      if (n !== undefined) return n;
    } catch {
      // a contact we cannot read is not ours
    }
  }
  const header = getHeader(res, 'expires');
  const fromHeader = header === undefined ? undefined : seconds(header);
  if (fromHeader !== undefined) return fromHeader;
  return listed ? undefined : requestedS;
}

/** `Min-Expires` of a 423 (RFC 3261 §10.3 step 7), or undefined. */
export function minExpiresS(res: SipResponse): number | undefined {
  const value = getHeader(res, 'min-expires');
  return value === undefined ? undefined : seconds(value);
}

/** `Retry-After: 120 (maintenance);duration=…`: the seconds, or undefined. */
export function retryAfterS(res: SipResponse): number | undefined {
  const value = getHeader(res, 'retry-after');
  const m = value === undefined ? null : /^\s*(\d{1,9})/.exec(value);
  return m?.[1] === undefined ? undefined : Number(m[1]);
}

function seconds(text: string): number | undefined {
  const t = text.trim();
  return /^\d{1,10}$/.test(t) ? Math.min(Number(t), 2 ** 32 - 1) : undefined;
}

/** Same user, host (case-insensitive) and port (5060 when absent) — RFC 3261 §19.1.4 in the parts that matter here. */
function sameContact(a: string, b: string): boolean {
  try {
    const x = parseUri(a);
    const y = parseUri(b);
    if (!isSipUri(x) || !isSipUri(y)) return false;
    return x.user === y.user && x.host.toLowerCase() === y.host.toLowerCase() && (x.port ?? 5060) === (y.port ?? 5060);
  } catch {
    return false;
  }
}
