/**
 * The call-control API as one fastify plugin: zod validation and serialization, the OpenAPI 3.1 document generated
 * from the routes' zod schemas (`GET /openapi.json`), interactive docs whose assets ship in the npm package
 * (`GET /docs`, Swagger UI, no CDN), the per-key rate limit, and the `/v1` routes. Registered by http/server.ts.
 */
import fastifyRateLimit from '@fastify/rate-limit';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { FastifyPluginAsync } from 'fastify';
import { createJsonSchemaTransform, createJsonSchemaTransformObject, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import type { HistorySource } from '../records/query.js';
import { VERSION } from '../version.js';
import type { ApiAccess } from './auth.js';
import type { CallControl } from './call-control.js';
import { ApiError } from './errors.js';
import { historyRoutes } from './history-routes.js';
import { IdempotencyStore } from './idempotency.js';
import { v1Routes } from './routes.js';
import { webhookRoutes } from './webhooks-routes.js';
import type { WebhookDeliveries } from '../webhooks/deliveries.js';
import { numbersRoutes } from '../numbers/numbers-api.js';
import type { NumberService } from '../numbers/number-service.js';
import type { CallSummary } from './schemas.js';

export interface ApiOptions {
  control: CallControl;
  /** `api.rateLimit.callsPerMinute`. */
  callsPerMinute: number;
  /** The Idempotency-Key store; default a new one (24 h, 10,000 keys). */
  idempotency?: IdempotencyStore<CallSummary>;
  /** The start-up line saying who can reach the API goes here. */
  logger?: Logger;
  /** `http.host`, for that line. */
  listenHost?: string;
  /** The webhook outbox (`/v1/webhooks/deliveries`); absent (no store), no such routes. */
  webhooks?: WebhookDeliveries;
  /** Numbers at runtime (`/v1/numbers`); absent, no such routes. */
  numbers?: NumberService;
  /** Stored call records and analytics (records/query.ts historyOf(store)); absent: `GET /v1/calls` lists live calls only. */
  history?: HistorySource;
}

export const OPENAPI_PATH = '/openapi.json';
export const DOCS_PATH = '/docs';

export type ApiPluginOptions = ApiOptions & { access: ApiAccess };

export const apiPlugin: FastifyPluginAsync<ApiPluginOptions> = async (api, options) => {
  options.logger?.info(options.access.describe(options.listenHost ?? '127.0.0.1'));
  api.setValidatorCompiler(validatorCompiler);
  api.setSerializerCompiler(serializerCompiler);
  await api.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Patchbay call-control API',
        version: VERSION,
        description: 'Place, list, steer and hang up calls; trunk state. Errors are application/problem+json with a stable `code` (docs/api.md).',
      },
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'A key from `api.keys` (its `keyEnv`).' } } },
      security: [{ apiKey: [] }],
      tags: [{ name: 'calls' }, { name: 'trunks' }, { name: 'webhooks' }, { name: 'numbers' }, { name: 'analytics' }],
    },
    transform: createJsonSchemaTransform({}),
    transformObject: createJsonSchemaTransformObject({}),
  });
  await api.register(fastifySwaggerUi, {
    routePrefix: DOCS_PATH,
    // No call to validator.swagger.io: the page makes no request outside this server.
    uiConfig: { validatorUrl: null, deepLinking: true },
  });
  api.get(OPENAPI_PATH, { schema: { hide: true } }, async () => api.swagger());
  await api.register(fastifyRateLimit, {
    global: false,
    errorResponseBuilder: (_req, context) =>
      new ApiError('RATE_LIMITED', `at most ${context.max} calls per minute with this API key; retry in ${context.after}`, {
        headers: { 'retry-after': String(Math.max(1, Math.ceil(context.ttl / 1000))) },
      }),
  });
  await api.withTypeProvider<ZodTypeProvider>().register(v1Routes, {
    prefix: '/v1',
    control: options.control,
    access: options.access,
    idempotency: options.idempotency ?? new IdempotencyStore<CallSummary>(),
    callsPerMinute: options.callsPerMinute,
  });
  if (options.webhooks) await api.withTypeProvider<ZodTypeProvider>().register(webhookRoutes, { prefix: '/v1', deliveries: options.webhooks, access: options.access });
  if (options.numbers) await api.withTypeProvider<ZodTypeProvider>().register(numbersRoutes, { prefix: '/v1', numbers: options.numbers, access: options.access });
  await api.withTypeProvider<ZodTypeProvider>().register(historyRoutes, { prefix: '/v1', control: options.control, access: options.access, ...(options.history === undefined ? {} : { history: options.history }), ...(options.logger === undefined ? {} : { logger: options.logger }) });
};
