/**
 * Via handling at the transport boundary.
 *
 * Inbound requests (RFC 3261 §18.2.1, RFC 3581 §4): stamp `received` with the source address when the sent-by
 * host differs from it (or when `rport` is asked for, which RFC 3581 requires), and fill a valueless `rport` with
 * the source port.
 * Responses (RFC 3261 §18.2.2, RFC 3581 §4): where the top Via says to send them.
 */
import { formatVia, parseVia, splitHeaderList, type Via } from '../headers.js';
import { headerName, type SipRequest, type SipResponse } from '../message.js';
import { DEFAULT_SIP_PORT, normalizeAddress, SIP_TRANSPORTS, type RemoteInfo } from './types.js';
import { SipTransportError, SipTransportErrorCode } from './transport-error.js';

/**
 * Rewrites the top Via of a request received from `source` in place. Returns false (and changes nothing) when
 * the request has no Via. Throws SipParseError when the top Via does not parse.
 */
export function stampTopVia(req: SipRequest, source: RemoteInfo): boolean {
  const index = req.headers.findIndex((h) => headerName(h.name) === 'via');
  const header = req.headers[index];
  if (header === undefined) return false;
  const [first, ...rest] = splitHeaderList(header.value);
  if (first === undefined) return false;
  const via = parseVia(first);
  const sourceAddress = normalizeAddress(source.address);
  const wantsRport = via.rport === null;
  if (!wantsRport && normalizeAddress(via.host) === sourceAddress) return true;
  via.received = sourceAddress;
  if (wantsRport) via.rport = source.port;
  const value = [formatVia(via), ...rest].join(', ');
  req.headers[index] = { name: header.name, value };
  return true;
}

/** The top Via of a response, or a SipTransportError when there is none. */
export function responseVia(res: SipResponse): Via {
  const header = res.headers.find((h) => headerName(h.name) === 'via');
  const first = header === undefined ? undefined : splitHeaderList(header.value)[0];
  if (first === undefined) throw new SipTransportError('response without Via', SipTransportErrorCode.Unroutable);
  return parseVia(first);
}

/**
 * Where a response goes when it cannot use the connection its request came on: `received` (else the sent-by
 * host), and on UDP the `rport` value (else the sent-by port, default 5060).
 */
export function responseTarget(via: Via, transport: RemoteInfo['transport']): RemoteInfo {
  const address = via.received ?? via.host;
  const port =
    transport === 'udp' && typeof via.rport === 'number' ? via.rport : (via.port ?? SIP_TRANSPORTS[transport].defaultPort);
  return { transport, address, port };
}
