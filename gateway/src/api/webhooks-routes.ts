/**
 * `/v1/webhooks/deliveries`: the outbox as the API shows it (webhooks/deliveries.ts): the list (filters, cursor),
 * one delivery with its attempts, and replay. Registered by api/plugin.ts under `/v1` when the gateway has a store.
 * Access is checked like every `/v1` route (api/auth.ts).
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { CursorError, type WebhookDeliveries } from '../webhooks/deliveries.js';
import { ATTEMPT_ERRORS, DELIVERY_STATUS_NAMES, WEBHOOK_EVENT_TYPES, type AttemptError, type DeliveryStatus, type WebhookEventType } from '../webhooks/events.js';
import type { ApiAccess } from './auth.js';
import { ApiError } from './errors.js';
import { problemResponses } from './problem-schema.js';

export interface WebhookRoutesOptions {
  deliveries: WebhookDeliveries;
  access: ApiAccess;
}

const isoTime = z.iso.datetime({ offset: true });
const eventType = z.enum(WEBHOOK_EVENT_TYPES as [WebhookEventType, ...WebhookEventType[]]);
const status = z.enum(DELIVERY_STATUS_NAMES as [DeliveryStatus, ...DeliveryStatus[]]);
const attemptError = z.enum(Object.keys(ATTEMPT_ERRORS) as [AttemptError, ...AttemptError[]]);

const deliverySchema = z
  .object({
    id: z.string().describe('The `webhook-id` header: the same on every attempt and replay (receivers dedupe on it).'),
    eventType,
    endpoint: z.string().describe('`webhooks.endpoints[].name`, or `number:<pattern>` for a number\'s own webhook.'),
    url: z.string().describe('The endpoint URL without its query.'),
    callId: z.string().nullable(),
    status: status.describe('`pending`, `delivered` or `failed` (gave up after `webhooks.retry.giveUpAfterMs`).'),
    attempts: z.int().min(0),
    createdAt: isoTime,
    nextAttemptAt: isoTime,
    lastAttemptAt: isoTime.nullable(),
    deliveredAt: isoTime.nullable(),
  })
  .meta({ id: 'WebhookDelivery' });

const attemptSchema = z
  .object({
    attempt: z.int().min(1),
    at: isoTime,
    durationMs: z.number().min(0),
    statusCode: z.int().nullable().describe('The HTTP status, or null when no answer came.'),
    error: attemptError.nullable().describe('Why it was not delivered (docs/webhooks.md); null on a 2xx.'),
  })
  .meta({ id: 'WebhookAttempt' });

const deliveryDetailSchema = deliverySchema
  .extend({
    payload: z.unknown().describe('The body sent: `{type, timestamp, data}`.'),
    attemptList: z.array(attemptSchema),
  })
  .meta({ id: 'WebhookDeliveryDetail' });

const listQuery = z.strictObject({
  status: status.optional(),
  type: eventType.optional(),
  callId: z.string().min(1).max(200).optional(),
  endpoint: z.string().min(1).max(200).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().min(1).max(500).optional().describe('`next` from the previous page.'),
});

const idParams = z.object({ id: z.string().min(1).max(100) });

export const webhookRoutes: FastifyPluginAsyncZod<WebhookRoutesOptions> = async (app, opts) => {
  const { deliveries, access } = opts;
  app.addHook('onRequest', async (req) => {
    const result = access.check({ headers: { authorization: req.headers.authorization }, remoteAddress: req.socket.remoteAddress });
    if (!result.ok) throw new ApiError(result.code);
  });

  app.get('/webhooks/deliveries', {
    schema: {
      operationId: 'listWebhookDeliveries',
      summary: 'Webhook deliveries, newest first',
      tags: ['webhooks'],
      querystring: listQuery,
      response: { 200: z.object({ deliveries: z.array(deliverySchema), next: z.string().nullable() }), ...problemResponses(['VALIDATION_FAILED']) },
    },
    handler: async (req) => {
      const q = req.query;
      try {
        return await deliveries.list({ status: q.status, eventType: q.type, callId: q.callId, endpoint: q.endpoint, limit: q.limit, cursor: q.cursor });
      } catch (err) {
        if (err instanceof CursorError) throw new ApiError('VALIDATION_FAILED', `query.cursor: ${err.message}`, { errors: [{ field: 'query.cursor', message: err.message }] });
        throw err;
      }
    },
  });

  app.get('/webhooks/deliveries/:id', {
    schema: {
      operationId: 'getWebhookDelivery',
      summary: 'A webhook delivery with its attempts',
      tags: ['webhooks'],
      params: idParams,
      response: { 200: deliveryDetailSchema, ...problemResponses(['VALIDATION_FAILED', 'DELIVERY_NOT_FOUND']) },
    },
    handler: async (req) => {
      const d = await deliveries.get(req.params.id);
      if (d === undefined) throw new ApiError('DELIVERY_NOT_FOUND', `no webhook delivery '${req.params.id}'`);
      return d;
    },
  });

  app.post('/webhooks/deliveries/:id/replay', {
    schema: {
      operationId: 'replayWebhookDelivery',
      summary: 'Send a delivery again now (same webhook-id; new attempts)',
      tags: ['webhooks'],
      params: idParams,
      response: { 202: deliverySchema, ...problemResponses(['VALIDATION_FAILED', 'DELIVERY_NOT_FOUND']) },
    },
    handler: async (req, reply) => {
      const d = await deliveries.replay(req.params.id);
      if (d === undefined) throw new ApiError('DELIVERY_NOT_FOUND', `no webhook delivery '${req.params.id}'`);
      return reply.code(202).send(d);
    },
  });
};
