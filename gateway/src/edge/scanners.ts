/**
 * Known SIP scanners by User-Agent, found in the raw bytes before parsing: the header lines are walked with native
 * `indexOf` (no string made of the message), and only a `User-Agent` value is decoded and compared. Pure.
 *
 * The default list is conservative: tools whose only purpose is scanning, brute-forcing or flooding SIP servers,
 * as blocked by Kamailio/OpenSIPS/Asterisk deployments' scripts (friendly-scanner is SIPVicious's default; sipcli,
 * iWar, sundayddr, pplsip, VaxSIPUserAgent come from honeypot logs). Real products that scanners also impersonate
 * (PortSIP VoIP SDK, Ozeki, eyeBeam, X-Lite, Asterisk PBX) and diagnostic tools an operator runs (sipsak, SIPp)
 * are left out: a false positive silently drops a customer's calls. docs/edge.md lists the table.
 */

/** `sip.scannerUserAgents`' default: each matches as a case-insensitive substring of a User-Agent value. */
export const SCANNER_USER_AGENTS = [
  'friendly-scanner',
  'friendly-request',
  'sipvicious',
  'sipcli',
  'sip-scan',
  'sipscan',
  'siparmyknife',
  'sivus',
  'VaxSIPUserAgent',
  'VaxIPUserAgent',
  'iWar',
  'sundayddr',
  'sundayaddr',
  'pplsip',
] as const;

const USER_AGENT = 'user-agent';
const LF = 0x0a;
const CR = 0x0d;
const COLON = 0x3a;
/** Headers past this many bytes are not searched (a User-Agent comes early; the body never counts). */
const SEARCH_LIMIT = 8_192;

export class ScannerMatcher {
  private readonly needles: readonly string[];

  constructor(userAgents: readonly string[]) {
    this.needles = userAgents.map((u) => u.toLowerCase()).filter((u) => u !== '');
  }

  /** Whether any User-Agent header of the message in `buf` contains a listed name. */
  matches(buf: Buffer): boolean {
    if (this.needles.length === 0) return false;
    for (const value of userAgents(buf)) {
      const lower = value.toLowerCase();
      for (const needle of this.needles) if (lower.includes(needle)) return true;
    }
    return false;
  }
}

/** Every `User-Agent` header value in the header section of `buf` (header names are case-insensitive). */
export function* userAgents(buf: Buffer): Generator<string> {
  const end = Math.min(buf.length, SEARCH_LIMIT);
  let line = buf.indexOf(LF) + 1; // past the start line
  while (line > 0 && line < end) {
    let next = buf.indexOf(LF, line);
    if (next < 0 || next > end) next = end;
    const first = buf[line];
    if (first === CR || first === LF) return; // the blank line: end of the headers
    if (first !== undefined && (first | 0x20) === 0x75 && isUserAgentName(buf, line, next)) {
      const colon = buf.indexOf(COLON, line);
      yield buf.toString('latin1', colon + 1, next).trim();
    }
    line = next + 1;
  }
}

function isUserAgentName(buf: Buffer, start: number, end: number): boolean {
  if (end - start <= USER_AGENT.length) return false;
  for (let i = 1; i < USER_AGENT.length; i++) {
    if (((buf[start + i] ?? 0) | 0x20) !== USER_AGENT.charCodeAt(i)) return false;
  }
  // Optional whitespace between the name and its colon (RFC 3261 HCOLON).
  for (let i = start + USER_AGENT.length; i < end; i++) {
    const c = buf[i];
    if (c === COLON) return true;
    if (c !== 0x20 && c !== 0x09) return false;
  }
  return false;
}
