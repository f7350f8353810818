/**
 * The `/v1` routes: calls (place, hang up, transfer, DTMF) and trunks, over a CallControl (list and get: history-routes.ts). Every request
 * is checked by ApiAccess first (onRequest); `POST /v1/calls` is rate limited per API key and honours
 * `Idempotency-Key`. Schemas come from schemas.ts; errors are thrown and answered as problems by errors.ts.
 */
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ApiAccess } from './auth.js';
import type { CallControl } from './call-control.js';
import { ApiError } from './errors.js';
import { IDEMPOTENCY_KEY_MAX_CHARS, type IdempotencyStore } from './idempotency.js';
import { problemResponses } from './problem-schema.js';
import {
  acceptedSchema,
  callIdParams,
  callSummarySchema,
  dtmfSchema,
  placeCallSchema,
  transferSchema,
  forwardSchema,
  monitorModeSchema,
  monitorSchema,
  monitorStateSchema,
  trunkListSchema,
  type CallSummary,
} from './schemas.js';

export interface V1RoutesOptions {
  control: CallControl;
  access: ApiAccess;
  idempotency: IdempotencyStore<CallSummary>;
  callsPerMinute: number;
}

const idempotencyHeaders = z.looseObject({
  'idempotency-key': z
    .string()
    .min(1)
    .max(IDEMPOTENCY_KEY_MAX_CHARS)
    .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces')
    .optional()
    .describe('Same key and same body within 24 h: the first answer again, no second call.'),
});

