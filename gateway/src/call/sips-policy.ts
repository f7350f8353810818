/**
 * `sips:` Request-URIs (RFC 3261 §26.2.2, RFC 5630): a SIPS request must have arrived over TLS. Pure: the
 * controller asks before anything else is done with an out-of-dialog request.
 *
 * - TLS not configured (`sip.tls` absent): we cannot serve SIPS at all; 416 Unsupported URI Scheme (RFC 3261
 *   §8.2.2.1), as a UAS without SIPS support answers.
 * - TLS configured but the request came over UDP or TCP: 480 Temporarily Unavailable with `Warning: 380 "SIPS Not
 *   Allowed"` (RFC 5630 §5.3: the SIPS resource cannot be reached securely this way). The caller can retry over TLS;
 *   the scheme itself is not the problem, so 416 would mislead.
 */
import type { SipHeader } from '../sip/message.js';
import { isSecure, type TransportName } from '../sip/transport/types.js';
import { CallRejection } from './admission.js';

/** The answers, one table (docs/tls.md). */
export const SIPS_REFUSALS = {
  SIPS_UNSUPPORTED: { status: 416, reason: 'Unsupported URI Scheme', doc: 'a sips: Request-URI and no TLS listener (sip.tls)' },
  SIPS_NOT_SECURE: { status: 480, reason: 'Temporarily Unavailable', doc: 'a sips: Request-URI that arrived over UDP or TCP: send it over TLS' },
} as const;

export type SipsRefusalCode = keyof typeof SIPS_REFUSALS;

/** The refusal for this request, or undefined when its scheme and transport go together. */
export function sipsRefusal(uri: string, transport: TransportName, tlsEnabled: boolean): CallRejection | undefined {
  if (!/^sips:/i.test(uri) || isSecure(transport)) return undefined;
  const code: SipsRefusalCode = tlsEnabled ? 'SIPS_NOT_SECURE' : 'SIPS_UNSUPPORTED';
  const { status, reason } = SIPS_REFUSALS[code];
  const headers: SipHeader[] = code === 'SIPS_NOT_SECURE' ? [{ name: 'Warning', value: '380 patchbay "SIPS Not Allowed"' }] : [];
  return new CallRejection(status, reason, headers, code);
}
