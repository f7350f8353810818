/**
 * SIP traffic by method and status, for metrics: requests received (every one that parsed, retransmissions
 * included) and responses sent (retransmissions of a 2xx included). Labels stay a small closed set: a method we do
 * not know is `OTHER`, a status outside 100–699 `other`. O(1) per message.
 */
import { parseCSeq } from './headers.js';
import { getHeader, type SipResponse } from './message.js';

/** The methods counted by name; anything else is `OTHER`. */
export const COUNTED_METHODS = ['INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', 'INFO', 'NOTIFY', 'REFER', 'REGISTER', 'SUBSCRIBE', 'MESSAGE', 'PUBLISH', 'UPDATE', 'PRACK'] as const;
const KNOWN = new Set<string>(COUNTED_METHODS);

export interface SipTrafficSnapshot {
  /** Requests received by method. */
  requests: Record<string, number>;
  /** Responses sent by the method they answer and their status code (`other` when not 100–699). */
  responses: Array<{ method: string; status: string; count: number }>;
}

export class SipTraffic {
  private readonly requests = new Map<string, number>();
  /** Keyed `METHOD status`. */
  private readonly responses = new Map<string, number>();

  requestReceived(method: string): void {
    const m = methodLabel(method);
    this.requests.set(m, (this.requests.get(m) ?? 0) + 1);
  }

  responseSent(res: SipResponse): void {
    let method = 'OTHER';
    try {
      method = methodLabel(parseCSeq(getHeader(res, 'cseq') ?? '').method);
    } catch {
      // a response we built always has a CSeq; an unreadable one is counted as OTHER
    }
    const key = `${method} ${statusLabel(res.status)}`;
    this.responses.set(key, (this.responses.get(key) ?? 0) + 1);
  }

  snapshot(): SipTrafficSnapshot {
    return {
      requests: Object.fromEntries(this.requests),
      responses: [...this.responses].map(([key, count]) => {
        const [method = 'OTHER', status = 'other'] = key.split(' ');
        return { method, status, count };
      }),
    };
  }
}

export function methodLabel(method: string): string {
  return KNOWN.has(method) ? method : 'OTHER';
}

export function statusLabel(status: number): string {
  return Number.isInteger(status) && status >= 100 && status <= 699 ? String(status) : 'other';
}
