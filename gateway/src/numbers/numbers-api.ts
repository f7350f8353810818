/**
 * `/v1/numbers`: the numbers routed by, YAML entries (read-only) and runtime ones (stored in the database), and
 * their changes at runtime. `PUT /v1/numbers/{pattern}` creates or replaces (the pattern is the key, so the same
 * request twice is one change: 201 then 200); `DELETE` removes; YAML entries answer 409 NUMBER_READ_ONLY. Bodies are
 * validated by config.ts's numberRoute, the schema of `numbers:` in patchbay.yaml, then by the adapter's own schema
 * and the secrets it names: every problem is a VALIDATION_FAILED `errors` entry.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ApiAccess } from '../api/auth.js';
import { ApiError } from '../api/errors.js';
import { problemResponses } from '../api/problem-schema.js';
import { NumbersError } from './errors.js';
import type { NumberService } from './number-service.js';

export interface NumbersRoutesOptions {
  numbers: NumberService;
  access: ApiAccess;
}

const routeSchema = z
  .record(z.string(), z.unknown())
  .describe('A route exactly as a `numbers:` entry in patchbay.yaml: `agent` (built-in, ws:// URL or adapter block), `parameters`, `protocol`, `bargeIn`, `speech`, `transfer`, `webhook`, ... (docs/numbers.md).');

const numberSchema = z
  .object({
    pattern: z.string().describe('As written: exact (`+15550100001`), prefix (`+1555*`) or catch-all (`*`).'),
    source: z.enum(['config', 'api']).describe('`config`: patchbay.yaml; `api`: added at runtime.'),
    readOnly: z.boolean().describe('YAML entries: change them in patchbay.yaml and send SIGHUP.'),
    route: routeSchema,
    createdAt: z.string().nullable(),
    updatedAt: z.string().nullable(),
    version: z.int().nullable().describe('Runtime entries: bumped on every change.'),
  })
  .meta({ id: 'Number' });

const patternParams = z.object({ pattern: z.string().min(1).max(64).describe('The pattern, URL-encoded (`%2B1555*` for `+1555*`).') });

export const numbersRoutes: FastifyPluginAsyncZod<NumbersRoutesOptions> = async (app, opts) => {
  const { numbers, access } = opts;
  app.removeContentTypeParser('text/plain');
  app.addHook('onRequest', async (req) => {
    const result = access.check({ headers: { authorization: req.headers.authorization }, remoteAddress: req.socket.remoteAddress });
    if (!result.ok) throw new ApiError(result.code);
  });

  app.get('/numbers', {
    schema: { operationId: 'listNumbers', summary: 'Numbers: patchbay.yaml entries (read-only) and runtime ones', tags: ['numbers'], response: { 200: z.object({ numbers: z.array(numberSchema) }), ...problemResponses([]) } },
    handler: async () => ({ numbers: numbers.list() }),
  });

  app.get('/numbers/:pattern', {
    schema: { operationId: 'getNumber', summary: 'One number', tags: ['numbers'], params: patternParams, response: { 200: numberSchema, ...problemResponses(['VALIDATION_FAILED', 'NUMBER_NOT_FOUND']) } },
    handler: async (req) => apiCall(() => numbers.get(req.params.pattern)),
  });

  app.put('/numbers/:pattern', {
    schema: {
      operationId: 'putNumber',
      summary: 'Create or replace a runtime number; the next call to it follows the new route',
      tags: ['numbers'],
      params: patternParams,
      body: routeSchema,
      response: { 200: numberSchema, 201: numberSchema, ...problemResponses(['VALIDATION_FAILED', 'BODY_INVALID_JSON', 'BODY_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE', 'NUMBER_READ_ONLY', 'NUMBERS_UNAVAILABLE']) },
    },
    handler: async (req, reply) => {
      const { number, created } = await apiCall(() => numbers.put(req.params.pattern, req.body));
      if (created) reply.header('location', `/v1/numbers/${encodeURIComponent(number.pattern)}`);
      return reply.code(created ? 201 : 200).send(number);
    },
  });

  app.delete('/numbers/:pattern', {
    schema: {
      operationId: 'deleteNumber',
      summary: 'Remove a runtime number; calls already routed by it go on',
      tags: ['numbers'],
      params: patternParams,
      response: { 204: z.null().describe('Removed.'), ...problemResponses(['VALIDATION_FAILED', 'NUMBER_NOT_FOUND', 'NUMBER_READ_ONLY', 'NUMBERS_UNAVAILABLE']) },
    },
    handler: async (req, reply) => {
      await apiCall(() => numbers.remove(req.params.pattern));
      return reply.code(204).send(null);
    },
  });
};

/** NumbersError as the API's problem; an invalid entry lists every problem (`params.pattern`, `body.agent.model`). */
async function apiCall<T>(fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (!(err instanceof NumbersError)) throw err;
    if (err.code === 'NUMBER_INVALID') {
      const errors = err.issues.map((i) => ({ field: i.path[0] === 'pattern' ? 'params.pattern' : ['body', ...i.path.map(String)].join('.'), message: i.message }));
      throw new ApiError('VALIDATION_FAILED', errors.map((e) => `${e.field}: ${e.message}`).join('; '), { errors });
    }
    throw new ApiError(err.code, err.message);
  }
}
