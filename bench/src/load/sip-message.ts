/**
 * The load generator's reading of a SIP message (pure): first line, headers (compact names expanded, lower case, the
 * first value of each), the raw Via/From/To/Call-ID/CSeq lines a response copies, and the body. Not a SIP parser:
 * no folding, no multi-value splitting; the lines the gateway and the floor relay write.
 */

export interface SipMessage {
  /** The request's method, or undefined for a response. */
  readonly method: string | undefined;
  /** The request's Request-URI ('' for a response). */
  readonly uri: string;
  /** The response's status (0 for a request). */
  readonly status: number;
  readonly headers: ReadonlyMap<string, string>;
  /** Every Via, From, To, Call-ID and CSeq line as received, in order: what a response to this request repeats. */
  readonly dialogLines: readonly string[];
  readonly body: string;
  readonly callId: string;
  /** `CSeq` normalised to `<number> <METHOD>`. */
  readonly cseq: string;
}

const COMPACT: Readonly<Record<string, string>> = { v: 'via', f: 'from', t: 'to', i: 'call-id', m: 'contact', l: 'content-length', c: 'content-type' };
const DIALOG_HEADERS = new Set(['via', 'from', 'to', 'call-id', 'cseq']);

/** Undefined when the first line is neither a request line nor a status line. */
export function parseSipMessage(text: string): SipMessage | undefined {
  const split = text.indexOf('\r\n\r\n');
  const head = split < 0 ? text : text.slice(0, split);
  const body = split < 0 ? '' : text.slice(split + 4);
  const lines = head.split('\r\n');
  const first = lines[0] ?? '';
  const status = /^SIP\/2\.0 (\d{3})/.exec(first);
  const request = /^([A-Z]+) (\S+) SIP\/2\.0$/.exec(first);
  if (status === null && request === null) return undefined;
  const headers = new Map<string, string>();
  const dialogLines: string[] = [];
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const key = COMPACT[name] ?? name;
    if (!headers.has(key)) headers.set(key, line.slice(colon + 1).trim());
    if (DIALOG_HEADERS.has(key)) dialogLines.push(line);
  }
  return {
    method: request?.[1],
    uri: request?.[2] ?? '',
    status: status === null ? 0 : Number(status[1]),
    headers,
    dialogLines,
    body,
    callId: headers.get('call-id') ?? '',
    cseq: (headers.get('cseq') ?? '').replace(/\s+/g, ' ').trim(),
  };
}

/** The `tag` parameter of a From/To value ('' when none). */
export function tagOf(value: string): string {
  return /;\s*tag=([^;>\s]+)/i.exec(value)?.[1] ?? '';
}

/** The URI inside `<...>` of a Contact/From/To value, or the value up to its first `;` without brackets. */
export function uriOf(value: string): string {
  const bracketed = /<([^>]+)>/.exec(value)?.[1];
  return bracketed ?? value.split(';')[0]?.trim() ?? '';
}

/** The user part of a sip:/sips: URI ('' when none). */
export function userOf(uri: string): string {
  return /^sips?:([^@;>]+)@/i.exec(uri)?.[1] ?? '';
}

/** Host and port of a sip: URI (default port 5060); undefined for anything else. */
export function hostPortOf(uri: string): { readonly host: string; readonly port: number } | undefined {
  const m = /^sips?:(?:[^@]+@)?(\[[^\]]+\]|[^:;>?]+)(?::(\d+))?/i.exec(uri);
  if (m === null || m[1] === undefined) return undefined;
  return { host: m[1], port: m[2] === undefined ? 5060 : Number(m[2]) };
}
