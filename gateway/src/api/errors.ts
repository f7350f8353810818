/**
 * Every error the HTTP API answers, from one table: each code has its HTTP status and title here and its line in
 * docs/api.md. Answers are `application/problem+json` (RFC 9457): `type` (`urn:patchbay:problem:<code>`), `title`,
 * `status`, `detail`, and the stable `code`; validation problems add `errors` (one per field).
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import { CallControlError, type CallControlErrorCode } from './call-control.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export const API_ERRORS = {
  // Access
  API_KEY_MISSING: { status: 401, title: 'An API key is required (Authorization: Bearer <key>)' },
  API_KEY_INVALID: { status: 401, title: 'The API key is not recognised' },
  LOOPBACK_ONLY: { status: 403, title: 'No API key is configured: the API answers loopback clients only' },
  // The request
  VALIDATION_FAILED: { status: 400, title: 'The request is not valid' },
  BODY_INVALID_JSON: { status: 400, title: 'The body is not valid JSON' },
  BAD_REQUEST: { status: 400, title: 'Bad request' },
  ROUTE_NOT_FOUND: { status: 404, title: 'No such route' },
  BODY_TOO_LARGE: { status: 413, title: 'The body is larger than api.bodyLimitBytes' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'The body must be application/json' },
  // Limits and idempotency
  RATE_LIMITED: { status: 429, title: 'Too many calls placed with this API key (api.rateLimit.callsPerMinute)' },
  IDEMPOTENCY_KEY_REUSED: { status: 422, title: 'This Idempotency-Key was used with another request body' },
  IDEMPOTENCY_KEY_IN_PROGRESS: { status: 409, title: 'A request with this Idempotency-Key is still being processed' },
  // The call core (CallControlError codes)
  CALL_NOT_FOUND: { status: 404, title: 'No call has this id (live, recently ended or stored)' },
  CALL_NOT_ANSWERED: { status: 409, title: 'The call is not answered' },
  TRANSFER_IN_PROGRESS: { status: 409, title: 'The call already has a transfer under way' },
  CALL_BRIDGED: { status: 409, title: 'The call is already bridged with a person' },
  TRUNK_UNKNOWN: { status: 422, title: 'No such outbound trunk' },
  NUMBER_UNKNOWN: { status: 422, title: 'No such configured number' },
  AGENT_INVALID: { status: 422, title: 'The agent is missing or invalid' },
  CALLER_ID_INVALID: { status: 422, title: 'The caller ID (from) cannot be written in a SIP From' },
  DESTINATION_NOT_ALLOWED: { status: 403, title: 'The destination is not in the allow-list' },
  TRUNK_BUSY: { status: 503, title: 'The trunk has its maximum of concurrent outbound calls' },
  TRUNK_RATE_LIMITED: { status: 429, title: 'The trunk\'s calls-per-second limit is reached' },
  GATEWAY_BUSY: { status: 503, title: 'The gateway has its maximum of concurrent calls (sip.maxConcurrentCalls)' },
  GATEWAY_DRAINING: { status: 503, title: 'The gateway is draining (shutting down): it takes no new calls; place the call on another gateway' },
  MONITOR_ACTIVE: { status: 409, title: 'The call already has a supervisor' },
  MONITOR_NONE: { status: 409, title: 'The call has no supervisor' },
  MONITOR_UNREACHABLE: { status: 502, title: 'The supervisor could not be reached' },
  DTMF_INVALID: { status: 422, title: 'DTMF digits must be 0-9, *, #, A-D' },
  NOT_IMPLEMENTED: { status: 501, title: 'Not implemented yet' },
  // Webhooks
  DELIVERY_NOT_FOUND: { status: 404, title: 'No webhook delivery has this id' },
  // Numbers at runtime (numbers/numbers-api.ts; an invalid entry is VALIDATION_FAILED with every problem)
  NUMBER_NOT_FOUND: { status: 404, title: 'No number has this pattern' },
  NUMBER_READ_ONLY: { status: 409, title: 'The number is an entry of patchbay.yaml: change it there and send SIGHUP' },
  NUMBERS_UNAVAILABLE: { status: 503, title: 'No database is configured: runtime numbers cannot be stored' },
  // The call history (docs/call-history.md)
  CURSOR_INVALID: { status: 400, title: 'The cursor is not one this API gave' },
  FILTER_INVALID: { status: 400, title: 'The filters cannot match: a time range that ends before it starts, or too many buckets' },
  STORE_UNAVAILABLE: { status: 503, title: 'The call store cannot be read right now' },
  // Ours
  INTERNAL_ERROR: { status: 500, title: 'Internal error' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ApiErrorCode = keyof typeof API_ERRORS;
export const API_ERROR_CODES = Object.keys(API_ERRORS) as ApiErrorCode[];

/** Every call-core code has its problem (a compile error here means a CallControlError code is missing above). */
const CALL_CONTROL_PROBLEMS: Record<CallControlErrorCode, (typeof API_ERRORS)[ApiErrorCode]> = API_ERRORS;
void CALL_CONTROL_PROBLEMS;

