/** SIP messages as text for the scripted test caller: a tolerant parser and header helpers (not the gateway's). */

/** A parsed SIP message; header names are lower-case long forms, in order. */
export interface SipMessage {
  readonly firstLine: string;
  readonly status: number | undefined;
  readonly method: string | undefined;
  readonly headers: readonly (readonly [string, string])[];
  readonly body: string;
}

const COMPACT: Readonly<Record<string, string>> = {
  v: 'via',
  f: 'from',
  t: 'to',
  i: 'call-id',
  m: 'contact',
  l: 'content-length',
  c: 'content-type',
  o: 'event',
  r: 'refer-to',
  b: 'referred-by',
};

/** Parse one datagram: start line, headers (lower-case long names, folded lines joined) and body. */
export function parseSip(text: string): SipMessage | undefined {
  const split = text.indexOf('\r\n\r\n');
  const head = split < 0 ? text : text.slice(0, split);
  const body = split < 0 ? '' : text.slice(split + 4);
  const [firstLine = '', ...rest] = head.split('\r\n');
  const headers: [string, string][] = [];
  for (const line of rest) {
    if (/^[ \t]/.test(line) && headers.length > 0) {
      const last = headers[headers.length - 1];
      if (last !== undefined) last[1] += ` ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    headers.push([COMPACT[name] ?? name, line.slice(colon + 1).trim()]);
  }
  const response = /^SIP\/2\.0 (\d{3})/.exec(firstLine);
  if (response !== null) return { firstLine, status: Number(response[1]), method: undefined, headers, body };
  const request = /^([A-Z]+) \S+ SIP\/2\.0$/.exec(firstLine);
  if (request !== null) return { firstLine, status: undefined, method: request[1], headers, body };
  return undefined;
}

/** The first value of header `name` (lower-case long name). */
export function header(msg: SipMessage, name: string): string | undefined {
  return msg.headers.find(([n]) => n === name)?.[1];
}

/** `call-id` → `Call-ID`, `refer-to` → `Refer-To`. */
export function canonical(name: string): string {
  if (name === 'call-id') return 'Call-ID';
  if (name === 'cseq') return 'CSeq';
  return name.replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => `${dash}${c.toUpperCase()}`);
}
