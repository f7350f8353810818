/**
 * What a routing webhook may answer: a route exactly as a `numbers:` entry (`{agent, parameters?, protocol?,
 * bargeIn?, ...}`, validated by config.ts's numberRoute), or `{reject: {status, reason?}}`. `forward` and
 * `voicemail` are reserved for the issues that add them: answered today, they are refused as not yet supported
 * (and the call takes the fallback). Every problem is listed with its path.
 */
import { z } from 'zod';
import { formatIssue } from '@patchbay/adapter-kit';
import { numberRoute, type NumberRouteConfig } from '../config.js';

/** Keys a later issue gives a meaning; refused until then. */
export const RESERVED_ANSWER_KEYS = ['forward', 'voicemail'] as const;

const rejectAnswer = z.strictObject({
  reject: z.strictObject({
    status: z.int().min(400).max(699),
    /** The SIP reason phrase (printable, short); default the status's own. */
    reason: z.string().regex(/^[\x20-\x7e]{1,100}$/, 'must be 1 to 100 printable ASCII characters').optional(),
  }),
});

export type WebhookAnswer =
  | { readonly kind: 'route'; readonly route: NumberRouteConfig }
  | { readonly kind: 'reject'; readonly status: number; readonly reason: string | undefined };

export type AnswerParse = { ok: true; answer: WebhookAnswer } | { ok: false; problems: string[] };

export function parseWebhookAnswer(body: unknown): AnswerParse {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { ok: false, problems: ['the answer must be a JSON object'] };
  const reserved = RESERVED_ANSWER_KEYS.filter((k) => k in body);
  if (reserved.length > 0) return { ok: false, problems: reserved.map((k) => `${k}: not yet supported`) };
  if ('webhook' in body) return { ok: false, problems: ['webhook: an answer cannot name another routing webhook'] };
  if ('reject' in body) {
    const parsed = rejectAnswer.safeParse(body);
    if (!parsed.success) return { ok: false, problems: parsed.error.issues.flatMap(formatIssue) };
    return { ok: true, answer: { kind: 'reject', status: parsed.data.reject.status, reason: parsed.data.reject.reason } };
  }
  const parsed = numberRoute.safeParse(body);
  if (!parsed.success) return { ok: false, problems: parsed.error.issues.flatMap(formatIssue) };
  return { ok: true, answer: { kind: 'route', route: parsed.data } };
}