export const v1Routes: FastifyPluginAsyncZod<V1RoutesOptions> = async (app, opts) => {
  const { control, access, idempotency } = opts;
  /** Who each request is (the API key's name, or `loopback`), set by the access check. */
  const clients = new WeakMap<FastifyRequest, string>();
  const clientOf = (req: FastifyRequest): string => clients.get(req) ?? 'unknown';

  app.removeContentTypeParser('text/plain'); // bodies are JSON only: anything else is 415 UNSUPPORTED_MEDIA_TYPE

  app.addHook('onRequest', async (req) => {
    const result = access.check({ headers: { authorization: req.headers.authorization }, remoteAddress: req.socket.remoteAddress });
    if (!result.ok) throw new ApiError(result.code);
    clients.set(req, result.client);
  });

  app.post('/calls', {
    schema: {
      operationId: 'placeCall',
      summary: 'Place an outbound call',
      tags: ['calls'],
      headers: idempotencyHeaders,
      body: placeCallSchema,
      response: {
        201: callSummarySchema,
        ...problemResponses([
          'VALIDATION_FAILED', 'BODY_INVALID_JSON', 'BODY_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE', 'RATE_LIMITED', 'TRUNK_RATE_LIMITED',
          'IDEMPOTENCY_KEY_REUSED', 'IDEMPOTENCY_KEY_IN_PROGRESS', 'TRUNK_UNKNOWN', 'NUMBER_UNKNOWN', 'AGENT_INVALID',
          'CALLER_ID_INVALID', 'DESTINATION_NOT_ALLOWED', 'TRUNK_BUSY', 'GATEWAY_BUSY', 'GATEWAY_DRAINING', 'NOT_IMPLEMENTED',
        ]),
      },
    },
    config: {
      rateLimit: {
        max: opts.callsPerMinute,
        timeWindow: 60_000,
        keyGenerator: (req: FastifyRequest) => `calls:${clientOf(req)}`,
        // After validation: a refused body places nothing and is not counted; nor is a replay of an Idempotency-Key.
        hook: 'preHandler',
        allowList: (req: FastifyRequest) => {
          const key = req.headers['idempotency-key'];
          return typeof key === 'string' && idempotency.isReplay(clientOf(req), key, req.body);
        },
      },
    },
    handler: async (req, reply) => {
      const key = req.headers['idempotency-key'];
      const client = clientOf(req);
      if (key === undefined) {
        const call = await control.placeCall(req.body);
        return reply.code(201).header('location', `/v1/calls/${encodeURIComponent(call.id)}`).send(call);
      }
      const claim = idempotency.claim(client, key, req.body);
      if (claim.kind === 'mismatch') throw new ApiError('IDEMPOTENCY_KEY_REUSED', `Idempotency-Key '${key}' was first used with another body`);
      if (claim.kind === 'in-progress') throw new ApiError('IDEMPOTENCY_KEY_IN_PROGRESS');
      if (claim.kind === 'replay') {
        const { body, headers } = claim.response;
        return reply.code(201).headers({ ...headers, 'idempotent-replayed': 'true' }).send(body);
      }
      let call: CallSummary;
      try {
        call = await control.placeCall(req.body);
      } catch (err) {
        idempotency.release(client, key); // nothing was placed: the same key may be retried
        throw err;
      }
      const location = `/v1/calls/${encodeURIComponent(call.id)}`;
      idempotency.complete(client, key, { body: call, headers: { location } });
      return reply.code(201).header('location', location).send(call);
    },
  });

  app.post('/calls/:id/hangup', {
    schema: {
      operationId: 'hangupCall',
      summary: 'Hang up a call (CANCEL before the answer, BYE after)',
      tags: ['calls'],
      params: callIdParams,
      response: { 202: acceptedSchema, ...problemResponses(['VALIDATION_FAILED', 'CALL_NOT_FOUND', 'CALL_NOT_ANSWERED']) },
    },
    handler: async (req, reply) => {
      await control.hangup(req.params.id);
      return reply.code(202).send({ accepted: true });
    },
  });

  app.post('/calls/:id/transfer', {
    schema: {
      operationId: 'transferCall',
      summary: 'Blind transfer (REFER); the outcome arrives as the call ending `transferred`, or the call going on',
      tags: ['calls'],
      params: callIdParams,
      body: transferSchema,
      response: {
        202: acceptedSchema,
        ...problemResponses(['VALIDATION_FAILED', 'BODY_INVALID_JSON', 'CALL_NOT_FOUND', 'CALL_NOT_ANSWERED', 'TRANSFER_IN_PROGRESS', 'DESTINATION_NOT_ALLOWED', 'NOT_IMPLEMENTED']),
      },
    },
    handler: async (req, reply) => {
      await control.transfer(req.params.id, req.body.target);
      return reply.code(202).send({ accepted: true });
    },
  });

  app.post('/calls/:id/forward', {
    schema: {
      operationId: 'forwardCall',
      summary: 'Ring people for a live call; the first to answer takes over from the agent, bridged by the gateway (no REFER)',
      tags: ['calls'],
      params: callIdParams,
      body: forwardSchema,
      response: {
        202: acceptedSchema,
        ...problemResponses(['VALIDATION_FAILED', 'BODY_INVALID_JSON', 'CALL_NOT_FOUND', 'CALL_NOT_ANSWERED', 'TRUNK_UNKNOWN', 'DESTINATION_NOT_ALLOWED', 'TRANSFER_IN_PROGRESS', 'CALL_BRIDGED', 'NOT_IMPLEMENTED']),
      },
    },
    handler: async (req, reply) => {
      await control.forward(req.params.id, req.body);
      return reply.code(202).send({ accepted: true });
    },
  });

  app.post('/calls/:id/monitor', {
    schema: {
      operationId: 'monitorCall',
      summary: 'Put a supervisor on a live call: listen to both sides, whisper to the agent side, or barge in (docs/monitor.md)',
      tags: ['calls'],
      params: callIdParams,
      body: monitorSchema,
      response: {
        202: monitorStateSchema,
        ...problemResponses(['VALIDATION_FAILED', 'BODY_INVALID_JSON', 'CALL_NOT_FOUND', 'CALL_NOT_ANSWERED', 'TRUNK_UNKNOWN', 'DESTINATION_NOT_ALLOWED', 'TRUNK_BUSY', 'MONITOR_ACTIVE', 'MONITOR_UNREACHABLE', 'NOT_IMPLEMENTED']),
      },
    },
    handler: async (req, reply) => reply.code(202).send({ monitor: await control.monitor(req.params.id, req.body) }),
  });

  app.patch('/calls/:id/monitor', {
    schema: {
      operationId: 'changeMonitorMode',
      summary: "Switch the supervisor's mode (listen, whisper, barge)",
      tags: ['calls'],
      params: callIdParams,
      body: monitorModeSchema,
      response: { 200: monitorStateSchema, ...problemResponses(['VALIDATION_FAILED', 'BODY_INVALID_JSON', 'CALL_NOT_FOUND', 'MONITOR_NONE', 'NOT_IMPLEMENTED']) },
    },
    handler: async (req) => ({ monitor: await control.monitorMode(req.params.id, req.body.mode) }),
  });

  app.delete('/calls/:id/monitor', {
    schema: {
      operationId: 'stopMonitor',
      summary: "Take the supervisor off the call (their phone hangs up)",
      tags: ['calls'],
      params: callIdParams,
      response: { 202: acceptedSchema, ...problemResponses(['CALL_NOT_FOUND', 'MONITOR_NONE', 'NOT_IMPLEMENTED']) },
    },
    handler: async (req, reply) => {
      await control.unmonitor(req.params.id);
      return reply.code(202).send({ accepted: true });
    },
  });

  app.post('/calls/:id/dtmf', {
    schema: {
      operationId: 'sendDtmf',
      summary: 'Send DTMF digits to the far end',
      tags: ['calls'],
      params: callIdParams,
      body: dtmfSchema,
      response: { 202: acceptedSchema, ...problemResponses(['VALIDATION_FAILED', 'BODY_INVALID_JSON', 'CALL_NOT_FOUND', 'CALL_NOT_ANSWERED', 'NOT_IMPLEMENTED']) },
    },
    handler: async (req, reply) => {
      await control.sendDtmf(req.params.id, req.body.digits, req.body.durationMs);
      return reply.code(202).send({ accepted: true });
    },
  });

  app.get('/trunks', {
    schema: {
      operationId: 'listTrunks',
      summary: 'Trunks: registration state, outbound calls and limits',
      tags: ['trunks'],
      response: { 200: trunkListSchema, ...problemResponses([]) },
    },
    handler: async () => ({ trunks: control.listTrunks() }),
  });
};
