/**
 * DTMF carried in SIP INFO bodies: `application/dtmf-relay` (`Signal=5\r\nDuration=160`) and `application/dtmf`
 * (the body is the digit). Pure parsing; the SIP layer hands over the Content-Type and body.
 */
import { isDtmfDigit, type DtmfDigit } from './rfc4733.js';

/** Duration reported when an `application/dtmf-relay` body has none, or for `application/dtmf`. */
export const DEFAULT_INFO_DURATION_MS = 250;

/** Some devices send the RFC 4733 event number instead of the character (10 = *, 11 = #, 12–15 = A–D). */
const NUMERIC: Readonly<Record<string, DtmfDigit>> = { '10': '*', '11': '#', '12': 'A', '13': 'B', '14': 'C', '15': 'D' };

function digitOf(raw: string): DtmfDigit | undefined {
  const s = raw.trim().toUpperCase();
  if (isDtmfDigit(s)) return s;
  return NUMERIC[s];
}

export function parseDtmfInfo(contentType: string | undefined, body: string): { digit: DtmfDigit; durationMs: number } | undefined {
  if (contentType === undefined) return undefined;
  const mediaType = (contentType.split(';')[0] ?? '').trim().toLowerCase();
  if (mediaType === 'application/dtmf') {
    const digit = digitOf(body);
    return digit === undefined ? undefined : { digit, durationMs: DEFAULT_INFO_DURATION_MS };
  }
  if (mediaType !== 'application/dtmf-relay') return undefined;

  let digit: DtmfDigit | undefined;
  let durationMs = DEFAULT_INFO_DURATION_MS;
  for (const line of body.split(/\r?\n/)) {
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    const key = line.slice(0, eq).trim().toLowerCase();
    const value = line.slice(eq + 1).trim();
    if (key === 'signal') {
      digit = digitOf(value);
      if (digit === undefined) return undefined;
    } else if (key === 'duration') {
      if (!/^\d{1,6}$/.test(value)) return undefined;
      const n = Number(value);
      if (n > 0) durationMs = n;
    }
  }
  return digit === undefined ? undefined : { digit, durationMs };
}
