/**
 * One signed POST of a delivery: Standard Webhooks headers (`webhook-id`, `webhook-timestamp` in seconds,
 * `webhook-signature` `v1,<base64 HMAC-SHA256 of id.timestamp.body>`) made by the `standardwebhooks` library, the
 * body byte for byte as queued, bounded by `timeoutMs`, redirects not followed. Reports what happened as data.
 */
import { Webhook } from 'standardwebhooks';
import { VERSION } from '../version.js';
import type { AttemptError } from './events.js';

export interface AttemptResult {
  readonly ok: boolean;
  readonly statusCode: number | null;
  readonly error: AttemptError | null;
  readonly durationMs: number;
}

export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

export class WebhookSender {
  /** Webhook signers by secret (each decodes its key once). */
  readonly #signers = new Map<string, Webhook>();

  constructor(
    private readonly timeoutMs: number,
    private readonly fetchImpl: FetchLike = (url, init) => fetch(url, init),
  ) {}

  /** POSTs `body` to `url` signed with `secret`; `signal` aborts it (shutdown): then it rejects with the abort. */
  async send(d: { id: string; url: string; secret: string; body: string }, nowMs: number, signal?: AbortSignal): Promise<AttemptResult> {
    const signer = this.signer(d.secret);
    const at = new Date(nowMs);
    const headers = {
      'content-type': 'application/json',
      'user-agent': `Patchbay/${VERSION}`,
      'webhook-id': d.id,
      'webhook-timestamp': String(Math.floor(nowMs / 1000)),
      'webhook-signature': signer.sign(d.id, at, d.body),
    };
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const started = performance.now();
    const elapsed = (): number => Math.round((performance.now() - started) * 10) / 10;
    try {
      const response = await this.fetchImpl(d.url, {
        method: 'POST',
        headers,
        body: d.body,
        redirect: 'manual',
        signal: signal === undefined ? timeout : AbortSignal.any([timeout, signal]),
      });
      // The answer's body is not needed: read it (bounded by the same timeout) so the connection can be reused.
      await response.arrayBuffer();
      const ok = response.status >= 200 && response.status < 300;
      return { ok, statusCode: response.status, error: ok ? null : 'bad_status', durationMs: elapsed() };
    } catch (err) {
      if (signal?.aborted === true) throw err;
      return { ok: false, statusCode: null, error: timeout.aborted ? 'timeout' : 'connection_failed', durationMs: elapsed() };
    }
  }

  private signer(secret: string): Webhook {
    let signer = this.#signers.get(secret);
    if (signer === undefined) {
      signer = new Webhook(secret);
      this.#signers.set(secret, signer);
    }
    return signer;
  }
}
