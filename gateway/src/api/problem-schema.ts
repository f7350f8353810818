/** The problem document (RFC 9457) in zod, and the per-route `responses` entries that document which codes apply. */
import { z } from 'zod';
import { API_ERROR_CODES, API_ERRORS, PROBLEM_CONTENT_TYPE, type ApiErrorCode } from './errors.js';

export const problemSchema = z
  .object({
    type: z.string().describe('`urn:patchbay:problem:<code>`'),
    title: z.string(),
    status: z.int(),
    detail: z.string(),
    code: z.enum(API_ERROR_CODES as [ApiErrorCode, ...ApiErrorCode[]]).describe('Stable; see docs/api.md.'),
    errors: z.array(z.object({ field: z.string(), message: z.string() })).optional().describe('VALIDATION_FAILED: one entry per field.'),
  })
  .meta({ id: 'Problem' });

/** Every route under /v1 can answer these (access). */
export const ACCESS_CODES = ['API_KEY_MISSING', 'API_KEY_INVALID', 'LOOPBACK_ONLY'] as const satisfies readonly ApiErrorCode[];

interface ProblemResponse {
  description: string;
  content: { [PROBLEM_CONTENT_TYPE]: { schema: typeof problemSchema } };
}

/** `responses` entries for these codes, grouped by status, each listing its codes and titles. */
export function problemResponses(codes: readonly ApiErrorCode[]): Record<number, ProblemResponse> {
  const byStatus = new Map<number, ApiErrorCode[]>();
  for (const code of [...ACCESS_CODES, ...codes]) {
    const status = API_ERRORS[code].status;
    const list = byStatus.get(status) ?? [];
    if (!list.includes(code)) list.push(code);
    byStatus.set(status, list);
  }
  const out: Record<number, ProblemResponse> = {};
  for (const [status, list] of byStatus) {
    out[status] = {
      description: list.map((c) => `\`${c}\`: ${API_ERRORS[c].title}`).join('; '),
      content: { [PROBLEM_CONTENT_TYPE]: { schema: problemSchema } },
    };
  }
  return out;
}
