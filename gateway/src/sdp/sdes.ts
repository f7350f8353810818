/**
 * SDES (RFC 4568): SRTP keys carried in the SDP's `a=crypto` lines, read and written.
 *
 *   a=crypto:<tag> <crypto-suite> inline:<base64 master key || master salt>[|<lifetime>][|<MKI>:<length>] [<session params>]
 *
 * Reading is strict and bounded: at most MAX_CRYPTO_LINES lines of a stream are looked at, each at most
 * MAX_CRYPTO_LINE_LENGTH characters. A line we cannot use is skipped, never fatal (the offer may carry another we
 * can): an unknown suite, an MKI (we run one key per direction), more than one key, any session parameter
 * (`UNENCRYPTED_SRTP`, `KDR=`, `FEC_ORDER=` ... change what the keys mean), a key whose decoded length is not the
 * suite's key + salt, or a malformed lifetime. The lifetime (`2^31`, `1048576`) is accepted and not enforced: no call
 * sends 2^31 packets. Pure: no I/O, no randomness (the caller draws our keys).
 */
import { SRTP_SUITES, type SrtpKeyMaterial, type SrtpSuite } from '../media/srtp/types.js';

/** Lines of one m= section looked at; the rest are ignored (an offer lists one per suite it speaks: a handful). */
export const MAX_CRYPTO_LINES = 16;
/** Longest `a=crypto` value considered (a line with one inline key, a lifetime and an MKI is under 100). */
export const MAX_CRYPTO_LINE_LENGTH = 256;

/** One usable `a=crypto` line: its tag (echoed in the answer), suite and the key it carries. */
export interface SdesCrypto {
  readonly tag: number;
  readonly key: SrtpKeyMaterial;
}

/** Why a line was skipped (for logs and tests; never sent on the wire). */
export type SdesSkip = 'too-long' | 'syntax' | 'unknown-suite' | 'session-params' | 'key-params' | 'mki' | 'key-length';

const LINE = /^([0-9]{1,9}) ([A-Za-z0-9_]+) (\S+)( .*)?$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const LIFETIME = /^(2\^[0-9]{1,2}|[0-9]{1,20})$/;
const MKI = /^[0-9]{1,20}:[0-9]{1,3}$/;

export function isSrtpSuite(name: string): name is SrtpSuite {
  return Object.hasOwn(SRTP_SUITES, name);
}

/** Reads one `a=crypto` value (after `a=crypto:`); a reason when it is not usable. */
export function parseCryptoLine(value: string): SdesCrypto | { skip: SdesSkip } {
  if (value.length > MAX_CRYPTO_LINE_LENGTH) return { skip: 'too-long' };
  const m = LINE.exec(value.trim());
  if (m === null) return { skip: 'syntax' };
  const [, tagText = '', suite = '', keyParams = '', sessionParams] = m;
  if (!isSrtpSuite(suite)) return { skip: 'unknown-suite' };
  if (sessionParams !== undefined && sessionParams.trim() !== '') return { skip: 'session-params' };
  // Several key-params (`;`-separated) only make sense with MKIs: one key per direction here.
  if (keyParams.includes(';') || !keyParams.startsWith('inline:')) return { skip: 'key-params' };
  const [base64 = '', ...rest] = keyParams.slice('inline:'.length).split('|');
  if (rest.length > 2) return { skip: 'key-params' };
  let lifetimeSeen = false;
  for (const part of rest) {
    if (MKI.test(part)) return { skip: 'mki' };
    if (lifetimeSeen || !LIFETIME.test(part)) return { skip: 'key-params' };
    lifetimeSeen = true;
  }
  const info = SRTP_SUITES[suite];
  const bytes = decodeBase64(base64);
  if (bytes === undefined) return { skip: 'key-params' };
  if (bytes.length !== info.keyLength + info.saltLength) return { skip: 'key-length' };
  return {
    tag: Number(tagText),
    key: { suite, masterKey: bytes.subarray(0, info.keyLength), masterSalt: bytes.subarray(info.keyLength) },
  };
}

/** The usable lines among a stream's `a=crypto` values, in offer order (the first MAX_CRYPTO_LINES looked at). */
export function readCryptoLines(values: readonly string[]): SdesCrypto[] {
  const out: SdesCrypto[] = [];
  for (const value of values.slice(0, MAX_CRYPTO_LINES)) {
    const parsed = parseCryptoLine(value);
    if ('key' in parsed && !out.some((c) => c.tag === parsed.tag)) out.push(parsed); // a repeated tag: the first wins
  }
  return out;
}

/** The suites named by a stream's lines, usable or not, for a 488 naming what was offered (bounded, printable). */
export function offeredSuites(values: readonly string[]): string[] {
  const names = values.slice(0, MAX_CRYPTO_LINES).map((v) => /^\s*[0-9]+ ([A-Za-z0-9_]{1,40})/.exec(v)?.[1] ?? '?');
  return [...new Set(names)];
}

/** The `a=crypto` value for our key: `<tag> <suite> inline:<base64>`. */
export function formatCryptoLine(tag: number, key: SrtpKeyMaterial): string {
  return `${tag} ${key.suite} inline:${encodeKey(key)}`;
}

/** `masterKey || masterSalt` in base64 (with padding, as RFC 4568's examples and every implementation write it). */
export function encodeKey(key: SrtpKeyMaterial): string {
  const out = Buffer.alloc(key.masterKey.length + key.masterSalt.length);
  out.set(key.masterKey, 0);
  out.set(key.masterSalt, key.masterKey.length);
  return out.toString('base64');
}

/** Strict base64 (padding optional, no whitespace or URL alphabet); undefined when malformed. */
function decodeBase64(text: string): Buffer | undefined {
  if (!BASE64.test(text)) return undefined;
  const unpadded = text.replace(/=+$/, '');
  if (unpadded.length % 4 === 1) return undefined;
  if (text.length !== unpadded.length && text.length % 4 !== 0) return undefined;
  return Buffer.from(unpadded, 'base64');
}
