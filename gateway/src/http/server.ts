/**
 * The gateway's HTTP surface: health, stats for the bench and operators, Prometheus metrics, and (given `api`) the
 * call-control API (api/plugin.ts), on two listeners (docs/http.md): the main one (public health, the API, and
 * metrics/stats behind the API's access) and the admin one (metrics/stats, loopback by default). Every error is an
 * `application/problem+json` (api/errors.ts).
 */
import { createServer as createHttpsServer, type Server as HttpsServer, type ServerOptions } from 'node:https';
import Fastify, { type FastifyInstance, type FastifyServerFactory } from 'fastify';
import type { Logger } from 'pino';
import { ApiAccess } from '../api/auth.js';
import { notFoundHandler, problemErrorHandler } from '../api/errors.js';
import { apiPlugin, type ApiOptions } from '../api/plugin.js';
import type { DrainState } from '../drain/types.js';
import { healthRoutes, observabilityRoutes } from './routes.js';

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

export interface HttpsOptions {
  readonly options: ServerOptions;
  readonly onServer?: (server: HttpsServer) => void;
}

export interface HttpServerOptions {
  /** Who may use the API, `/stats?reset=1`, and `/metrics` + `/stats` on the main listener; default: loopback clients only (no keys). */
  access?: ApiAccess;
  /** The call-control API under `/v1`, `/openapi.json` and `/docs`; absent, none of them. */
  api?: ApiOptions;
  /** `api.bodyLimitBytes`; default fastify's 1 MiB. */
  bodyLimitBytes?: number;
  /** Serve HTTPS with these TLS options (key, cert, minVersion); `onServer` receives the server (reloads). */
  https?: HttpsOptions;
  logger?: Logger;
}

/**
 * The main listener: `/healthz` and `/readyz` for anyone, the API (given `api`), and `/metrics` + `/stats` for the
 * API's callers only (routes.ts). With `https`, it is an HTTPS server (start.ts keeps its certificate fresh).
 */
export function createHttpServer(source: HealthSource, options: HttpServerOptions = {}): FastifyInstance {
  const app = Fastify({
    logger: false,
    ...(options.bodyLimitBytes === undefined ? {} : { bodyLimit: options.bodyLimitBytes }),
    ...(options.https === undefined ? {} : { serverFactory: httpsFactory(options.https) }),
  });
  const access = options.access ?? new ApiAccess([]);
  app.setErrorHandler(problemErrorHandler(options.logger));
  app.setNotFoundHandler(notFoundHandler);
  healthRoutes(app, source);
  observabilityRoutes(app, source, { access, who: 'api' });
  if (options.api) void app.register(apiPlugin, { ...options.api, access });
  return app;
}

/**
 * The admin listener (`http.admin`): `/metrics` and `/stats` for whoever reaches it (loopback by default), plus the
 * health routes for probes; `/stats?reset=1` keeps the API's access. Nothing else.
 */
export function createAdminServer(source: HealthSource, options: Pick<HttpServerOptions, 'access' | 'logger'> = {}): FastifyInstance {
  const app = Fastify({ logger: false });
  app.setErrorHandler(problemErrorHandler(options.logger));
  app.setNotFoundHandler(notFoundHandler);
  healthRoutes(app, source);
  observabilityRoutes(app, source, { access: options.access ?? new ApiAccess([]), who: 'open' });
  return app;
}

/** An HTTPS server under fastify (the handler is fastify's), handed to `onServer` for setSecureContext. */
function httpsFactory(secure: HttpsOptions): FastifyServerFactory {
  return (handler) => {
    const server = createHttpsServer(secure.options, handler);
    secure.onServer?.(server);
    return server;
  };
}
