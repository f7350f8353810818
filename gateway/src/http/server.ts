/**
 * The gateway's HTTP surface: health, stats for the bench and operators, Prometheus metrics, and (given `api`) the
 * call-control API (api/plugin.ts). Every error is an `application/problem+json` (api/errors.ts).
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { ApiAccess } from '../api/auth.js';
import { notFoundHandler, problemErrorHandler, sendProblem } from '../api/errors.js';
import { apiPlugin, type ApiOptions } from '../api/plugin.js';
import type { DrainState } from '../drain/types.js';
import { VERSION } from '../version.js';

export interface HealthSource {
  activeCalls(): number;
  /** True while the SIP listeners are up. */
  sipListening(): boolean;
  /** Call, SIP and per-hop latency figures for the bench and operators (`GET /stats`; `?reset=1` starts a new window). */
  stats?(options: { reset: boolean }): Promise<unknown>;
  /** The Prometheus text exposition (`GET /metrics`). */
  metrics?(): Promise<{ contentType: string; body: string }>;
  /** The graceful drain's state (drain/); absent: always serving. */
  drain?(): DrainState;
}

export interface Health {
  status: 'ok' | 'degraded' | 'draining';
  version: string;
  activeCalls: number;
  uptimeSeconds: number;
  /** Present once a drain has begun (docs/drain.md). */
  drain?: DrainState;
}

/** `GET /readyz`: should a load balancer send new calls here? 503 while draining or while SIP is down. */
export interface Readiness {
  ready: boolean;
  reason?: 'draining' | 'sip-down';
}

export interface HttpServerOptions {
  /** Who may use the API and `/stats?reset=1`; default: loopback clients only (no keys). */
  access?: ApiAccess;
  /** The call-control API under `/v1`, `/openapi.json` and `/docs`; absent, none of them. */
  api?: ApiOptions;
  /** `api.bodyLimitBytes`; default fastify's 1 MiB. */
  bodyLimitBytes?: number;
  logger?: Logger;
}

export function createHttpServer(source: HealthSource, options: HttpServerOptions = {}): FastifyInstance {
  const app = Fastify({ logger: false, ...(options.bodyLimitBytes === undefined ? {} : { bodyLimit: options.bodyLimitBytes }) });
  const startedAt = performance.now();
  const access = options.access ?? new ApiAccess([]);
  app.setErrorHandler(problemErrorHandler(options.logger));
  app.setNotFoundHandler(notFoundHandler);
  app.get('/healthz', async (_req, reply) => {
    // Liveness: a draining gateway is alive (200) and says so; only SIP being down is unhealthy.
    const ok = source.sipListening();
    const drain = source.drain?.();
    const draining = drain !== undefined && drain.phase !== 'serving';
    const body: Health = {
      status: !ok ? 'degraded' : draining ? 'draining' : 'ok',
      version: VERSION,
      activeCalls: source.activeCalls(),
      uptimeSeconds: Math.round((performance.now() - startedAt) / 1000),
      ...(draining ? { drain } : {}),
    };
    return reply.code(ok ? 200 : 503).send(body);
  });
  app.get('/readyz', async (_req, reply) => {
    const draining = (source.drain?.().phase ?? 'serving') !== 'serving';
    const body: Readiness = draining ? { ready: false, reason: 'draining' } : source.sipListening() ? { ready: true } : { ready: false, reason: 'sip-down' };
    return reply.code(body.ready ? 200 : 503).send(body);
  });
  app.get<{ Querystring: { reset?: string } }>('/stats', async (req, reply) => {
    if (!source.stats) return sendProblem(reply, 'ROUTE_NOT_FOUND', 'no stats source');
    const reset = req.query.reset === '1' || req.query.reset === 'true';
    if (reset) {
      // Starting a new window changes what every other reader sees: the same access as the API.
      const allowed = access.check({ headers: { authorization: req.headers.authorization }, remoteAddress: req.socket.remoteAddress });
      if (!allowed.ok) return sendProblem(reply, allowed.code);
    }
    return reply.send(await source.stats({ reset }));
  });
  app.get('/metrics', async (_req, reply) => {
    if (!source.metrics) return sendProblem(reply, 'ROUTE_NOT_FOUND', 'no metrics source');
    const { contentType, body } = await source.metrics();
    return reply.header('content-type', contentType).send(body);
  });
  if (options.api) void app.register(apiPlugin, { ...options.api, access });
  return app;
}
