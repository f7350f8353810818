/**
 * The INVITE of an outbound call through a trunk, as pure data (RFC 3261 §8.1.1, caller ID per RFC 3325/3323):
 * Request-URI and To name the dialled number written the trunk's way (`numberFormat`) at the trunk's proxy; From is
 * the caller ID (user, display name) with our tag; `P-Asserted-Identity` and `Privacy` as the trunk says. The caller
 * supplies Call-ID, tag, branch, CSeq and addresses, so the bytes are testable.
 */
import type { NumberFormat } from '../config-trunks.js';
import type { Destination } from '../routing/index.js';
import { hostPort } from '../sip/dialog.js';
import type { SipHeader, SipRequest } from '../sip/message.js';
import { uriTransportParam, type TransportName } from '../sip/transport/types.js';
import { formatDialledNumber, type OutboundTrunkConfig } from '../trunks/outbound.js';

/** What the INVITE is built from; everything random or addressed comes in. */
export interface OutboundInviteInput {
  readonly trunk: Pick<OutboundTrunkConfig, 'proxy' | 'numberFormat' | 'countryCode' | 'nationalPrefix' | 'callerId'>;
  /** `sip.defaultCountryCode`, for `numberFormat: national` when the trunk names no country. */
  readonly defaultCountryCode: string | null;
  /** The destination as the trunk's policy accepted it. */
  readonly destination: Destination;
  /** The From user part (checked by `isCallerIdUser`). */
  readonly fromUser: string;
  readonly callId: string;
  readonly fromTag: string;
  readonly cseq: number;
  readonly branch: string;
  readonly via: { readonly transport: TransportName; readonly host: string; readonly port: number };
  /** Contact header value (`<sip:patchbay@host:port>`). */
  readonly contact: string;
  readonly sdp: string;
  readonly userAgent?: string;
  /** Allow, Accept, ... */
  readonly extraHeaders?: readonly SipHeader[];
  /** Authorization / Proxy-Authorization answering a challenge. */
  readonly credentials?: readonly SipHeader[];
}

/** A From user part we write unescaped: the same characters `callerId.user` allows. */
const CALLER_ID_USER = /^[A-Za-z0-9+._~-]{1,64}$/;

export function isCallerIdUser(user: string): boolean {
  return CALLER_ID_USER.test(user);
}

/** The Request-URI for a destination: a number written the trunk's way at its proxy, or the SIP URI as accepted. */
export function requestUri(input: Pick<OutboundInviteInput, 'trunk' | 'defaultCountryCode' | 'destination'>): string {
  const { trunk, destination } = input;
  if (destination.kind === 'sip') return destination.uri;
  const user = dialledUser(destination.number, trunk, input.defaultCountryCode);
  const { host, port, transport } = trunk.proxy;
  return `sip:${user}@${port === 5060 ? bracket(host) : hostPort(host, port)}${uriTransportParam(transport)}`;
}

export function buildOutboundInvite(input: OutboundInviteInput): SipRequest {
  const { trunk } = input;
  const uri = requestUri(input);
  const domain = bracket(trunk.proxy.host);
  const toUri = input.destination.kind === 'sip' ? input.destination.uri : `sip:${dialledUser(input.destination.number, trunk, input.defaultCountryCode)}@${domain}`;
  const display = trunk.callerId.displayName;
  const headers: SipHeader[] = [
    { name: 'Via', value: `SIP/2.0/${input.via.transport.toUpperCase()} ${hostPort(input.via.host, input.via.port)};branch=${input.branch};rport` },
    { name: 'Max-Forwards', value: '70' },
    { name: 'From', value: `${display === undefined ? '' : `"${display}" `}<sip:${input.fromUser}@${domain}>;tag=${input.fromTag}` },
    { name: 'To', value: `<${toUri}>` },
    { name: 'Call-ID', value: input.callId },
    { name: 'CSeq', value: `${input.cseq} INVITE` },
    { name: 'Contact', value: input.contact },
  ];
  const pai = trunk.callerId.pAssertedIdentity;
  if (pai !== undefined) headers.push({ name: 'P-Asserted-Identity', value: pai.startsWith('+') ? `<sip:${pai}@${domain};user=phone>` : `<${pai}>` });
  const privacy = trunk.callerId.privacy;
  if (privacy !== undefined) headers.push({ name: 'Privacy', value: privacy.join(';') });
  if (input.userAgent) headers.push({ name: 'User-Agent', value: input.userAgent });
  headers.push(...(input.extraHeaders ?? []), ...(input.credentials ?? []));
  const body = Buffer.from(input.sdp);
  headers.push({ name: 'Content-Type', value: 'application/sdp' }, { name: 'Content-Length', value: String(body.length) });
  return { kind: 'request', method: 'INVITE', uri, headers, body };
}

function dialledUser(e164: string, trunk: OutboundInviteInput['trunk'], defaultCountryCode: string | null): string {
  const format: NumberFormat = trunk.numberFormat;
  return formatDialledNumber(e164, {
    format,
    countryCode: trunk.countryCode ?? defaultCountryCode,
    ...(trunk.nationalPrefix === undefined ? {} : { nationalPrefix: trunk.nationalPrefix }),
  });
}

/** An IPv6 literal host in brackets (a URI host); names and IPv4 as they are. */
function bracket(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}