export interface FieldError {
  /** Where: `body.to`, `query.status`, `params.id`, `headers.idempotency-key`. */
  field: string;
  message: string;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ApiErrorCode;
  errors?: FieldError[];
}

/** A refusal the API raises itself; the error handler answers it as a problem. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly statusCode: number;

  constructor(
    readonly code: ApiErrorCode,
    readonly detail: string = API_ERRORS[code].title,
    readonly extra: { errors?: FieldError[]; headers?: Record<string, string> } = {},
  ) {
    super(detail);
    this.statusCode = API_ERRORS[code].status;
  }
}

export function problem(code: ApiErrorCode, detail?: string, errors?: FieldError[]): Problem {
  const { status, title } = API_ERRORS[code];
  return { type: `urn:patchbay:problem:${code.toLowerCase().replace(/_/g, '-')}`, title, status, detail: detail ?? title, code, ...(errors ? { errors } : {}) };
}

export function sendProblem(reply: FastifyReply, code: ApiErrorCode, detail?: string, errors?: FieldError[]): FastifyReply {
  const body = problem(code, detail, errors);
  return reply.code(body.status).type(PROBLEM_CONTENT_TYPE).send(body);
}

/** Fastify's own refusals, by their code. */
const FASTIFY_CODES: Readonly<Record<string, ApiErrorCode>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'BAD_REQUEST',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'BODY_INVALID_JSON',
  FST_ERR_CTP_INVALID_JSON_BODY: 'BODY_INVALID_JSON',
};

const CONTEXT_NAMES: Readonly<Record<string, string>> = { body: 'body', querystring: 'query', params: 'params', headers: 'headers' };

/** The one error handler of the HTTP server: everything becomes a problem. */
export function problemErrorHandler(logger: Logger | undefined) {
  return (err: FastifyError, req: FastifyRequest, reply: FastifyReply): FastifyReply => {
    if (err instanceof ApiError) {
      for (const [name, value] of Object.entries(err.extra.headers ?? {})) reply.header(name, value);
      return sendProblem(reply, err.code, err.detail, err.extra.errors);
    }
    if (err instanceof CallControlError) {
      if (err.retryAfterS !== undefined) reply.header('retry-after', String(Math.max(1, Math.ceil(err.retryAfterS))));
      return sendProblem(reply, err.code, err.message);
    }
    if (hasZodFastifySchemaValidationErrors(err)) {
      const where = CONTEXT_NAMES[err.validationContext ?? 'body'] ?? 'body';
      const errors = err.validation.map((v) => ({ field: fieldPath(where, v.instancePath), message: v.message ?? 'invalid' }));
      return sendProblem(reply, 'VALIDATION_FAILED', errors.map((e) => `${e.field}: ${e.message}`).join('; '), errors);
    }
    const mapped = err.code === undefined ? undefined : FASTIFY_CODES[err.code];
    if (mapped) return sendProblem(reply, mapped, err.message);
    if (err instanceof SyntaxError && err.statusCode === 400) return sendProblem(reply, 'BODY_INVALID_JSON', err.message);
    if (!isResponseSerializationError(err) && typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
      return sendProblem(reply, 'BAD_REQUEST', err.message);
    }
    logger?.error({ err, method: req.method, url: req.routeOptions.url }, 'HTTP handler failed');
    return sendProblem(reply, 'INTERNAL_ERROR');
  };
}

export function notFoundHandler(req: FastifyRequest, reply: FastifyReply): FastifyReply {
  const path = (req.url.split('?')[0] ?? '').slice(0, 200);
  return sendProblem(reply, 'ROUTE_NOT_FOUND', `${req.method} ${path} is not a route`);
}

/** `/to` in the body → `body.to`; `/parameters/a b` → `body.parameters.a b`. */
function fieldPath(where: string, instancePath: string): string {
  const parts = instancePath.split('/').filter((p) => p !== '').map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  return [where, ...parts].join('.');
}
