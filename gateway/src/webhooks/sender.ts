/**
 * One signed POST of a delivery: Standard Webhooks headers (`webhook-id`, `webhook-timestamp` in seconds,
 * `webhook-signature` `v1,<base64 HMAC-SHA256 of id.timestamp.body>`) made by the `standardwebhooks` library, the
 * body byte for byte as queued, bounded by `timeoutMs`, redirects not followed. Reports what happened as data.
 *
 * The POST goes through `node:http`/`node:https` with one keep-alive agent each (connections to an endpoint are
 * reused): it costs the main thread about a third of what `fetch` (undici's WHATWG layer) does per request.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { Webhook } from 'standardwebhooks';
import { VERSION } from '../version.js';
import type { AttemptError } from './events.js';

export interface AttemptResult {
  readonly ok: boolean;
  readonly statusCode: number | null;
  readonly error: AttemptError | null;
  readonly durationMs: number;
}

/** One POST: resolves with the answer's status once its body is read, rejects on a network error or `signal`. */
export type PostLike = (url: string, init: { readonly headers: Readonly<Record<string, string>>; readonly body: string; readonly signal: AbortSignal }) => Promise<{ readonly status: number }>;

export class WebhookSender {
  /** Webhook signers by secret (each decodes its key once). */
  readonly #signers = new Map<string, Webhook>();
  readonly #post: PostLike;
  readonly #agents: { http: HttpAgent; https: HttpsAgent } | undefined;

  constructor(
    private readonly timeoutMs: number,
    post?: PostLike,
  ) {
    if (post !== undefined) {
      this.#post = post;
      this.#agents = undefined;
    } else {
      const agents = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };
      this.#agents = agents;
      this.#post = (url, init) => nodePost(url, init, agents);
    }
  }

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
      const response = await this.#post(d.url, { headers, body: d.body, signal: signal === undefined ? timeout : AbortSignal.any([timeout, signal]) });
      const ok = response.status >= 200 && response.status < 300;
      return { ok, statusCode: response.status, error: ok ? null : 'bad_status', durationMs: elapsed() };
    } catch (err) {
      if (signal?.aborted === true) throw err;
      return { ok: false, statusCode: null, error: timeout.aborted ? 'timeout' : 'connection_failed', durationMs: elapsed() };
    }
  }

  /** Closes the idle keep-alive connections. */
  close(): void {
    this.#agents?.http.destroy();
    this.#agents?.https.destroy();
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

/** A POST with node:http(s): no redirect is followed; the answer's body is read (and dropped) so the connection is reused. */
function nodePost(url: string, init: Parameters<PostLike>[1], agents: { http: HttpAgent; https: HttpsAgent }): Promise<{ status: number }> {
  const target = new URL(url);
  const https = target.protocol === 'https:';
  const body = Buffer.from(init.body, 'utf8');
  return new Promise((resolve, reject) => {
    const req = (https ? httpsRequest : httpRequest)(target, {
      method: 'POST',
      agent: https ? agents.https : agents.http,
      headers: { ...init.headers, 'content-length': String(body.length) },
      signal: init.signal,
    }, (res: IncomingMessage) => {
      res.on('error', reject);
      res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
      res.resume();
    });
    req.on('error', reject);
    req.end(body);
  });
}
