/**
 * What a routing webhook may answer: a route exactly as a `numbers:` entry (`{agent, parameters?, protocol?,
 * bargeIn?, forward?, ...}`, validated by config.ts's numberRoute; a route with `forward:` may leave out `agent`, and
 * then has the number's own), or `{reject: {status, reason?}}`. `voicemail` is reserved for the issue that adds it:
 * answered today, it is refused as not yet supported (and the call takes the fallback). Every problem is listed with
 * its path.
 */
import { z } from 'zod';
import { formatIssue } from '@patchbay/adapter-kit';
import { numberRoute, type NumberRouteConfig } from '../config.js';

/** Keys a later issue gives a meaning; refused until then. */
export const RESERVED_ANSWER_KEYS = ['voicemail'] as const;

const rejectAnswer = z.strictObject({
  reject: z.strictObject({
    status: z.int().min(400).max(699),
    /** The SIP reason phrase (printable, short); default the status's own. */
    reason: z.string().regex(/^[\x20-\x7e]{1,100}$/, 'must be 1 to 100 printable ASCII characters').optional(),
  }),
});

export type WebhookAnswer =
  /** `ownAgent`: the answer named no agent (it forwards), so `route.agent` is the number's own. */
  | { readonly kind: 'route'; readonly route: NumberRouteConfig; readonly ownAgent: boolean }
  | { readonly kind: 'reject'; readonly status: number; readonly reason: string | undefined };

export type AnswerParse = { ok: true; answer: WebhookAnswer } | { ok: false; problems: string[] };

/** `ownAgent`: the number's own agent, for an answer that forwards and names none. */
export function parseWebhookAnswer(body: unknown, ownAgent: NumberRouteConfig['agent']): AnswerParse {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { ok: false, problems: ['the answer must be a JSON object'] };
  const reserved = RESERVED_ANSWER_KEYS.filter((k) => k in body);
  if (reserved.length > 0) return { ok: false, problems: reserved.map((k) => `${k}: not yet supported`) };
  if ('webhook' in body) return { ok: false, problems: ['webhook: an answer cannot name another routing webhook'] };
  if ('reject' in body) {
    const parsed = rejectAnswer.safeParse(body);
    if (!parsed.success) return { ok: false, problems: parsed.error.issues.flatMap(formatIssue) };
    return { ok: true, answer: { kind: 'reject', status: parsed.data.reject.status, reason: parsed.data.reject.reason } };
  }
  const agentless = 'forward' in body && !('agent' in body);
  const parsed = numberRoute.safeParse(agentless ? { ...body, agent: ownAgent } : body);
  if (!parsed.success) return { ok: false, problems: parsed.error.issues.flatMap(formatIssue) };
  return { ok: true, answer: { kind: 'route', route: parsed.data, ownAgent: agentless } };
}
