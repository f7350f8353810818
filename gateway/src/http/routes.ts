/**
 * The routes both listeners share: health (`/healthz`, `/readyz`: always public) and observability (`/metrics`,
 * `/stats`). Who may read the observability routes is the listener's choice (docs/http.md):
 *
 * - `open` (the admin listener, loopback by default): anyone who reaches it; `/stats?reset=1` still needs the API's
 *   access (it changes what every other reader sees);
 * - `api` (the main listener): exactly who the API answers (ApiAccess): a valid bearer key when `api.keys` is set,
 *   otherwise loopback clients only (`LOOPBACK_ONLY` for anyone else). Nothing unauthenticated leaves the host.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiAccess } from '../api/auth.js';
import { sendProblem } from '../api/errors.js';
import { VERSION } from '../version.js';
import type { Health, HealthSource, Readiness } from './server.js';

/** Who may read `/metrics` and `/stats` on a listener. */
export type ObservabilityAccess = 'open' | 'api';

export function healthRoutes(app: FastifyInstance, source: HealthSource): void {
  const startedAt = performance.now();
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
}

export function observabilityRoutes(app: FastifyInstance, source: HealthSource, o: { access: ApiAccess; who: ObservabilityAccess }): void {
  /** Undefined when the caller may go on; else the refusal already sent. */
  const refuse = (req: FastifyRequest, reply: FastifyReply): FastifyReply | undefined => {
    const allowed = o.access.check({ headers: { authorization: req.headers.authorization }, remoteAddress: req.socket.remoteAddress });
    return allowed.ok ? undefined : sendProblem(reply, allowed.code);
  };
  app.get<{ Querystring: { reset?: string } }>('/stats', async (req, reply) => {
    const reset = req.query.reset === '1' || req.query.reset === 'true';
    // Starting a new window changes what every other reader sees: the API's access on every listener.
    if (o.who === 'api' || reset) {
      const refused = refuse(req, reply);
      if (refused) return refused;
    }
    if (!source.stats) return sendProblem(reply, 'ROUTE_NOT_FOUND', 'no stats source');
    return reply.send(await source.stats({ reset }));
  });
  app.get('/metrics', async (req, reply) => {
    if (o.who === 'api') {
      const refused = refuse(req, reply);
      if (refused) return refused;
    }
    if (!source.metrics) return sendProblem(reply, 'ROUTE_NOT_FOUND', 'no metrics source');
    const { contentType, body } = await source.metrics();
    return reply.header('content-type', contentType).send(body);
  });
}
