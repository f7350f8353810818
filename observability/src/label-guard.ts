/**
 * Keeps label values a small closed set. Label values reach us from gateway snapshots and call summaries as
 * strings; a bug upstream (a call id or a phone number where a reason belongs) must not explode the series count
 * or leak personal data into Prometheus. Unknown-looking or surplus values collapse into one fallback value.
 */

const SIP_METHODS = new Set(['INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', 'REGISTER', 'INFO', 'UPDATE', 'PRACK', 'NOTIFY', 'SUBSCRIBE', 'REFER', 'MESSAGE', 'PUBLISH']);

export class LabelGuard {
  private readonly seen = new Set<string>();
  private readonly maxValues: number;
  private readonly fallback: string;
  private readonly pattern: RegExp;

  /**
   * At most `maxValues` distinct values matching `pattern` pass; by default lowercase words (`remote-bye`,
   * `overflow`, `rtp_timeout`). Names from the configuration (trunks) pass a wider pattern.
   */
  constructor(maxValues = 32, fallback = 'other', pattern = /^[a-z][a-z0-9_-]{0,39}$/) {
    this.maxValues = maxValues;
    this.fallback = fallback;
    this.pattern = pattern;
  }

  value(raw: string): string {
    if (this.seen.has(raw)) return raw;
    if (!this.pattern.test(raw) || this.seen.size >= this.maxValues) return this.fallback;
    this.seen.add(raw);
    return raw;
  }
}

/** A SIP method as a label: the standard methods (RFC 3261 and extensions), anything else `OTHER`. */
export function sipMethodLabel(raw: string): string {
  const m = raw.toUpperCase();
  return SIP_METHODS.has(m) ? m : 'OTHER';
}

/** A SIP status as a label: the code 100…699 (a closed set), anything else `other`. */
export function sipStatusLabel(raw: string | number): string {
  const n = typeof raw === 'number' ? raw : Number(raw);
  return Number.isInteger(n) && n >= 100 && n <= 699 ? String(n) : 'other';
}
