/**
 * Asks a routing webhook about one call: POSTs the call's details as JSON (signed per Standard Webhooks when the
 * number names a secret), waits at most `timeoutMs` for the whole answer, and says what came back as data: an
 * answer, or why there is none (FALLBACK_REASONS). Never throws; a cancelled call (`signal`) is `cancelled`.
 */
import { randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import type { RoutingWebhookConfig } from './config.js';
import { parseWebhookAnswer, type WebhookAnswer } from './answer.js';
import type { NumberRouteConfig } from '../config.js';

/**
 * Why the fallback route took the call: the `fallbackReason` of the call's RoutingDecision, the `reason` label of
 * the fallback counter, and a line in docs/numbers.md. A contract.
 */
export const FALLBACK_REASONS = {
  /** No whole answer within `timeoutMs`. */
  timeout: 'the webhook did not answer within timeoutMs',
  /** Connection refused, reset, DNS failure, TLS failure. */
  unreachable: 'the webhook could not be reached',
  /** An HTTP status other than 2xx. */
  bad_status: 'the webhook answered a non-2xx status',
  /** Not JSON, or JSON that is no valid answer (every problem is logged). */
  bad_response: 'the answer is not valid JSON or not a valid answer',
} as const;
export type FallbackReason = keyof typeof FALLBACK_REASONS;

/** The body POSTed. No SIP Call-ID: it often names carrier hosts; `callId` is ours and in our logs with it. */
export interface RoutingRequest {
  readonly type: 'call.routing';
  readonly callId: string;
  readonly direction: 'inbound';
  readonly from: string;
  readonly to: string;
  /** The `numbers:` pattern that matched. */
  readonly number: string;
  readonly trunk: string | null;
  /** ISO 8601. */
  readonly timestamp: string;
}

export type RoutingOutcome =
  | { readonly kind: 'answer'; readonly answer: WebhookAnswer; readonly ms: number }
  | { readonly kind: 'fallback'; readonly reason: FallbackReason; readonly detail: string; readonly ms: number }
  | { readonly kind: 'cancelled'; readonly ms: number };

/** Answers larger than this are `bad_response`. */
export const MAX_ANSWER_BYTES = 64 * 1024;

export interface AskOptions {
  readonly webhook: RoutingWebhookConfig;
  /** The resolved `secretEnv` value, when set. */
  readonly secret: string | undefined;
  readonly request: RoutingRequest;
  /** The number's own agent: an answer that forwards without naming one gets it. */
  readonly ownAgent: NumberRouteConfig['agent'];
  /** Aborted when the call ends while waiting (CANCEL). */
  readonly signal: AbortSignal;
  readonly fetch?: typeof fetch;
}

export async function askRoutingWebhook(options: AskOptions): Promise<RoutingOutcome> {
  const began = performance.now();
  const ms = (): number => Math.round(performance.now() - began);
  const { webhook, request, signal } = options;
  const payload = JSON.stringify(request);
  const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'Patchbay routing' };
  if (options.secret !== undefined) {
    const id = `msg_${randomUUID()}`;
    const at = new Date();
    headers['webhook-id'] = id;
    headers['webhook-timestamp'] = String(Math.floor(at.getTime() / 1000));
    headers['webhook-signature'] = new Webhook(options.secret).sign(id, at, payload);
  }
  const timeout = AbortSignal.timeout(webhook.timeoutMs);
  const both = AbortSignal.any([signal, timeout]);
  const why = (err: unknown): RoutingOutcome => {
    if (signal.aborted) return { kind: 'cancelled', ms: ms() };
    if (timeout.aborted) return { kind: 'fallback', reason: 'timeout', detail: `no answer within ${webhook.timeoutMs} ms`, ms: ms() };
    const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : undefined;
    return { kind: 'fallback', reason: 'unreachable', detail: cause ?? (err instanceof Error ? err.message : String(err)), ms: ms() };
  };
  let text: string;
  try {
    const res = await (options.fetch ?? fetch)(webhook.url, { method: 'POST', headers, body: payload, signal: both, redirect: 'error' });
    if (res.status < 200 || res.status > 299) {
      await res.body?.cancel().catch(() => undefined);
      return { kind: 'fallback', reason: 'bad_status', detail: `HTTP ${res.status}`, ms: ms() };
    }
    text = await readBounded(res, MAX_ANSWER_BYTES);
  } catch (err) {
    if (err instanceof AnswerTooLarge) return { kind: 'fallback', reason: 'bad_response', detail: err.message, ms: ms() };
    return why(err);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { kind: 'fallback', reason: 'bad_response', detail: 'the answer is not JSON', ms: ms() };
  }
  const parsed = parseWebhookAnswer(json, options.ownAgent);
  if (!parsed.ok) return { kind: 'fallback', reason: 'bad_response', detail: parsed.problems.join('; '), ms: ms() };
  return { kind: 'answer', answer: parsed.answer, ms: ms() };
}

class AnswerTooLarge extends Error {}

async function readBounded(res: Response, max: number): Promise<string> {
  if (res.body === null) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of res.body) {
    size += chunk.byteLength;
    if (size > max) throw new AnswerTooLarge(`the answer is larger than ${max} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A URL for logs and records: scheme, host and path, never credentials or query. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}
