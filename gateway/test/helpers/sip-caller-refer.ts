/**
 * The test caller's side of a transfer (RFC 3515): answers the gateway's REFER as scripted (202 by default), then
 * reports progress in NOTIFYs inside the dialog, one per scripted sipfrag status line (`Event: refer;id=<CSeq>`,
 * `message/sipfrag`; the last one terminates the subscription), each waiting for the gateway's answer. Only the
 * first REFER of a call plays the script; later ones get the same answer and no NOTIFY.
 */
import { header, type SipMessage } from './sip-text.js';

export interface ReferScript {
  /** Final answer to the gateway's REFER; default 202 Accepted. */
  readonly status?: number;
  /** Status lines of the NOTIFYs sent after a 2xx, in order, e.g. `SIP/2.0 100 Trying`, `SIP/2.0 200 OK`. */
  readonly notify?: readonly string[];
  /** The NOTIFYs wait for this (to keep a transfer in progress while a test does something). */
  readonly hold?: Promise<void>;
}

/** What the responder needs from the caller: answer a request, send one inside the dialog. */
export interface ReferPeer {
  respond(request: SipMessage, status: number, reason: string): void;
  request(method: string, timeoutMs: number, extra: readonly string[], body: string): Promise<SipMessage>;
}

export interface NotifyAnswer {
  /** The gateway's final status for the NOTIFY (0 when it did not answer in time). */
  readonly status: number;
  readonly atMs: number;
}

const REASONS: Readonly<Record<number, string>> = { 200: 'OK', 202: 'Accepted', 403: 'Forbidden', 405: 'Method Not Allowed', 603: 'Decline' };

export class ReferResponder {
  /** REFERs from the gateway, in order. */
  readonly refers: SipMessage[] = [];
  /** The gateway's answer to each NOTIFY sent, in order, with when it arrived (`performance.now()`). */
  readonly notifyAnswers: NotifyAnswer[] = [];
  /** Resolves once every scripted NOTIFY has been answered (or timed out). Never rejects. */
  readonly done: Promise<void>;
  private finish: () => void = () => undefined;

  constructor(
    private readonly peer: ReferPeer,
    private readonly script: ReferScript,
  ) {
    this.done = new Promise<void>((resolve) => {
      this.finish = resolve;
    });
  }

  handle(refer: SipMessage): void {
    this.refers.push(refer);
    const status = this.script.status ?? 202;
    this.peer.respond(refer, status, REASONS[status] ?? 'Response');
    if (this.refers.length > 1) return;
    if (status >= 300) return this.finish();
    const seq = /^\s*(\d+)/.exec(header(refer, 'cseq') ?? '')?.[1] ?? '0';
    void this.notifyAll(seq).finally(() => this.finish());
  }

  private async notifyAll(seq: string): Promise<void> {
    await this.script.hold;
    const lines = this.script.notify ?? [];
    for (const [i, line] of lines.entries()) {
      const last = i === lines.length - 1;
      const extra = [
        `Event: refer;id=${seq}`,
        last ? 'Subscription-State: terminated;reason=noresource' : 'Subscription-State: active;expires=60',
        'Content-Type: message/sipfrag;version=2.0',
      ];
      const answer = await this.peer.request('NOTIFY', 3_000, extra, `${line}\r\n`).catch(() => undefined);
      this.notifyAnswers.push({ status: answer?.status ?? 0, atMs: performance.now() });
      if (answer === undefined) return;
    }
  }
}
