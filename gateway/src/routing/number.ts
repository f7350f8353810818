/**
 * Phone-number normalisation: turn whatever a carrier puts in a Request-URI, To or From header into one
 * canonical key that the router can look up.
 *
 * Numbers come out as E.164 with a leading `+` (`+15550100001`). Anything that is not a phone number (a SIP
 * user such as `alice`, an extension with `*` or `#`) comes out lower-cased and otherwise unchanged, so it can
 * still match an exact entry or the catch-all. Pure and total: never throws.
 */

export interface NormalizeOptions {
  /**
   * Country calling code (1–3 digits, e.g. `'1'`, `'44'`) used to complete national numbers: for `'1'` (NANP) a
   * 10-digit number `5550100001` becomes `+15550100001`; for any other code a number with a single `0` trunk
   * prefix (`02079460000`) drops the `0` and gets the code (`+442079460000`). A leading `+` is tolerated.
   */
  defaultCountryCode?: string | null;
}

/** Digits-only strings at least this long (not starting with 0) are taken as E.164 written without the `+`. */
const MIN_INTERNATIONAL_DIGITS = 8;

const SCHEME = /^(sips?|tel):/i;
const VISUAL_SEPARATORS = /[-.() \t]/g;
const DIGITS = /^\d+$/;
const COUNTRY_CODE = /^[1-9]\d{0,2}$/;
const NANP_NATIONAL = /^[2-9]\d{9}$/;

export function normalizeNumber(raw: string, options: NormalizeOptions = {}): string {
  const user = decodePercent(userPart(raw.trim()));
  if (user === '') return '';
  const compact = user.replace(VISUAL_SEPARATORS, '');
  const number = compact.startsWith('+') ? internationalDigits(compact.slice(1)) : nationalDigits(compact, options);
  return number ?? user.toLowerCase();
}

/** `+` followed by digits; undefined when what follows the `+` is not all digits. */
function internationalDigits(digits: string): string | undefined {
  return DIGITS.test(digits) ? `+${digits}` : undefined;
}

function nationalDigits(digits: string, options: NormalizeOptions): string | undefined {
  if (!DIGITS.test(digits)) return undefined;
  // International prefix `00` (ITU-T E.123); country codes never start with 0.
  if (/^00[1-9]/.test(digits)) return `+${digits.slice(2)}`;
  const countryCode = countryCodeOf(options);
  if (countryCode !== undefined) {
    if (countryCode === '1') {
      if (NANP_NATIONAL.test(digits)) return `+1${digits}`;
    } else if (/^0[1-9]/.test(digits) && digits.length >= MIN_INTERNATIONAL_DIGITS - 1) {
      return `+${countryCode}${digits.slice(1)}`;
    }
  }
  return digits.length >= MIN_INTERNATIONAL_DIGITS && !digits.startsWith('0') ? `+${digits}` : digits;
}

function countryCodeOf(options: NormalizeOptions): string | undefined {
  const raw = options.defaultCountryCode;
  if (raw === undefined || raw === null) return undefined;
  const code = raw.startsWith('+') ? raw.slice(1) : raw;
  return COUNTRY_CODE.test(code) ? code : undefined;
}

/**
 * The user part of a URI, name-addr or bare number, without URI parameters, headers or password:
 * `"Bob" <sip:+1555@h;user=phone>;tag=x` → `+1555`, `tel:+1-555;phone-context=x` → `+1-555`.
 */
function userPart(value: string): string {
  let addr = stripAngleBrackets(value);
  const scheme = SCHEME.exec(addr);
  const isSip = scheme !== null && scheme[1]?.toLowerCase() !== 'tel';
  if (scheme !== null) addr = addr.slice(scheme[0].length);
  const at = addr.indexOf('@');
  // `tel:` has no host part; for a bare value `user@host` we still want the user.
  if (at >= 0) addr = addr.slice(0, at);
  let end = addr.length;
  for (const stop of [';', '?']) {
    const i = addr.indexOf(stop);
    if (i >= 0 && i < end) end = i;
  }
  addr = addr.slice(0, end);
  if (isSip) {
    const colon = addr.indexOf(':'); // user:password@host
    if (colon >= 0 && at >= 0) addr = addr.slice(0, colon);
  }
  return addr.trim();
}

/** `"Bob <x>" <sip:...>;tag=1` → `sip:...`; values without `<` are returned unchanged. */
function stripAngleBrackets(value: string): string {
  let from = 0;
  if (value.startsWith('"')) {
    from = closingQuote(value) + 1;
  }
  const open = value.indexOf('<', from);
  if (open < 0) return value;
  const close = value.indexOf('>', open + 1);
  return value.slice(open + 1, close < 0 ? value.length : close).trim();
}

/** Index of the `"` that closes the quoted string starting at 0 (backslash escapes honoured), or the end. */
function closingQuote(value: string): number {
  for (let i = 1; i < value.length; i++) {
    const c = value[i];
    if (c === '\\') i++;
    else if (c === '"') return i;
  }
  return value.length - 1;
}

function decodePercent(value: string): string {
  if (!value.includes('%')) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    // A malformed escape (`%G1`, a lone `%`): keep what was sent rather than failing the call.
    return value;
  }
}
