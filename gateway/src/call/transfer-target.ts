/**
 * The Refer-To URI (RFC 3515 §2.1) for the target of an agent's `transfer`: a sip:/sips: URI is used as it is; a
 * phone number becomes `sip:<number>@<host>`, the host being `sip.transferDomain` when set, else the host the call
 * came from (the carrier or PBX that sent the INVITE, which places the new call).
 */
import { isSipUri, parseUri } from '../sip/uri.js';

export class TransferTargetError extends Error {
  override readonly name = 'TransferTargetError';
  readonly code = 'TRANSFER_BAD_TARGET';
}

export interface TransferTargetOptions {
  /** `sip.transferDomain`: host, optionally with `:port`; null = `peerHost`. */
  domain: string | null;
  /** The address the dialog's peer reached us from. */
  peerHost: string;
}

/** A phone number as the protocol takes it: an optional `+`, then digits, `*` and `#`. */
const NUMBER = /^\+?[0-9*#]{1,32}$/;
const MAX_URI_CHARS = 512;

/** Throws TransferTargetError for a target that is neither a phone number nor a usable sip:/sips: URI. */
export function referToUri(target: string, options: TransferTargetOptions): string {
  if (NUMBER.test(target)) {
    const host = options.domain ?? (options.peerHost.includes(':') ? `[${options.peerHost}]` : options.peerHost);
    // `#` is not allowed unescaped in a SIP user part (RFC 3261 §25.1); `+` and `*` are.
    return `sip:${target.replace(/#/g, '%23')}@${host}`;
  }
  if (!/^sips?:/i.test(target)) throw new TransferTargetError('transfer target must be a phone number (+15551234567) or a sip:/sips: URI');
  // Goes inside <...> in a header: nothing that could end the brackets or the line.
  if (target.length > MAX_URI_CHARS || /[\s<>"]/.test(target)) throw new TransferTargetError('transfer target is not a usable SIP URI');
  let host: string | undefined;
  try {
    const uri = parseUri(target);
    host = isSipUri(uri) ? uri.host : undefined;
  } catch (err) {
    throw new TransferTargetError('transfer target is not a valid SIP URI', { cause: err });
  }
  if (!host) throw new TransferTargetError('transfer target is not a valid SIP URI');
  return target;
}
